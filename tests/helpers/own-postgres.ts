import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { tempDir } from './tandem';
import { waitForAsync } from './wait';

/** The newest installed PostgreSQL's binaries (Debian keeps them out of PATH). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const version = fs.readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error(`no PostgreSQL under ${root}`);
  return path.join(root, version, 'bin');
}

/** PostgreSQL refuses to run as root: when we are root, its binaries run as the postgres user. */
function identity(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A PostgreSQL cluster of a test's own, in a temporary directory on a port of its choosing, so
 * an outage test can stop and start it without touching the machine's shared database.
 */
export class OwnPostgres {
  private child: ChildProcess | null = null;
  readonly dir = tempDir('tandem-pg-');

  constructor(readonly port: number) {
    const { uid, gid } = identity();
    if (uid !== undefined && gid !== undefined) fs.chownSync(this.dir, uid, gid);
    const args = ['-D', path.join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync'];
    const result = spawnSync(path.join(binDir(), 'initdb'), args, { encoding: 'utf8', ...identity() });
    if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr}`);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const args = ['-D', path.join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
    this.child = spawn(path.join(binDir(), 'postgres'), args, { stdio: 'ignore', ...identity() });
    await waitForAsync(async () => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.end();
        return true;
      } catch {
        return false;
      }
    }, 'PostgreSQL to accept connections', 30_000);
  }

  /** Stops at once, as a crash or a pulled cable would (SIGQUIT: immediate shutdown). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = null;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGQUIT');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
