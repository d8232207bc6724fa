import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Paths } from '../../lib/protocol';
import type { ServerConfig } from '../../server/config';
import { MAX_LINKS_PER_DOCUMENT } from '../../server/http/link-routes';
import { frame } from '../helpers/frames';
import { metric } from '../helpers/metrics';
import { HostileSocket } from '../helpers/raw-tcp';
import { createDoc, createLink, startServer, type RunningServer } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
});

async function start(config: Partial<ServerConfig> = {}): Promise<RunningServer> {
  const server = await startServer({ config });
  servers.push(server);
  return server;
}

/** The HTTP status a WebSocket upgrade was refused with, or 101 if it was accepted. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; socket: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, socket }));
    socket.on('error', () => {});
  });
}

describe('origins (rule H2)', () => {
  it("refuses another site's page on the API and on sockets, allows its own and configured ones", async () => {
    const server = await start({ allowedOrigins: ['https://editor.example'] });
    const evil = await fetch(`${server.url}${Paths.docs}`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: string }).error).toMatch(/origin/);

    const own = await fetch(`${server.url}${Paths.docs}`, { method: 'POST', headers: { origin: server.url } });
    expect(own.status).toBe(201);
    expect(own.headers.get('access-control-allow-origin')).toBeNull();
    const { id, ownerKey } = (await own.json()) as { id: string; ownerKey: string };

    const configured = await fetch(`${server.url}${Paths.docs}/${id}/access`, {
      headers: { origin: 'https://editor.example', authorization: `Bearer ${ownerKey}` },
    });
    expect(configured.status).toBe(200);
    expect(configured.headers.get('access-control-allow-origin')).toBe('https://editor.example');

    const refused = await upgradeStatus(`${server.wsUrl}/${id}?key=${ownerKey}`, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    const accepted = await upgradeStatus(`${server.wsUrl}/${id}?key=${ownerKey}`, { origin: 'https://editor.example' });
    expect(accepted.status).toBe(101);
    accepted.socket.close();
  });
});

describe('rates and connection slots, counted before any key is looked at (rules H1, H3, H4)', () => {
  it('limits document creation per address', async () => {
    const server = await start({ docsPerHourPerIp: 2 });
    expect((await fetch(`${server.url}${Paths.docs}`, { method: 'POST' })).status).toBe(201);
    expect((await fetch(`${server.url}${Paths.docs}`, { method: 'POST' })).status).toBe(201);
    const third = await fetch(`${server.url}${Paths.docs}`, { method: 'POST' });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: string }).error).toMatch(/too many new documents/);
    expect(await metric(server.url, 'tandem_rate_limited_total')).toBe(1);
  });

  it('limits keyed requests and upgrades per address', async () => {
    const server = await start({ requestsPerMinutePerIp: 4 });
    const { id, ownerKey } = await createDoc(server.url); // 1
    const access = () => fetch(`${server.url}${Paths.docs}/${id}/access`, { headers: { authorization: `Bearer ${ownerKey}` } });
    expect((await access()).status).toBe(200); // 2
    expect((await upgradeStatus(`${server.wsUrl}/${id}?key=${ownerKey}`)).status).toBe(101); // 3
    expect((await access()).status).toBe(200); // 4
    expect((await access()).status).toBe(429);
    expect((await upgradeStatus(`${server.wsUrl}/${id}?key=${ownerKey}`)).status).toBe(429);
  });

  it('limits open connections per address and in total, and frees a slot when a socket closes', async () => {
    const server = await start({ maxConnectionsPerIp: 2, maxConnections: 3 });
    const { id, ownerKey } = await createDoc(server.url);
    const url = `${server.wsUrl}/${id}?key=${ownerKey}`;
    const first = await upgradeStatus(url);
    const second = await upgradeStatus(url);
    expect([first.status, second.status]).toEqual([101, 101]);
    expect((await upgradeStatus(url)).status).toBe(429);
    // Behind a proxy another address gets its own slots, but not past the total.
    const proxied = await start({ maxConnectionsPerIp: 1, maxConnections: 2, trustProxy: true });
    const other = await createDoc(proxied.url);
    const proxiedUrl = `${proxied.wsUrl}/${other.id}?key=${other.ownerKey}`;
    const a = await upgradeStatus(proxiedUrl, { 'x-forwarded-for': '203.0.113.1' });
    const b = await upgradeStatus(proxiedUrl, { 'x-forwarded-for': '203.0.113.2' });
    expect([a.status, b.status]).toEqual([101, 101]);
    expect((await upgradeStatus(proxiedUrl, { 'x-forwarded-for': '203.0.113.3' })).status).toBe(503);

    first.socket.close();
    await waitFor(() => first.socket.readyState === WebSocket.CLOSED, 'closed');
    const again = await upgradeStatus(url);
    expect(again.status).toBe(101);
    for (const s of [second.socket, again.socket, a.socket, b.socket]) s.close();
  });
});

describe('memory before a key is checked (rules H5, H6)', () => {
  it('destroys a refused socket that ignores the close and keeps writing large frames', async () => {
    const server = await start({ maxFrameBytes: 2 * 1024 * 1024 });
    const rssBefore = process.memoryUsage().rss;
    const hostile = new HostileSocket(`${server.wsUrl}/nosuchdoc`); // no key: refused with 4401
    await hostile.upgraded;
    const megabyte = frame(0, 2, new Uint8Array(1024 * 1024 - 8));
    let sent = 0;
    while (sent < 512 && (await hostile.writeFrame(megabyte))) sent++;
    await hostile.gone;
    expect(hostile.destroyed).toBe(true);
    expect(sent, 'the server cut the socket off long before 512 MiB').toBeLessThan(64);
    // Before the fix, 1 MiB frames after a refusal grew the server by gigabytes.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    expect((await fetch(`${server.url}${Paths.health}`)).status).toBe(200);
  });

  it('does not read a socket whose key is unchecked: frames wait in the kernel, not in memory', async () => {
    const server = await start({ maxFrameBytes: 2 * 1024 * 1024 });
    const { id, ownerKey } = await createDoc(server.url);
    const hostile = new HostileSocket(`${server.wsUrl}/${id}?key=${ownerKey}`);
    await hostile.upgraded;
    // Garbage after a valid key: read once the room is ready, and closed for it.
    const garbage = frame(0, 2, new Uint8Array(1024 * 1024 - 8).fill(255));
    let sent = 0;
    while (sent < 512 && (await hostile.writeFrame(garbage))) sent++;
    await hostile.gone;
    expect(sent).toBeLessThan(64);
    expect((await fetch(`${server.url}${Paths.health}`)).status).toBe(200);
  });
});

describe('HTTP input (rule H7)', () => {
  it('answers 400 for a path that does not decode and 404/405 for unknown routes and methods', async () => {
    const server = await start();
    expect((await fetch(`${server.url}${Paths.docs}/%E0%A4%A/links`)).status).toBe(400);
    expect((await fetch(`${server.url}${Paths.docs}/abc/nothing-here`)).status).toBe(404);
    expect((await fetch(`${server.url}${Paths.docs}`, { method: 'PUT' })).status).toBe(405);
  });

  it(`caps a document at ${MAX_LINKS_PER_DOCUMENT} links with 409`, async () => {
    const server = await start();
    const { id, ownerKey } = await createDoc(server.url);
    for (let i = 1; i < MAX_LINKS_PER_DOCUMENT; i++) await createLink(server.url, id, ownerKey, { role: 'view' });
    const over = await fetch(`${server.url}${Paths.docs}/${id}/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'view' }),
    });
    expect(over.status).toBe(409);
  });
});
