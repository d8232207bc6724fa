/**
 * Logs: JSON lines when stdout is a pipe (what log collectors and the tests read), readable lines
 * when it is a terminal. The terminal is a real pseudo-terminal from util-linux `script`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../helpers/server-process';
import { waitFor } from '../helpers/wait';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

describe('log format', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-log-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('writes JSON lines when stdout is a pipe', async () => {
    // spawnServer reads the port from the JSON "listening" line: it resolves only if that line is JSON.
    const server: ServerProcess = await spawnServer('server/main.ts', { DATA_DIR: tempDir() });
    cleanups.push(() => void server.kill());
    expect(server.port).toBeGreaterThan(0);
  });

  it('writes readable lines, not JSON, when stdout is a terminal', async () => {
    const command = `exec ${JSON.stringify(process.execPath)} --import tsx server/main.ts`;
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', DATA_DIR: tempDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    cleanups.push(async () => {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await waitFor(() => /INFO.*listening/.test(output.replace(ANSI, '')), 'the listening line on the terminal', 60_000);
    const lines = output.replace(ANSI, '').split(/\r?\n/).filter((line) => line.trim() !== '');
    expect(lines.some((line) => isJson(line.trim()))).toBe(false);
    expect(lines.find((line) => line.includes('listening'))).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO/);
  });
});
