import { createHash, type Hash } from 'node:crypto';

/**
 * Everything that happened in a run, in order: each delivered message (its bytes included),
 * commit, compaction and fault. Only the hash is kept unless the run is verbose; two runs of one
 * seed must give the same hash.
 */
export class Trace {
  private readonly hash: Hash = createHash('sha256');
  readonly lines: string[] | null;
  count = 0;

  constructor(keepLines: boolean) {
    this.lines = keepLines ? [] : null;
  }

  add(at: number, line: string, bytes?: Uint8Array): void {
    this.count++;
    this.hash.update(`${at} ${line}\n`);
    if (bytes) this.hash.update(bytes);
    this.lines?.push(`${String(at).padStart(7)} ms  ${line}`);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
