import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDoc, serverForFile, createLink, type RunningServer } from '../helpers/tandem';
import { RawSocket } from '../helpers/raw-socket';
import { nextEvent, waitFor } from '../helpers/wait';

const file = serverForFile({ beforeAll, afterAll });
const open = file.open;
let server: RunningServer;
beforeAll(() => {
  server = file.server;
});

async function refusedWith(path: string): Promise<{ code: number; reason: string; denied: string | null }> {
  const socket = new RawSocket(`${server.wsUrl}/${path}`);
  const closed = await socket.closed;
  return { ...closed, denied: socket.permissionDenied() };
}

describe('access by link keys', () => {
  it('refuses a missing key, a wrong key and another document’s key with 4401 and a reason', async () => {
    const { id } = await createDoc(server.url);
    const other = await createDoc(server.url);
    for (const path of [`${id}`, `${id}?key=wrong`, `${id}?key=${other.ownerKey}`]) {
      const refused = await refusedWith(path);
      expect(refused.code, path).toBe(4401);
      expect(refused.denied, path).toMatch(/permission denied/);
    }
  });

  it('says nothing about whether a document exists', async () => {
    const missing = await refusedWith('NoSuchDocument?key=whatever');
    const { id } = await createDoc(server.url);
    const existing = await refusedWith(`${id}?key=whatever`);
    expect(missing).toEqual(existing);
  });

  it('refuses an invalid document id with 4404 and the rule', async () => {
    const refused = await refusedWith(`${'x'.repeat(65)}?key=k`);
    expect(refused.code).toBe(4404);
    expect(refused.reason).toMatch(/1 to 64 characters/);
  });

  it('a stock client stops reconnecting after a refusal', async () => {
    const { id } = await createDoc(server.url);
    const client = open(id, 'wrong');
    const [closed] = await nextEvent<[{ code: number }]>(client.provider, 'closed');
    expect(closed.code).toBe(4401);
    expect(client.provider.shouldConnect).toBe(false);
  });

  it('drops every change from a view key, live and in storage', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const view = await createLink(server.url, id, ownerKey, { role: 'view' });
    const editor = open(id, ownerKey);
    const viewer = open(id, view.key);
    await waitFor(() => editor.provider.synced && viewer.provider.synced, 'synced');
    editor.text.insert(0, 'by the editor');
    await waitFor(() => viewer.text.toString() === 'by the editor', 'viewer sees edits live');
    viewer.text.insert(0, 'VIEWER WAS HERE ');
    // The viewer may show presence, which also proves its socket is open and served.
    viewer.provider.awareness.setLocalStateField('user', { name: 'Viewer' });
    await waitFor(() => editor.provider.awareness.getStates().has(viewer.doc.clientID), 'viewer presence relayed');
    editor.text.insert(editor.text.length, '.');
    await waitFor(() => viewer.text.toString().endsWith('by the editor.'), 'later edits still reach the viewer');
    expect(editor.text.toString()).toBe('by the editor.');
    const fresh = open(id, ownerKey);
    await waitFor(() => fresh.provider.synced && fresh.text.toString() === 'by the editor.', 'a fresh client sees only the editor text');
  });

  it('revoking a link closes its live sockets with 4403 and refuses it afterwards', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const edit = await createLink(server.url, id, ownerKey, { role: 'edit' });
    const owner = open(id, ownerKey);
    const guest = open(id, edit.key);
    await waitFor(() => guest.provider.synced && owner.provider.synced, 'synced');
    const closed = nextEvent<[{ code: number; reason: string }]>(guest.provider, 'closed', 1_000);
    const res = await fetch(`${server.url}/api/docs/${id}/links/${edit.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ownerKey}` } });
    expect(res.status).toBe(204);
    const [event] = await closed;
    expect(event.code).toBe(4403);
    expect(owner.provider.wsconnected).toBe(true);
    const again = await refusedWith(`${id}?key=${edit.key}`);
    expect(again.code).toBe(4403);
    expect(again.denied).toMatch(/revoked/);
  });

  it('an expiring link works until its expiry, then closes with 4403 and is refused', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const link = await createLink(server.url, id, ownerKey, { role: 'edit', expiresAt });
    const guest = open(id, link.key);
    const closed = nextEvent<[{ code: number; reason: string }]>(guest.provider, 'closed', 5_000);
    await waitFor(() => guest.provider.synced, 'guest synced before expiry');
    const [event] = await closed;
    expect(event.code).toBe(4403);
    expect(event.reason).toMatch(/expired/);
    const again = await refusedWith(`${id}?key=${link.key}`);
    expect(again.code).toBe(4403);
    expect(again.denied).toMatch(/expired/);
  });
});
