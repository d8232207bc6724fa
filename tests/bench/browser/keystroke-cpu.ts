/**
 * Main-thread time per keystroke in the writer's and the reader's page, from Chromium's own
 * counters (CDP Performance.getMetrics: ScriptDuration, TaskDuration, LayoutDuration,
 * RecalcStyleDuration), for A/B comparisons of two builds: run them alternately, several times
 * each. The counters are durations, so a busy machine still moves them a little; they move far
 * less than latencies do. Runs the product as built (`next build` first). With `--profile=DIR`,
 * also writes a CPU profile of each page while typing.
 *
 *   npx tsx tests/bench/browser/keystroke-cpu.ts [--keys=200] [--profile=DIR]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { listeningPort, nodeArgs, spawnProc } from '../harness/process';

const EDITOR = '.ProseMirror';
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const KEYS = Number(arg('keys') ?? 200);
const PROFILE_DIR = arg('profile');

/** The product as `npm start` runs it, on a data directory of its own that `stop` removes. */
async function startServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tandem-keystroke-cpu-'));
  const app = spawnProc('node', nodeArgs('server/start.ts'), {
    timeoutMs: 3_600_000,
    name: 'tandem-app',
    env: { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
  });
  const port = await app.waitForLine(listeningPort, 120_000);
  return {
    port,
    stop: async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the reader's editor shows `text` (its writer's caret past it): woken by its mutations, no polling. */
function arrived(page: Page, text: string): Promise<void> {
  return page.evaluate(
    ([sel, want]) =>
      new Promise<void>((resolve) => {
        const el = document.querySelector(sel as string)!;
        if ((el.textContent ?? '').includes(want as string)) return resolve();
        const observer = new MutationObserver(() => {
          if (!(el.textContent ?? '').includes(want as string)) return;
          observer.disconnect();
          resolve();
        });
        observer.observe(el, { subtree: true, childList: true, characterData: true });
      }),
    [EDITOR, text] as const,
  );
}

async function metrics(session: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = (await session.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

async function main(): Promise<void> {
  const server = await startServer();
  const base = `http://127.0.0.1:${server.port}`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const res = await fetch(`${base}/api/docs`, { method: 'POST' });
    const doc = (await res.json()) as { id: string; ownerKey: string };
    const url = `${base}/d/${doc.id}#key=${doc.ownerKey}`;
    const a: Page = await (await browser.newContext()).newPage();
    const b: Page = await (await browser.newContext()).newPage();
    await Promise.all([a.goto(url), b.goto(url)]);
    await a.waitForSelector(`${EDITOR}[contenteditable="true"]`);
    await b.waitForSelector(EDITOR);
    await a.click(EDITOR);
    const sa = await a.context().newCDPSession(a);
    const sb = await b.context().newCDPSession(b);
    await Promise.all([sa.send('Performance.enable'), sb.send('Performance.enable')]);
    if (PROFILE_DIR) {
      for (const s of [sa, sb]) {
        await s.send('Profiler.enable');
        await s.send('Profiler.setSamplingInterval', { interval: 100 });
        await s.send('Profiler.start');
      }
    }
    // A warm-up, so first-use compilation is not counted.
    for (const ch of 'warmup ') await a.keyboard.press(ch);
    await arrived(b, 'warmup ');
    const [a0, b0] = await Promise.all([metrics(sa), metrics(sb)]);
    let typed = 'warmup ';
    for (let i = 0; i < KEYS; i += 1) {
      const ch = String.fromCharCode(97 + (i % 26));
      typed += ch;
      await a.keyboard.press(ch);
      await arrived(b, typed);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const [a1, b1] = await Promise.all([metrics(sa), metrics(sb)]);
    const per = (x: Record<string, number>, y: Record<string, number>, key: string) => (((y[key] ?? 0) - (x[key] ?? 0)) * 1000) / KEYS;
    const row = {
      writerScript: per(a0, a1, 'ScriptDuration'),
      writerTask: per(a0, a1, 'TaskDuration'),
      writerLayout: per(a0, a1, 'LayoutDuration'),
      writerStyle: per(a0, a1, 'RecalcStyleDuration'),
      readerScript: per(b0, b1, 'ScriptDuration'),
      readerTask: per(b0, b1, 'TaskDuration'),
      readerLayout: per(b0, b1, 'LayoutDuration'),
      readerStyle: per(b0, b1, 'RecalcStyleDuration'),
    };
    console.log(JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v.toFixed(3))]))));
    if (PROFILE_DIR) {
      for (const [name, s] of [['writer', sa], ['reader', sb]] as const) {
        const { profile } = (await s.send('Profiler.stop')) as { profile: unknown };
        writeFileSync(path.join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
      }
    }
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
