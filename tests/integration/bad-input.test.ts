import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, createDoc, startServer, type Client, type RunningServer } from '../helpers/tandem';
import { frame } from '../helpers/frames';
import { RawSocket } from '../helpers/raw-socket';
import { waitFor } from '../helpers/wait';

let server: RunningServer;
const MAX_FRAME = 64 * 1024;

beforeAll(async () => {
  server = await startServer({ config: { maxFrameBytes: MAX_FRAME } });
});
afterAll(async () => {
  await server.stop();
});

/** Issue 687's update: makes Y.mergeUpdatesV2 loop forever (field note 4). */
const ISSUE_687 = Buffer.from('00010000000001000100010200001602000001fdffffffff7f0000', 'hex');

const MALFORMED: Array<[string, Uint8Array | string]> = [
  ['an empty frame', new Uint8Array()],
  ['an unknown message type', frame(42)],
  ['an unknown sync step', frame(0, 7, new Uint8Array([0]))],
  ['a truncated sync frame', new Uint8Array([0, 2, 50, 1, 2])],
  ['a garbage Yjs update', frame(0, 2, new Uint8Array([255, 255, 255, 255, 1, 2, 3]))],
  ['a garbage awareness update', frame(1, new Uint8Array([5, 1]))],
  ['awareness state that is not JSON', frame(1, frame(1, 1234, 1, new TextEncoder().encode('{nope')))],
  ['a text frame', 'hello'],
];

describe('bad input', () => {
  it.each(MALFORMED)('%s closes only that connection, with 4400 and a reason', async (_name, bytes) => {
    const { id, ownerKey } = await createDoc(server.url);
    const bystander = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => bystander.provider.synced, 'bystander synced');
    const bad = new RawSocket(`${server.wsUrl}/${id}?key=${ownerKey}`);
    await bad.opened;
    bad.send(bytes);
    const closed = await bad.closed;
    expect(closed.code).toBe(4400);
    expect(closed.reason.length).toBeGreaterThan(5);
    // The document and the other connection carry on.
    bystander.text.insert(0, 'still here');
    const other = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => other.text.toString() === 'still here', 'document still served');
    expect(bystander.provider.wsconnected).toBe(true);
    bystander.destroy();
    other.destroy();
  });

  it('takes the issue-687 update (which hangs Y.mergeUpdatesV2) in its stride', async () => {
    // Yjs reads it as a valid update that changes nothing; the server must neither hang on it
    // nor store anything that breaks a later load.
    const { id, ownerKey } = await createDoc(server.url);
    const sender = new RawSocket(`${server.wsUrl}/${id}?key=${ownerKey}`);
    await sender.opened;
    sender.send(frame(0, 2, ISSUE_687));
    const writer = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => writer.provider.synced, 'writer synced');
    writer.text.insert(0, 'after 687');
    const reader = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => reader.text.toString() === 'after 687', 'document still served and loadable');
    sender.ws.close();
    writer.destroy();
    reader.destroy();
  });

  it('closes a connection whose frame is over the limit with 1009', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const bystander: Client = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => bystander.provider.synced, 'bystander synced');
    const big = new RawSocket(`${server.wsUrl}/${id}?key=${ownerKey}`);
    await big.opened;
    big.send(frame(0, 2, new Uint8Array(MAX_FRAME + 1)));
    expect((await big.closed).code).toBe(1009);
    bystander.text.insert(0, 'fine');
    const other = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => other.text.toString() === 'fine', 'server still serving');
    bystander.destroy();
    other.destroy();
  });

  it('serves other documents while a client misbehaves', async () => {
    const calm = await createDoc(server.url);
    const noisy = await createDoc(server.url);
    const a = connectClient(server.wsUrl, calm.id, calm.ownerKey);
    await waitFor(() => a.provider.synced, 'a synced');
    const sockets = Array.from({ length: 10 }, () => new RawSocket(`${server.wsUrl}/${noisy.id}?key=${noisy.ownerKey}`));
    await Promise.all(sockets.map((s) => s.opened));
    sockets.forEach((s, i) => s.send(MALFORMED[i % MALFORMED.length]![1]));
    await Promise.all(sockets.map((s) => s.closed));
    a.text.insert(0, 'calm');
    const b = connectClient(server.wsUrl, calm.id, calm.ownerKey);
    await waitFor(() => b.text.toString() === 'calm', 'calm document unaffected');
    a.destroy();
    b.destroy();
  });
});
