// Ad-hoc: memory breakdown of Tandem's server at N connections on one document.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LightClient } from './load/light-client';
import { DeliveryTracker } from './load/tracker';

const N = Number(process.env.N ?? 500);
const flags = (process.env.FLAGS ?? '').split(' ').filter(Boolean);
const dataDir = mkdtempSync(join(tmpdir(), 'memprobe-'));
const port = 20000 + Math.floor(Math.random() * 10000);
const child = spawn('node', [...flags, '--import', 'tsx', process.cwd() + '/server/main.ts'], { env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', MAX_CONNECTIONS_PER_IP: '100000', REQUESTS_PER_MINUTE_PER_IP: '10000000' }, stdio: 'inherit' });
const base = `http://127.0.0.1:${port}`;
async function mem() {
  for (;;) { try { const t = await (await fetch(`${base}/metrics`)).text(); const o: Record<string, number> = {}; for (const m of t.matchAll(/^tandem_memory_bytes\{kind="(\w+)"\} (\d+)/gm)) o[m[1]!] = Number(m[2]); return o; } catch { await new Promise((r) => setTimeout(r, 200)); } }
}
const rssOf = () => Number(require('node:fs').readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;
await mem();
const { id, ownerKey } = (await (await fetch(`${base}/api/docs`, { method: 'POST' })).json()) as { id: string; ownerKey: string };
await new Promise((r) => setTimeout(r, 1000));
const m0 = await mem();
const snap = async () => { if (!process.env.SNAP) return; child.kill('SIGUSR2'); await new Promise((r) => setTimeout(r, 6000)); };
await snap();
const tracker = new DeliveryTracker();
const clients: LightClient[] = [];
for (let i = 0; i < N; i++) {
  const c = new LightClient({ protocol: 'y-websocket', url: `ws://127.0.0.1:${port}/collab`, name: id, params: { key: ownerKey } }, tracker, { presence: process.env.PRESENCE === '1', echoPresence: false, index: i, keepUpdates: false });
  clients.push(c);
  if (i % 25 === 24) await Promise.all(clients.slice(-25).map((x) => x.synced));
}
await Promise.all(clients.map((c) => c.synced));
for (let i = 0; i < 50; i++) { clients[i % N]!.edit(); await new Promise((r) => setTimeout(r, 10)); }
await new Promise((r) => setTimeout(r, 1500));
const m1 = await mem();
await snap();
const per = (k: string) => ((m1[k]! - m0[k]!) / N / 1024).toFixed(1);
console.log(`N=${N} flags=${flags.join(' ')} per connection KiB: rss ${per('rss')} heap_used ${per('heap_used')} heap_total ${per('heap_total')} external ${per('external')} array_buffers ${per('array_buffers')}`);
console.log(JSON.stringify({ m0, m1 }));
const cpuOf = () => { const f = require('node:fs').readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const c0 = cpuOf();
const EDITS = Number(process.env.EDITS ?? 600);
for (let i = 0; i < EDITS; i++) { clients[i % N]!.edit(); if (i % 4 === 3) await new Promise((r) => setTimeout(r, 10)); }
await new Promise((r) => setTimeout(r, 1500));
const c1 = cpuOf();
console.log(`cpu ms for ${EDITS} edits x ${N - 1} deliveries: ${c1 - c0} => ${((c1 - c0) * 1000 / (EDITS * (N - 1))).toFixed(2)} us/delivery; delivered ${tracker.delivered}`);
for (const c of clients) c.destroy();
child.kill();
process.exit(0);
