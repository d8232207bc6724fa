/** The orchestrator's handle on a load-generator process (worker.ts): typed commands over IPC. */
import { nodeArgs, spawnProc, type Proc } from '../harness/process';
import type { LoadAnswer, LoadCommand } from './commands';

type AnswerFor<K extends LoadCommand['kind']> = Extract<
  LoadAnswer,
  {
    kind: {
      connect: 'connected';
      type: 'typed';
      verify: 'verified';
      close: 'closed';
      replay: 'replayed';
      'cold-load': 'cold-loaded';
      durable: 'durable-done';
    }[K];
  }
>;

export interface LoadGenerator {
  readonly proc: Proc;
  run<C extends LoadCommand>(command: C): Promise<AnswerFor<C['kind']>>;
  stop(): Promise<void>;
}

/** Starts a load generator pinned to `cpu`, SIGKILLed after `timeoutMs` whatever happens. */
export async function startLoadGenerator(options: { cpu: number; timeoutMs: number; name?: string }): Promise<LoadGenerator> {
  // BENCH_PROFILE_LOAD=<dir> profiles the load generator itself (is it the bottleneck?).
  const profile = process.env.BENCH_PROFILE_LOAD ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_LOAD}`] : [];
  const proc = spawnProc('node', nodeArgs('tests/bench/load/worker.ts', ['--max-old-space-size=8192', ...profile]), {
    cpu: options.cpu,
    timeoutMs: options.timeoutMs,
    ipc: true,
    name: options.name ?? 'load-generator',
  });
  const waiting: { resolve(answer: LoadAnswer): void; reject(error: Error): void }[] = [];
  proc.child.on('message', (answer: LoadAnswer) => waiting.shift()?.resolve(answer));
  void proc.exited.then((code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`${proc.name} exited (${code})\n${proc.tail()}`));
  });
  return {
    proc,
    run<C extends LoadCommand>(command: C): Promise<AnswerFor<C['kind']>> {
      return new Promise<LoadAnswer>((resolve, reject) => {
        waiting.push({ resolve, reject });
        proc.child.send(command);
      }).then((answer) => {
        if (answer.kind === 'error') throw new Error(`${proc.name}: ${command.kind} failed: ${answer.message}`);
        return answer as AnswerFor<C['kind']>;
      });
    },
    async stop(): Promise<void> {
      if (proc.child.connected) proc.child.disconnect();
      await proc.stop();
    },
  };
}
