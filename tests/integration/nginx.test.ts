/**
 * The README's nginx configuration, exactly as documented, in Debian's nginx (/usr/sbin/nginx):
 * a self-signed certificate, a free loopback port, a real Tandem server behind it, and two stock
 * y-websocket clients syncing over wss:// through it. The block is read from the README, so the
 * documentation cannot drift from what was tested.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { startServer, tempDir, type RunningServer } from '../helpers/tandem';
import { waitFor, waitForAsync } from '../helpers/wait';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** The ```nginx block of the README's "Self-hosting behind TLS" section. */
function documentedConfig(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Self-hosting behind TLS'));
  const block = /```nginx\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('no ```nginx block in the README section "Self-hosting behind TLS"');
  return block[1];
}

/** Replaces every occurrence of `from`, failing when there is none: a changed README must fail here, not pass silently. */
function substitute(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the README's nginx block no longer contains ${JSON.stringify(from)}`);
  return text.split(from).join(to);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** An HTTPS request that trusts only our self-signed certificate. */
function request(url: string, ca: Buffer, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the README nginx configuration', () => {
  let server: RunningServer;
  let nginx: ChildProcess;
  let nginxExited: Promise<void>;
  let dir: string;
  let ca: Buffer;
  let origin: string;
  const providers: WebsocketProvider[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(NGINX)) throw new Error(`nginx not found at ${NGINX}: apt-get install nginx-light, or set NGINX_PATH`);
    // Started as the README says: behind a proxy, with TRUST_PROXY=true.
    server = await startServer({ config: { trustProxy: true } });
    dir = tempDir('tandem-nginx-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    ca = fs.readFileSync(cert);

    const port = await freePort();
    origin = `https://127.0.0.1:${port}`;
    let site = documentedConfig();
    site = substitute(site, 'listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`);
    site = substitute(site, '/etc/letsencrypt/live/docs.example.com/fullchain.pem', cert);
    site = substitute(site, '/etc/letsencrypt/live/docs.example.com/privkey.pem', key);
    site = substitute(site, 'http://127.0.0.1:3000', `http://127.0.0.1:${server.port}`);
    // Only what a test needs around it: its own files, in the foreground, one process as this user.
    const conf = [
      'daemon off;',
      'master_process off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log info;`,
      'events { worker_connections 64; }',
      'http {',
      `  access_log ${dir}/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`),
      site,
      '}',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);

    const output: string[] = [];
    nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    nginxExited = new Promise((resolve) => nginx.once('exit', () => resolve()));
    const health = () => request(`${origin}/healthz`, ca).then((r) => r.status === 200, () => false);
    await waitForAsync(async () => {
      if (nginx.exitCode !== null) throw new Error(`nginx exited with ${nginx.exitCode}:\n${output.join('')}`);
      return health();
    }, 'nginx answering /healthz over TLS', 20_000);
  });

  afterAll(async () => {
    for (const provider of providers) provider.destroy();
    if (nginx && nginx.exitCode === null) {
      nginx.kill('SIGQUIT');
      await nginxExited;
    }
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is accepted by Debian\'s nginx as written, without warnings', () => {
    // `nginx -t` exits non-zero on an unknown directive (as `http2 on;` is for nginx 1.22).
    const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stderr).not.toMatch(/\[(warn|emerg|error)\]/);
  });

  it('proxies the API and syncs two stock clients over wss://', async () => {
    const created = await request(`${origin}/api/docs`, ca, 'POST');
    expect(created.status).toBe(201);
    const { id, ownerKey } = JSON.parse(created.body) as { id: string; ownerKey: string };

    const trusted = ca;
    /** `ws`, trusting the test's certificate (a stock client takes any WebSocket class). */
    class TrustingWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { ca: trusted } satisfies ClientOptions);
      }
    }
    const connect = () => {
      const doc = new Y.Doc();
      const provider = new WebsocketProvider(`wss://127.0.0.1:${new URL(origin).port}/collab`, id, doc, {
        params: { key: ownerKey },
        WebSocketPolyfill: TrustingWebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
      });
      providers.push(provider);
      return { doc, provider, text: doc.getText('t') };
    };
    const a = connect();
    const b = connect();
    await waitFor(() => a.provider.synced && b.provider.synced, 'both clients synced through nginx', 10_000);
    a.text.insert(0, 'through the proxy. ');
    await waitFor(() => b.text.toString() === 'through the proxy. ', 'a → b through nginx', 10_000);
    b.text.insert(b.text.length, 'And back.');
    await waitFor(() => a.text.toString() === 'through the proxy. And back.', 'b → a through nginx', 10_000);
    expect(Y.encodeStateVector(a.doc)).toEqual(Y.encodeStateVector(b.doc));
  });
});
