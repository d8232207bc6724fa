import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../server/config';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('configuration', () => {
  it('uses the contract defaults', () => {
    const config = loadConfig({ argv: [], env: {}, defaultPort: 1234 });
    expect(config).toMatchObject({ port: 1234, host: '127.0.0.1', databaseUrl: undefined, redisUrl: undefined });
    expect(config.dataDir).toBe(path.resolve('./data'));
  });

  it('reads the environment, and a flag wins over it', () => {
    const env = { PORT: '4000', HOST: '0.0.0.0', DATA_DIR: '/tmp/x', DATABASE_URL: 'postgres://db/t', REDIS_URL: 'redis://r:6379' };
    expect(loadConfig({ argv: [], env, defaultPort: 1 })).toMatchObject({ port: 4000, host: '0.0.0.0', dataDir: '/tmp/x', databaseUrl: 'postgres://db/t', redisUrl: 'redis://r:6379' });
    expect(loadConfig({ argv: ['--port', '5000'], env, defaultPort: 1 }).port).toBe(5000);
  });

  it('--help prints every option and a bad value exits with a clear message', () => {
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const help = spawnSync(tsx, ['server/main.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const flag of ['--port', '--host', '--data-dir', '--database-url', '--redis-url']) expect(help.stdout).toContain(flag);
    const bad = spawnSync(tsx, ['server/main.ts'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PORT: 'eighty' } });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/port number/);
  });
});
