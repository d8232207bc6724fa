import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createDoc, serverForFile, type RunningServer } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

const file = serverForFile({ beforeAll, afterAll });
const open = file.open;
let server: RunningServer;
beforeAll(() => {
  server = file.server;
});

describe('sync with stock y-websocket clients', () => {
  it('converges edits both ways', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const a = open(id, ownerKey);
    const b = open(id, ownerKey);
    await waitFor(() => a.provider.synced && b.provider.synced, 'both synced');
    a.text.insert(0, 'from a. ');
    b.doc.getXmlFragment('default').insert(0, [new Y.XmlElement('paragraph')]);
    await waitFor(() => b.text.toString() === 'from a. ' && a.doc.getXmlFragment('default').length === 1, 'both edits on both sides');
    b.text.insert(b.text.length, 'from b.');
    await waitFor(() => a.text.toString() === 'from a. from b.', 'b → a');
    expect(Y.encodeStateVector(a.doc)).toEqual(Y.encodeStateVector(b.doc));
  });

  it('syncs a late joiner with everything written before it came', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const a = open(id, ownerKey);
    await waitFor(() => a.provider.synced, 'a synced');
    for (let i = 0; i < 50; i++) a.text.insert(a.text.length, `${i},`);
    await waitFor(() => a.provider.synced, 'a synced');
    const late = open(id, ownerKey);
    await waitFor(() => late.text.toString() === a.text.toString(), 'late joiner has the whole text');
  });

  it('relays presence and removes it when a client leaves', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const a = open(id, ownerKey);
    const b = open(id, ownerKey);
    await waitFor(() => a.provider.synced && b.provider.synced, 'both synced');
    a.provider.awareness.setLocalStateField('user', { name: 'Ada', color: '#f00' });
    const aId = a.doc.clientID;
    await waitFor(() => (b.provider.awareness.getStates().get(aId) as { user?: { name: string } } | undefined)?.user?.name === 'Ada', 'b sees Ada');
    // A newcomer gets the presence that is already there.
    const c = open(id, ownerKey);
    await waitFor(() => c.provider.awareness.getStates().has(aId), 'c sees Ada on join');
    a.provider.disconnect();
    await waitFor(() => !b.provider.awareness.getStates().has(aId) && !c.provider.awareness.getStates().has(aId), 'Ada removed when she left');
  });

  it('keeps documents apart', async () => {
    const one = await createDoc(server.url);
    const two = await createDoc(server.url);
    const a = open(one.id, one.ownerKey);
    const b = open(two.id, two.ownerKey);
    const a2 = open(one.id, one.ownerKey);
    await waitFor(() => a.provider.synced && b.provider.synced && a2.provider.synced, 'synced');
    a.text.insert(0, 'only in one');
    await waitFor(() => a2.text.toString() === 'only in one', 'doc one relayed');
    b.text.insert(0, 'two');
    await waitFor(() => b.provider.synced, 'b synced');
    const b2 = open(two.id, two.ownerKey);
    await waitFor(() => b2.text.toString() === 'two', 'doc two has only its own text');
    expect(a2.text.toString()).toBe('only in one');
  });
});
