import { describe, expect, it } from 'vitest';
import { DEFAULT_PRESENCE_LIMITS, Presence, REMOTE_TTL_MS } from '../../server/rooms/presence';
import { ProtocolError } from '../../server/protocol/frames';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const alice = {};
const bob = {};

describe('Presence', () => {
  it('lets a connection set the ids it introduced', () => {
    const presence = new Presence();
    const changed = presence.apply(alice, [{ clientId: 1, clock: 1, state: json({ name: 'A' }) }], 0);
    expect(changed.map((e) => e.clientId)).toEqual([1]);
    expect(presence.present()).toHaveLength(1);
  });

  it('drops entries for ids another live connection owns (the stock echo)', () => {
    const presence = new Presence();
    presence.apply(alice, [{ clientId: 1, clock: 1, state: json({ name: 'A' }) }], 0);
    expect(presence.apply(bob, [{ clientId: 1, clock: 1, state: json({ name: 'A' }) }], 0)).toEqual([]);
    expect(presence.apply(bob, [{ clientId: 1, clock: 9, state: json({ name: 'forged' }) }], 0)).toEqual([]);
    expect(presence.apply(bob, [{ clientId: 1, clock: 9, state: null }], 0)).toEqual([]);
    expect(new TextDecoder().decode(presence.present()[0]!.state!)).toContain('"A"');
  });

  it('tells a renewal (the state held, byte for byte) from a change (rule P9)', () => {
    const presence = new Presence();
    const entry = (clock: number, state: Uint8Array | null) => ({ clientId: 1, clock, state });
    expect(presence.isRenewal(entry(1, json({ name: 'A' })))).toBe(false); // nobody held yet
    presence.apply(alice, [entry(1, json({ name: 'A' }))], 0);
    expect(presence.isRenewal(entry(2, json({ name: 'A' })))).toBe(true);
    expect(presence.isRenewal(entry(2, json({ name: 'A', cursor: 3 })))).toBe(false);
    expect(presence.isRenewal(entry(2, json({ name: 'B' })))).toBe(false); // same length, other bytes
    expect(presence.isRenewal(entry(2, null))).toBe(false); // a removal
    presence.apply(alice, [entry(2, null)], 0);
    expect(presence.isRenewal(entry(3, json({ name: 'A' })))).toBe(false); // back after leaving
  });

  it('applies only newer clocks, and a same-clock removal', () => {
    const presence = new Presence();
    presence.apply(alice, [{ clientId: 1, clock: 3, state: json({ n: 3 }) }], 0);
    expect(presence.apply(alice, [{ clientId: 1, clock: 2, state: json({ n: 2 }) }], 0)).toEqual([]);
    expect(presence.apply(alice, [{ clientId: 1, clock: 3, state: json({ n: 3 }) }], 0)).toEqual([]);
    expect(presence.apply(alice, [{ clientId: 1, clock: 3, state: null }], 0)).toHaveLength(1);
    expect(presence.present()).toEqual([]);
  });

  it('releases a leaving connection’s ids with removals that keep the clock', () => {
    const presence = new Presence();
    presence.apply(alice, [{ clientId: 1, clock: 4, state: json({}) }], 0);
    presence.apply(bob, [{ clientId: 2, clock: 1, state: json({}) }], 0);
    expect(presence.release(alice, 0)).toEqual([{ clientId: 1, clock: 4, state: null }]);
    expect(presence.present().map((e) => e.clientId)).toEqual([2]);
    // An echo of the removal, or of the old state, claims nothing.
    expect(presence.apply(bob, [{ clientId: 1, clock: 4, state: null }], 0)).toEqual([]);
    expect(presence.apply(bob, [{ clientId: 1, clock: 4, state: json({}) }], 0)).toEqual([]);
    // The same client, back on a new connection with a newer clock, is itself again.
    expect(presence.apply(alice, [{ clientId: 1, clock: 5, state: json({}) }], 0)).toHaveLength(1);
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
    expect(() => presence.apply(alice, [{ clientId: 1, clock: 1, state: new TextEncoder().encode('{x') }], 0)).toThrow(ProtocolError);
  });

  describe('limits (rules P3–P5)', () => {
    const limits = { ...DEFAULT_PRESENCE_LIMITS, maxClientsPerConnection: 2, maxClientsIntroducedPerConnection: 3, maxStateBytes: 64, maxClientsPerDocument: 3 };

    it('refuses a state over the byte limit', () => {
      const presence = new Presence(limits);
      expect(() => presence.apply(alice, [{ clientId: 1, clock: 1, state: json({ pad: 'x'.repeat(100) }) }], 0)).toThrow(/over 64 bytes/);
    });

    it('refuses more client ids at once than one connection may own', () => {
      const presence = new Presence(limits);
      presence.apply(alice, [{ clientId: 1, clock: 1, state: json({}) }, { clientId: 2, clock: 1, state: json({}) }], 0);
      expect(() => presence.apply(alice, [{ clientId: 3, clock: 1, state: json({}) }], 0)).toThrow(/too many presence client ids/);
    });

    it('counts every id a connection ever introduced, so removing and re-adding cannot grow memory', () => {
      const presence = new Presence(limits);
      for (const clientId of [1, 2, 3]) {
        presence.apply(alice, [{ clientId, clock: 1, state: json({}) }], 0);
        presence.apply(alice, [{ clientId, clock: 2, state: null }], 0);
      }
      expect(() => presence.apply(alice, [{ clientId: 4, clock: 1, state: json({}) }], 0)).toThrow(/too many presence client ids/);
    });

    it('drops newcomers (without closing them) once the document is full, and takes them once there is room', () => {
      const presence = new Presence(limits);
      const carol = {};
      const dave = {};
      presence.apply(alice, [{ clientId: 1, clock: 1, state: json({}) }, { clientId: 2, clock: 1, state: json({}) }], 0);
      presence.apply(bob, [{ clientId: 3, clock: 1, state: json({}) }], 0);
      expect(presence.apply(carol, [{ clientId: 4, clock: 1, state: json({}) }], 0)).toEqual([]);
      // Those already present keep updating.
      expect(presence.apply(bob, [{ clientId: 3, clock: 2, state: json({ moved: true }) }], 0)).toHaveLength(1);
      presence.release(alice, 0);
      expect(presence.apply(dave, [{ clientId: 5, clock: 1, state: json({}) }], 0)).toHaveLength(1);
    });
  });

  describe('entries from other instances (rule P6)', () => {
    it('a local connection cannot overwrite or remove another instance\'s client', () => {
      const presence = new Presence();
      presence.applyRemote('instance-b', [{ clientId: 7, clock: 1, state: json({ name: 'Bea' }) }], 0);
      expect(presence.apply(alice, [{ clientId: 7, clock: 9, state: json({ name: 'forged' }) }], 0)).toEqual([]);
      expect(presence.apply(alice, [{ clientId: 7, clock: 9, state: null }], 0)).toEqual([]);
      expect(new TextDecoder().decode(presence.present()[0]!.state!)).toContain('Bea');
      // Another instance cannot take it either; its own instance can change it.
      expect(presence.applyRemote('instance-c', [{ clientId: 7, clock: 9, state: json({ name: 'forged' }) }], 0)).toEqual([]);
      expect(presence.applyRemote('instance-b', [{ clientId: 7, clock: 2, state: json({ name: 'Bea 2' }) }], 0)).toHaveLength(1);
    });

    it('expires entries of an instance that stopped renewing them', () => {
      const presence = new Presence();
      presence.applyRemote('instance-b', [{ clientId: 7, clock: 1, state: json({}) }], 0);
      presence.applyRemote('instance-c', [{ clientId: 8, clock: 1, state: json({}) }], 0);
      presence.applyRemote('instance-c', [{ clientId: 8, clock: 2, state: json({}) }], REMOTE_TTL_MS - 1);
      expect(presence.expireRemote(REMOTE_TTL_MS)).toEqual([{ clientId: 7, clock: 1, state: null }]);
      expect(presence.present().map((e) => e.clientId)).toEqual([8]);
      // Once removed, the id can be claimed by whoever has it now.
      expect(presence.apply(alice, [{ clientId: 7, clock: 2, state: json({}) }], REMOTE_TTL_MS)).toHaveLength(1);
    });
  });
});
