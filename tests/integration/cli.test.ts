/**
 * The `tandem` command run as a user runs it: a child process against a real server (itself a
 * child process on 127.0.0.1, port 0), reading files and standard input, printing links.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseDocumentLink } from '../../lib/doc-link';
import { fromMarkdown } from '../../lib/content-markdown';
import { spawnServer, type ServerProcess } from '../helpers/server-process';
import { createLink, tempDir } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'tandem.js');
const everyNode = path.join(ROOT, 'tests/fixtures/content/every-node.md');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function startCli(args: readonly string[]): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exited };
}

/** Runs `tandem ARGS` to completion, with `stdin` as its standard input. */
async function tandem(args: readonly string[], stdin = ''): Promise<Run> {
  const { child, out, exited } = startCli(args);
  child.stdin!.end(stdin);
  const code = await exited;
  return { code, ...out };
}

/** A failure: non-zero exit, one line on stderr, nothing on stdout. */
function expectOneLineError(run: Run, message: RegExp): void {
  expect(run.code, run.stderr).not.toBe(0);
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^tandem: /);
  expect(run.stderr).toMatch(message);
}

// Each test starts several Node.js processes; on a busy machine that alone takes a while.
vi.setConfig({ testTimeout: 180_000 });

let server: ServerProcess;
const dataDir = tempDir('tandem-cli-');

beforeAll(async () => {
  server = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
});
afterAll(async () => {
  await server.kill();
});

async function newDocument(args: readonly string[], stdin = ''): Promise<{ link: string; id: string; key: string }> {
  const run = await tandem(['new', ...args, '--server', server.url], stdin);
  expect(run.code, run.stderr).toBe(0);
  const link = run.stdout.trim();
  expect(link).toMatch(new RegExp(`^${server.url}/d/[A-Za-z0-9_-]+#key=[A-Za-z0-9_-]+$`));
  const { docId, key } = parseDocumentLink(link);
  return { link, id: docId, key };
}

describe('tandem new, export, append', () => {
  it('new FILE.md makes a document holding it and prints its owner link; export gives it back in every format', async () => {
    const { link, key } = await newDocument([everyNode]);
    const access = await fetch(`${server.url}/api/docs/${parseDocumentLink(link).docId}/access`, { headers: { authorization: `Bearer ${key}` } });
    expect(await access.json()).toMatchObject({ role: 'owner' });
    const md = await tandem(['export', link]);
    expect(md.code).toBe(0);
    expect(fromMarkdown(md.stdout).eq(fromMarkdown(fs.readFileSync(everyNode, 'utf8')))).toBe(true);
    const json = await tandem(['export', link, '--format', 'json']);
    expect(JSON.parse(json.stdout).title).toBe('every-node');
    expect((await tandem(['export', link, '-f', 'html'])).stdout).toContain('<title>every-node</title>');
    expect((await tandem(['export', link, '-f', 'text'])).stdout).toContain('[x] ');
  });

  it('takes the format from the extension, or --format; standard input with -', async () => {
    const dir = tempDir('tandem-cli-files-');
    const html = path.join(dir, 'page.html');
    fs.writeFileSync(html, '<h2>From HTML</h2><ul><li><p>item</p></li></ul>');
    const fromHtml = await newDocument([html, '--title', 'Mine']);
    expect((await tandem(['export', fromHtml.link])).stdout).toBe('## From HTML\n\n- item\n');
    expect(JSON.parse((await tandem(['export', fromHtml.link, '-f', 'json'])).stdout).title).toBe('Mine');
    const fromStdin = await newDocument(['-', '--format', 'text'], 'plain *text*\n');
    expect((await tandem(['export', fromStdin.link])).stdout).toBe('plain \\*text\\*\n');
    const empty = await newDocument([]);
    expect((await tandem(['export', empty.link])).stdout).toBe('');
  });

  it('append LINK FILE and append LINK - add at the end', async () => {
    const { link } = await newDocument(['-'], '# Log\n');
    const dir = tempDir('tandem-cli-files-');
    const more = path.join(dir, 'more.md');
    fs.writeFileSync(more, '- first\n');
    expect(await tandem(['append', link, more])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await tandem(['append', link, '-'], '> second\n')).toMatchObject({ code: 0 });
    expect((await tandem(['export', link])).stdout).toBe('# Log\n\n- first\n\n> second\n');
  });
});

describe('clear errors', () => {
  it('--help on the program and each command', async () => {
    const top = await tandem(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['new', 'export', 'append', 'watch']) expect(top.stdout).toContain(command);
    for (const command of ['new', 'export', 'append', 'watch']) {
      const help = await tandem([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: tandem ${command}`);
    }
  });

  it('a bad link', async () => {
    expectOneLineError(await tandem(['export', 'not-a-link']), /expected a document link like http:\/\/HOST:PORT\/d\/<id>#key=<key>/);
    expectOneLineError(await tandem(['export', `${server.url}/d/abc`]), /the link has no key/);
    expectOneLineError(await tandem(['export', `${server.url}/x/abc#key=k`]), /no document id/);
  });

  it('a refused key: unknown (401), or one that may not write (403); nothing changes', async () => {
    const { link, id, key } = await newDocument(['-'], 'kept\n');
    const wrong = link.replace(/#key=.*$/, `#key=${'w'.repeat(32)}`);
    expectOneLineError(await tandem(['export', wrong]), /the server refused the key \(401\)/);
    const view = await createLink(server.url, id, key, { role: 'view' });
    const viewLink = `${server.url}/d/${id}#key=${view.key}`;
    expectOneLineError(await tandem(['append', viewLink, '-'], 'vandal\n'), /may not do this \(403\).*edit or owner key/);
    expectOneLineError(await tandem(['watch', wrong]), /refused the key \(401\)/);
    expect((await tandem(['export', viewLink])).stdout).toBe('kept\n');
  });

  it('a file that does not exist or whose format cannot be told; content that does not parse', async () => {
    expectOneLineError(await tandem(['new', '/nonexistent/file.md', '--server', server.url]), /cannot read \/nonexistent\/file.md: no such file/);
    const dir = tempDir('tandem-cli-files-');
    const odd = path.join(dir, 'notes.rtf');
    fs.writeFileSync(odd, 'x');
    expectOneLineError(await tandem(['new', odd, '--server', server.url]), /cannot tell the format of .*notes.rtf.*--format/);
    expectOneLineError(await tandem(['new', '-', '-f', 'json', '--server', server.url], '{"type":"doc","content":[{"type":"image"}]}'), /answered 400: content does not parse as json/);
  });

  it('a server that is down', async () => {
    const down = await spawnServer('server/main.ts', { DATA_DIR: tempDir('tandem-cli-down-') });
    await down.kill();
    expectOneLineError(await tandem(['new', '--server', down.url]), new RegExp(`cannot reach the server at ${down.url}: connection refused`));
    expectOneLineError(await tandem(['export', `${down.url}/d/abc#key=k`]), /connection refused \(is the server running\?\)/);
  });
});

describe('tandem watch', () => {
  it('prints the text, then again live on each change, reconnects after a restart, and stops when the document is deleted', async () => {
    const dir = tempDir('tandem-cli-watch-');
    let watched = await spawnServer('server/main.ts', { DATA_DIR: dir });
    const port = watched.port;
    const run = await tandem(['new', '-', '--server', watched.url], 'first line\n');
    const link = run.stdout.trim();
    const { docId: id, key } = parseDocumentLink(link);
    const watch = startCli(['watch', link]);
    try {
      await waitFor(() => watch.out.stdout.includes('first line'), 'the first print', 20_000);
      // Each print is a line with the time, then the whole text.
      expect(watch.out.stdout).toMatch(/^--- \d{4}-\d\d-\d\dT[\d:.]+Z\n/);
      expect(watch.out.stdout.split(/^--- \S+\n/m).at(-1)).toBe('first line\n');
      expect((await tandem(['append', link, '-'], 'second line\n')).code).toBe(0);
      await waitFor(() => watch.out.stdout.includes('first line\n\nsecond line\n'), 'the change printed live', 10_000);

      // The server goes away and comes back on the same port: watch carries on by itself.
      await watched.kill();
      await waitFor(() => watch.out.stderr.includes('connection lost; reconnecting'), 'the drop reported', 10_000);
      watched = await spawnServer('server/main.ts', { DATA_DIR: dir, PORT: String(port) });
      await waitFor(() => watch.out.stderr.includes('reconnected'), 'the reconnect reported', 20_000);
      expect((await tandem(['append', link, '-'], 'third line\n')).code).toBe(0);
      await waitFor(() => watch.out.stdout.includes('first line\n\nsecond line\n\nthird line\n'), 'a change after the reconnect', 10_000);

      // Deleting the document ends the watch with a clear reason.
      const deleted = await fetch(`${watched.url}/api/docs/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
      expect(deleted.status).toBe(204);
      expect(await watch.exited).toBe(1);
      expect(watch.out.stderr.trimEnd().split('\n').at(-1)).toMatch(/^tandem: the document was deleted: /);
    } finally {
      watch.child.kill('SIGKILL');
      await watched.kill();
    }
  }, 180_000);

  it('stops cleanly on Ctrl+C', async () => {
    const { link } = await newDocument(['-'], 'hello\n');
    const watch = startCli(['watch', link]);
    await waitFor(() => watch.out.stdout.includes('hello'), 'the first print', 20_000);
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
  });
});

describe('npx tandem', () => {
  it('runs the bin from the repository', async () => {
    const child = spawn('npx', ['--no-install', 'tandem', '--help'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(lines[0]).toBe('Usage: tandem [options] [command]');
  });
});
