import { describe, expect, it } from 'vitest';
import { Presence } from '../../server/rooms/presence';
import { ProtocolError } from '../../server/protocol/frames';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const alice = {};
const bob = {};

describe('Presence', () => {
  it('lets a connection set the ids it introduced', () => {
    const presence = new Presence();
    const changed = presence.apply(alice, [{ clientId: 1, clock: 1, state: json({ name: 'A' }) }]);
    expect(changed.map((e) => e.clientId)).toEqual([1]);
    expect(presence.present()).toHaveLength(1);
  });

  it('drops entries for ids another live connection owns (the stock echo)', () => {
    const presence = new Presence();
    presence.apply(alice, [{ clientId: 1, clock: 1, state: json({ name: 'A' }) }]);
    expect(presence.apply(bob, [{ clientId: 1, clock: 1, state: json({ name: 'A' }) }])).toEqual([]);
    expect(presence.apply(bob, [{ clientId: 1, clock: 9, state: json({ name: 'forged' }) }])).toEqual([]);
    expect(presence.apply(bob, [{ clientId: 1, clock: 9, state: null }])).toEqual([]);
    expect(new TextDecoder().decode(presence.present()[0]!.state!)).toContain('"A"');
  });

  it('applies only newer clocks, and a same-clock removal', () => {
    const presence = new Presence();
    presence.apply(alice, [{ clientId: 1, clock: 3, state: json({ n: 3 }) }]);
    expect(presence.apply(alice, [{ clientId: 1, clock: 2, state: json({ n: 2 }) }])).toEqual([]);
    expect(presence.apply(alice, [{ clientId: 1, clock: 3, state: json({ n: 3 }) }])).toEqual([]);
    expect(presence.apply(alice, [{ clientId: 1, clock: 3, state: null }])).toHaveLength(1);
    expect(presence.present()).toEqual([]);
  });

  it('releases a leaving connection’s ids with removals that keep the clock', () => {
    const presence = new Presence();
    presence.apply(alice, [{ clientId: 1, clock: 4, state: json({}) }]);
    presence.apply(bob, [{ clientId: 2, clock: 1, state: json({}) }]);
    expect(presence.release(alice)).toEqual([{ clientId: 1, clock: 4, state: null, owner: null, removedAt: expect.any(Number) }]);
    expect(presence.present().map((e) => e.clientId)).toEqual([2]);
    // An echo of the removal, or of the old state, claims nothing.
    expect(presence.apply(bob, [{ clientId: 1, clock: 4, state: null }])).toEqual([]);
    expect(presence.apply(bob, [{ clientId: 1, clock: 4, state: json({}) }])).toEqual([]);
    // The same client, back on a new connection with a newer clock, is itself again.
    expect(presence.apply(alice, [{ clientId: 1, clock: 5, state: json({}) }])).toHaveLength(1);
  });

  it('forgets removed clients after a while', () => {
    const presence = new Presence();
    presence.apply(alice, [{ clientId: 1, clock: 1, state: json({}) }], 0);
    presence.release(alice, 0);
    expect(presence.size).toBe(1);
    presence.prune(60_000);
    expect(presence.size).toBe(0);
  });

  it('refuses an accepted state that is not JSON', () => {
    const presence = new Presence();
    expect(() => presence.apply(alice, [{ clientId: 1, clock: 1, state: new TextEncoder().encode('{x') }])).toThrow(ProtocolError);
  });
});
