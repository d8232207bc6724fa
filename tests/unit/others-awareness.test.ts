import { describe, expect, it } from 'vitest';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { othersOnly } from '../../app/_lib/others-awareness';

/** This browser's awareness, a peer's, and what a 'change' listener on the wrapped one heard. */
function setup() {
  const local = new Awareness(new Y.Doc());
  const peer = new Awareness(new Y.Doc());
  const heard: number[][] = [];
  const listener = (change: { added: number[]; updated: number[]; removed: number[] }) => {
    heard.push([...change.added, ...change.updated, ...change.removed]);
  };
  const wrapped = othersOnly(local);
  wrapped.on('change', listener);
  /** Sends the peer's current state to this browser, as the provider would. */
  const receive = () => applyAwarenessUpdate(local, encodeAwarenessUpdate(peer, [peer.clientID]), 'server');
  return { local, peer, heard, wrapped, listener, receive };
}

describe('othersOnly (the awareness the caret plugin sees)', () => {
  it("never calls a 'change' listener for this client's own state", () => {
    const { local, heard } = setup();
    local.setLocalStateField('cursor', { anchor: 1, head: 1 });
    local.setLocalStateField('cursor', { anchor: 2, head: 2 });
    expect(heard).toEqual([]);
  });

  it("calls it for another person's state, and again when they republish an unchanged one", () => {
    const { peer, heard, receive } = setup();
    peer.setLocalStateField('cursor', { anchor: 3, head: 3 });
    receive();
    expect(heard).toEqual([[peer.clientID]]);
    // Same state, next clock: an 'update' without a 'change', which redraws a hidden caret.
    peer.setLocalState(peer.getLocalState());
    receive();
    expect(heard).toEqual([[peer.clientID], [peer.clientID]]);
  });

  it('removes the listener it was given, and passes everything else through', () => {
    const { local, peer, heard, wrapped, listener, receive } = setup();
    expect(wrapped.clientID).toBe(local.clientID);
    expect(wrapped.getStates()).toBe(local.getStates());
    wrapped.off('change', listener);
    peer.setLocalStateField('cursor', { anchor: 4, head: 4 });
    receive();
    expect(heard).toEqual([]);
  });
});
