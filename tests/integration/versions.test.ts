/**
 * Versions through a real server: stock y-websocket clients and the HTTP API
 * (docs/PROTOCOL.md, rules V1–V6).
 */
import * as prng from 'lib0/prng';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CONTENT_FIELD, TITLE_FIELD } from '../../lib/protocol';
import { createSqliteStorage } from '../../server/storage/sqlite-storage';
import { listVersions, nameVersion, readVersion, restoreVersion, versionsCall } from '../helpers/versions-api';
import { paragraphText, paragraphs, writeParagraphs } from '../helpers/paragraphs';
import { seededRandom } from '../helpers/seed';
import { connectClient, createDoc, createLink, serverForFile, startServer, tempDir, type Client } from '../helpers/tandem';
import { waitFor, waitForAsync } from '../helpers/wait';

const file = serverForFile({ beforeAll, afterAll });
const open = file.open;
const url = () => file.server.url;

/** A client that shows `name` in its presence, as the app does. */
function person(docId: string, key: string, name: string): Client {
  const client = open(docId, key);
  client.provider.awareness.setLocalStateField('user', { name, color: '#1c7ed6' });
  return client;
}

/** Waits until `client` holds exactly `lines` (it has everything the server committed of them). */
async function until(client: Client, lines: string[], what: string): Promise<void> {
  await waitFor(() => JSON.stringify(paragraphs(client.doc)) === JSON.stringify(lines), what);
}

/** A document that Ada wrote `lines` into; resolves once the server has committed them (an observer received them). */
async function documentWritten(lines: string[]) {
  const { id, ownerKey } = await createDoc(url());
  const ada = person(id, ownerKey, 'Ada');
  await waitFor(() => ada.provider.synced, 'Ada synced');
  ada.doc.getText(TITLE_FIELD).insert(0, 'Plans');
  writeParagraphs(ada.doc, lines);
  const observer = open(id, ownerKey);
  await until(observer, lines, 'the observer has what Ada wrote');
  return { id, ownerKey, ada, observer };
}

const fragmentJson = (doc: Y.Doc) => doc.getXmlFragment(CONTENT_FIELD).toJSON();

describe('taking, listing and reading versions (rules V1, V2)', () => {
  it('a named version of the committed state lists newest first with who wrote it, and reads in every format', async () => {
    const { id, ownerKey, ada } = await documentWritten(['Hello **world**', 'Second line']);
    const first = await nameVersion(url(), id, ownerKey, '  Sent to the client  ');
    expect(first.name).toBe('Sent to the client');
    expect(Number.isNaN(Date.parse(first.createdAt))).toBe(false);

    paragraphText(ada.doc, 1).insert(0, 'Edited: ');
    await waitForAsync(async () => (await readLive(id, ownerKey)).includes('Edited: '), 'the edit is committed');
    const second = await nameVersion(url(), id, ownerKey, 'Final');

    const listed = await listVersions(url(), id, ownerKey);
    expect(listed.map((v) => [v.id, v.name])).toEqual([
      [second.id, 'Final'],
      [first.id, 'Sent to the client'],
    ]);
    expect(listed[1]!.authors).toEqual(['Ada']);
    expect(Object.keys(listed[0]!).sort()).toEqual(['authors', 'createdAt', 'id', 'name']);

    expect(await readVersion(url(), id, ownerKey, first.id, 'text')).toBe('Hello **world**\n\nSecond line\n');
    expect(await readVersion(url(), id, ownerKey, second.id, 'markdown')).toContain('Edited: Second line');
    const html = await readVersion(url(), id, ownerKey, first.id, 'html');
    expect(html).toContain('<p>Second line</p>');
    expect(html).toContain('<title>Plans</title>');
    // Both shapes at once (rule V2): the ProseMirror document, and {title, doc} as content's json.
    const json = JSON.parse(await readVersion(url(), id, ownerKey, first.id, 'json')) as { type: string; content: unknown[]; title: string; doc: { type: string; content: unknown[] } };
    expect(json.type).toBe('doc');
    expect(json.content).toHaveLength(2);
    expect(json.title).toBe('Plans');
    expect(json.doc).toEqual({ type: json.type, content: json.content });
  });

  it('unknown versions are 404, unknown formats and empty names 400, requests without a key 401', async () => {
    const { id, ownerKey } = await documentWritten(['x']);
    const version = await nameVersion(url(), id, ownerKey, 'v');
    expect((await versionsCall(url(), id, ownerKey, { path: '/nope?format=text' })).status).toBe(404);
    expect((await versionsCall(url(), id, ownerKey, { method: 'POST', path: '/nope/restore' })).status).toBe(404);
    expect((await versionsCall(url(), id, ownerKey, { path: `/${version.id}?format=docx` })).status).toBe(400);
    expect((await versionsCall(url(), id, ownerKey, { method: 'POST', body: { name: '  ' } })).status).toBe(400);
    expect((await versionsCall(url(), id, ownerKey, { method: 'POST', body: { name: 'x'.repeat(201) } })).status).toBe(400);
    expect((await versionsCall(url(), id, null)).status).toBe(401);
    const other = await createDoc(url());
    expect((await versionsCall(url(), other.id, other.ownerKey, { path: `/${version.id}?format=text` })).status).toBe(404);
  });

  it('view and comment keys list, read and compare, but cannot name or restore (rule V2)', async () => {
    const { id, ownerKey } = await documentWritten(['keep me']);
    const version = await nameVersion(url(), id, ownerKey, 'v1');
    for (const role of ['view', 'comment'] as const) {
      const { key } = await createLink(url(), id, ownerKey, { role });
      expect((await listVersions(url(), id, key)).map((v) => v.id)).toEqual([version.id]);
      expect(await readVersion(url(), id, key, version.id, 'text')).toBe('keep me\n');
      const named = await versionsCall(url(), id, key, { method: 'POST', body: { name: 'mine' } });
      expect(named.status).toBe(403);
      expect((await versionsCall(url(), id, key, { method: 'POST', path: `/${version.id}/restore` })).status).toBe(403);
    }
    const edit = await createLink(url(), id, ownerKey, { role: 'edit' });
    expect((await versionsCall(url(), id, edit.key, { method: 'POST', body: { name: 'by an editor' } })).status).toBe(201);
    expect((await listVersions(url(), id, ownerKey)).map((v) => v.name)).toEqual(['by an editor', 'v1']);
  });
});

/** The live document as plain text, through a fresh named version's reading (the server's committed state). */
async function readLive(id: string, key: string): Promise<string> {
  const fresh = new Y.Doc();
  const client = connectClient(file.server.wsUrl, id, key);
  try {
    await waitFor(() => client.provider.synced, 'a reader synced');
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(client.doc));
    return paragraphs(fresh).join('\n');
  } finally {
    client.destroy();
    fresh.destroy();
  }
}

describe('automatic versions (rule V3)', () => {
  it('when the last person leaves, a version records what changed and who changed it (not who only read)', async () => {
    const { id, ownerKey } = await createDoc(url());
    const grace = connectClient(file.server.wsUrl, id, ownerKey);
    grace.provider.awareness.setLocalStateField('user', { name: 'Grace' });
    await waitFor(() => grace.provider.synced, 'Grace synced');
    writeParagraphs(grace.doc, ['by Grace', 'deleted']);
    grace.doc.getXmlFragment(CONTENT_FIELD).delete(1, 1);
    // Someone who reads and changes nothing (a stock client still sends what it has after syncing).
    const idle = connectClient(file.server.wsUrl, id, ownerKey);
    idle.provider.awareness.setLocalStateField('user', { name: 'Idle Reader' });
    await until(idle, ['by Grace'], 'committed');
    idle.destroy();
    grace.destroy();
    await waitForAsync(async () => (await listVersions(url(), id, ownerKey)).length === 1, 'an automatic version after everyone left');
    const [version] = await listVersions(url(), id, ownerKey);
    expect(version).toMatchObject({ name: null, authors: ['Grace'] });
    expect(await readVersion(url(), id, ownerKey, version!.id, 'text')).toBe('by Grace\n');
  });
});

describe('automatic versions on a running server (rule V3)', () => {
  it('after a pause in editing (VERSION_PAUSE_SECONDS), while the writer stays connected', async () => {
    const server = await startServer({ config: { versionPauseSeconds: 1 } });
    try {
      const { id, ownerKey } = await createDoc(server.url);
      const ada = connectClient(server.wsUrl, id, ownerKey);
      try {
        ada.provider.awareness.setLocalStateField('user', { name: 'Ada' });
        await waitFor(() => ada.provider.synced, 'Ada synced');
        writeParagraphs(ada.doc, ['paused here']);
        await waitForAsync(async () => (await listVersions(server.url, id, ownerKey)).length === 1, 'a version after the pause');
        const [version] = await listVersions(server.url, id, ownerKey);
        expect(version).toMatchObject({ name: null, authors: ['Ada'] });
        expect(await readVersion(server.url, id, ownerKey, version!.id, 'text')).toBe('paused here\n');
      } finally {
        ada.destroy();
      }
    } finally {
      await server.stop();
    }
  });
});

describe('restoring (rule V6)', () => {
  it('the live document becomes the version for everyone, what two people type during and after lands on top, all converge, and the state before is kept', async () => {
    const { seed, gen } = seededRandom('restore while typing');
    const { id, ownerKey, ada, observer } = await documentWritten(['Alpha paragraph', 'Beta paragraph', 'Gamma paragraph']);
    const v1 = await nameVersion(url(), id, ownerKey, 'three paragraphs');
    const { key: editKey } = await createLink(url(), id, ownerKey, { role: 'edit' });
    const bo = person(id, editKey, 'Bo');
    const cy = person(id, editKey, 'Cy');
    await waitFor(() => bo.provider.synced && cy.provider.synced, 'Bo and Cy synced');

    // Changes after v1 that the restore takes away: a removed paragraph, an added one, a new title.
    ada.doc.transact(() => {
      paragraphText(ada.doc, 0).insert(0, 'ZZZ ');
      ada.doc.getXmlFragment(CONTENT_FIELD).delete(1, 1);
      ada.doc.getText(TITLE_FIELD).insert(5, ' (draft)');
    });
    writeParagraphs(ada.doc, ['QQQ added later']);
    const changed = ['ZZZ Alpha paragraph', 'Gamma paragraph', 'QQQ added later'];
    for (const c of [bo, cy, observer]) await until(c, changed, 'everyone has the changes');

    // Bo and Cy type (lower-case letters only, inserting) while the restore runs.
    let typing = true;
    const typeRandomly = (c: Client) => {
      const loop = () => {
        if (!typing) return;
        const count = c.doc.getXmlFragment(CONTENT_FIELD).length;
        const text = paragraphText(c.doc, prng.uint32(gen, 0, count - 1));
        text.insert(prng.uint32(gen, 0, text.length), prng.word(gen, 1, 3).replace(/[^a-z]/g, 'x').toLowerCase() || 'x');
        setTimeout(loop, 2);
      };
      loop();
    };
    typeRandomly(bo);
    typeRandomly(cy);
    const before = await restoreVersion(url(), id, ownerKey, v1.id);
    typing = false;

    // Everyone sees the restore: the removed paragraph is back, the later ones gone (whatever was typed into them concurrently aside).
    for (const c of [ada, bo, cy]) {
      await waitFor(() => paragraphs(c.doc).some((p) => p.includes('Beta')) && !paragraphs(c.doc).join('').includes('ZZZ'), `seed ${seed}: the restore reaches everyone`);
      expect(c.doc.getText(TITLE_FIELD).toString()).toBe('Plans');
    }
    const converged = () => [ada, bo, cy].every((c) => JSON.stringify(fragmentJson(c.doc)) === JSON.stringify(fragmentJson(bo.doc)));
    await waitFor(converged, `seed ${seed}: the concurrent typing settles`);
    // Now they type on top of the restored text.
    paragraphText(bo.doc, 0).insert(0, 'BO-AFTER ');
    const last = cy.doc.getXmlFragment(CONTENT_FIELD).length - 1;
    paragraphText(cy.doc, last).insert(paragraphText(cy.doc, last).length, ' CY-AFTER');
    await waitFor(() => converged() && paragraphs(ada.doc).join('\n').includes('BO-AFTER') && paragraphs(ada.doc).join('\n').includes('CY-AFTER'), `seed ${seed}: everyone converges`);
    const text = paragraphs(ada.doc).join('\n');
    expect(text.startsWith('BO-AFTER ')).toBe(true);
    expect(text.endsWith(' CY-AFTER')).toBe(true);
    expect(text).not.toContain('ZZZ');
    expect(text).not.toContain('QQQ');
    // The restored text is all there, with at most concurrent insertions in between.
    expect(isSubsequence('Alpha paragraphBeta paragraphGamma paragraph', text.replace(/\n/g, ''))).toBe(true);

    // A cold load equals the replicas.
    const cold = connectClient(file.server.wsUrl, id, ownerKey);
    try {
      await waitFor(() => cold.provider.synced, 'cold load');
      await waitFor(() => JSON.stringify(fragmentJson(cold.doc)) === JSON.stringify(fragmentJson(ada.doc)), `seed ${seed}: the cold load equals the replicas`);
    } finally {
      cold.destroy();
    }

    // The state before the restore was kept, named, with who changed it; restoring it brings the changes back.
    const listed = await listVersions(url(), id, ownerKey);
    const kept = listed.find((v) => v.id === before.id);
    expect(kept?.name).toBe('Before restoring “three paragraphs”');
    // Ada's changes; Bo's and Cy's typing too if it was committed before the restore began.
    expect(kept?.authors).toContain('Ada');
    expect(kept?.authors.every((name) => ['Ada', 'Bo', 'Cy'].includes(name))).toBe(true);
    // (Random typing inserts lower-case letters anywhere, so the markers are checked without them.)
    const capitals = (text: string) => text.replace(/[a-z]/g, '');
    expect(capitals(await readVersion(url(), id, ownerKey, before.id, 'text'))).toMatch(/^ZZZ.*QQQ/s);
    await restoreVersion(url(), id, ownerKey, before.id);
    await waitFor(() => /^ZZZ.*QQQ/s.test(capitals(paragraphs(bo.doc).join('\n'))), 'restoring the state before brings the changes back');
    expect(bo.doc.getText(TITLE_FIELD).toString()).toBe('Plans (draft)');
  });

  it('comment threads made after the version stay when it is restored', async () => {
    const { id, ownerKey, ada } = await documentWritten(['one']);
    const v1 = await nameVersion(url(), id, ownerKey, 'before the comment');
    const posted = await fetch(`${url()}/api/docs/${id}/comments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'a thread', quote: 'one' }),
    });
    expect(posted.status).toBe(201);
    await waitFor(() => ada.doc.getMap('comments').size > 0, 'the comment arrives');
    await restoreVersion(url(), id, ownerKey, v1.id);
    const threads = (await (await fetch(`${url()}/api/docs/${id}/comments`, { headers: { authorization: `Bearer ${ownerKey}` } })).json()) as Array<{ body: string }>;
    expect(threads.map((t) => t.body)).toEqual(['a thread']);
  });
});

function isSubsequence(needle: string, haystack: string): boolean {
  let i = 0;
  for (const ch of haystack) if (ch === needle[i]) i++;
  return i === needle.length;
}

describe('versions and the rest of the document (rule V5)', () => {
  it('compaction of the update log keeps every version readable', async () => {
    const { id, ownerKey, ada, observer } = await documentWritten(['start']);
    const v1 = await nameVersion(url(), id, ownerKey, 'small');
    // Far past the compaction floor (64 KiB of log), in many updates.
    for (let i = 0; i < 300; i++) writeParagraphs(ada.doc, [`line ${i} ${'x'.repeat(300)}`]);
    await waitFor(() => paragraphs(observer.doc).length === 301, 'everything committed', 20_000);
    const metrics = async () => Number(/tandem_compactions_total (\d+)/.exec(await (await fetch(`${url()}/metrics`)).text())?.[1] ?? 0);
    await waitForAsync(async () => (await metrics()) > 0, 'a compaction ran', 20_000);
    expect(await readVersion(url(), id, ownerKey, v1.id, 'text')).toBe('start\n');
    const v2 = await nameVersion(url(), id, ownerKey, 'big');
    expect((await readVersion(url(), id, ownerKey, v2.id, 'text')).split('\n\n')).toHaveLength(301);
  });

  it('deleting the document deletes its versions', async () => {
    const dataDir = tempDir();
    const storage = createSqliteStorage({ dataDir });
    const server = await startServer({ dataDir, overrides: { storage } });
    try {
      const { id, ownerKey } = await createDoc(server.url);
      await nameVersion(server.url, id, ownerKey, 'one');
      await nameVersion(server.url, id, ownerKey, 'two');
      expect(await storage.versions.list(id as never)).toHaveLength(2);
      expect((await fetch(`${server.url}/api/docs/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ownerKey}` } })).status).toBe(204);
      expect(await storage.versions.list(id as never)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
