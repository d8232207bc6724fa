import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock';
import { connectClient, createDoc, createLink, serverForFile, startServer, type Client, type RunningServer } from '../helpers/tandem';
import { RawSocket } from '../helpers/raw-socket';
import { nextEvent, waitFor } from '../helpers/wait';

const file = serverForFile({ beforeAll, afterAll });
const open = file.open;
let server: RunningServer;
beforeAll(() => {
  server = file.server;
});

async function refusedAt(at: RunningServer, path: string): Promise<{ code: number; reason: string; denied: string | null }> {
  const socket = new RawSocket(`${at.wsUrl}/${path}`);
  const closed = await socket.closed;
  return { ...closed, denied: socket.permissionDenied() };
}
const refusedWith = (path: string) => refusedAt(server, path);

/** Clients of the tests that start their own server, destroyed after each test. */
const tracked: Client[] = [];
function track(client: Client): Client {
  tracked.push(client);
  return client;
}
afterEach(() => {
  for (const client of tracked.splice(0)) client.destroy();
});

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

  it('revoking a link closes its live sockets with 4403 at once (no timer involved) and refuses it afterwards (A5)', async () => {
    // Time stands still: the close can only come from the revocation itself, not from a
    // periodic check, so "within a second" holds on any machine.
    const clock = new ManualClock();
    const own = await startServer({ overrides: { scheduler: clock } });
    try {
      const { id, ownerKey } = await createDoc(own.url);
      const edit = await createLink(own.url, id, ownerKey, { role: 'edit' });
      const owner = track(connectClient(own.wsUrl, id, ownerKey));
      const guest = track(connectClient(own.wsUrl, id, edit.key));
      await waitFor(() => guest.provider.synced && owner.provider.synced, 'synced');
      const closed = nextEvent<[{ code: number; reason: string }]>(guest.provider, 'closed');
      const res = await fetch(`${own.url}/api/docs/${id}/links/${edit.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ownerKey}` } });
      expect(res.status).toBe(204);
      const [event] = await closed;
      expect(event.code).toBe(4403);
      expect(event.reason).toMatch(/revoked/);
      expect(owner.provider.wsconnected).toBe(true);
      const again = await refusedAt(own, `${id}?key=${edit.key}`);
      expect(again.code).toBe(4403);
      expect(again.denied).toMatch(/revoked/);
    } finally {
      await own.stop();
    }
  });

  it('an expiring link works until its expiry, then closes with 4403 and is refused (A3)', async () => {
    const clock = new ManualClock();
    const own = await startServer({ overrides: { scheduler: clock } });
    try {
      const { id, ownerKey } = await createDoc(own.url);
      const expiresAt = new Date(clock.now() + 60 * 60_000).toISOString();
      const link = await createLink(own.url, id, ownerKey, { role: 'edit', expiresAt });
      const owner = track(connectClient(own.wsUrl, id, ownerKey));
      const guest = track(connectClient(own.wsUrl, id, link.key));
      let closedWith: { code: number; reason: string } | null = null;
      guest.provider.on('closed', (event: { code: number; reason: string }) => (closedWith = event));
      await waitFor(() => guest.provider.synced && owner.provider.synced, 'both synced');

      // One millisecond before the expiry the guest still edits: its change reaches the owner.
      clock.advance(60 * 60_000 - 1);
      guest.text.insert(0, 'just in time');
      await waitFor(() => owner.text.toString() === 'just in time', 'the guest edits until its expiry');
      expect(closedWith).toBeNull();

      clock.advance(1);
      await waitFor(() => closedWith !== null, 'the guest closed at its expiry');
      expect(closedWith).toMatchObject({ code: 4403, reason: expect.stringMatching(/expired/) });
      const again = await refusedAt(own, `${id}?key=${link.key}`);
      expect(again.code).toBe(4403);
      expect(again.denied).toMatch(/expired/);
    } finally {
      await own.stop();
    }
  });
});
