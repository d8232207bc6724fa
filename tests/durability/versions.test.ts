/**
 * Versions are stored apart from the update log (docs/PROTOCOL.md, rules V5, D1): every version
 * acknowledged survives SIGKILL, and compacting the log, before and after the kill, loses none.
 */
import { describe, expect, it } from 'vitest';
import { paragraphs, writeParagraphs } from '../helpers/paragraphs';
import { spawnServer } from '../helpers/server-process';
import { connectClient, createDoc, tempDir } from '../helpers/tandem';
import { listVersions, nameVersion, readVersion } from '../helpers/versions-api';
import { waitFor, waitForAsync } from '../helpers/wait';

describe('versions are durable', () => {
  it('survive SIGKILL and compaction of the log', async () => {
    const dataDir = tempDir();
    let server = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
    try {
      const { id, ownerKey } = await createDoc(server.url);
      const writer = connectClient(server.wsUrl, id, ownerKey);
      await waitFor(() => writer.provider.synced, 'writer synced');
      writeParagraphs(writer.doc, ['The first draft.']);
      const watcher = connectClient(server.wsUrl, id, ownerKey);
      await waitFor(() => watcher.provider.synced && paragraphs(watcher.doc).length === 1, 'committed');
      const draft = await nameVersion(server.url, id, ownerKey, 'First draft');
      // Well past the compaction threshold, in many small updates.
      for (let i = 0; i < 400; i++) writeParagraphs(writer.doc, [`Line ${i}: ${'lorem ipsum '.repeat(20)}`]);
      await waitFor(() => paragraphs(watcher.doc).length === 401, 'all updates relayed', 30_000);
      const metrics = () => fetch(`${server.url}/metrics`).then((res) => res.text());
      await waitForAsync(async () => /tandem_compactions_total [1-9]/.test(await metrics()), 'a compaction', 30_000);
      const long = await nameVersion(server.url, id, ownerKey, 'Long');
      const before = await listVersions(server.url, id, ownerKey);
      writer.destroy();
      watcher.destroy();

      await server.kill('SIGKILL');
      server = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
      const after = await listVersions(server.url, id, ownerKey);
      // Everything listed before the kill is there (an automatic version may have been added since).
      for (const version of before) expect(after).toContainEqual(version);
      expect(await readVersion(server.url, id, ownerKey, draft.id, 'text')).toBe('The first draft.\n');
      expect((await readVersion(server.url, id, ownerKey, long.id, 'text')).split('\n\n')).toHaveLength(401);
    } finally {
      await server.kill('SIGKILL');
    }
  }, 120_000);
});
