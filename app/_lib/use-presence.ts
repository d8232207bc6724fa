/** The people present on a document, from the provider's awareness, this browser first. */
import { useEffect, useState } from 'react';
import type { WebsocketProvider } from 'y-websocket';

export interface Person {
  readonly clientId: number;
  readonly name: string;
  readonly color: string;
  readonly self: boolean;
}

function readPeople(provider: WebsocketProvider): Person[] {
  const selfId = provider.awareness.clientID;
  const people: Person[] = [];
  for (const [clientId, state] of provider.awareness.getStates()) {
    const user: unknown = state.user;
    if (typeof user !== 'object' || user === null) continue;
    const { name, color } = user as Record<string, unknown>;
    if (typeof name !== 'string' || typeof color !== 'string') continue;
    people.push({ clientId, name: name.slice(0, 40), color, self: clientId === selfId });
  }
  return people.sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
}

export function usePresence(provider: WebsocketProvider | null): Person[] {
  const [people, setPeople] = useState<Person[]>([]);
  useEffect(() => {
    if (!provider) return;
    const update = () => setPeople(readPeople(provider));
    update();
    // 'change' fires only when someone's state actually changed, not on every heartbeat.
    provider.awareness.on('change', update);
    return () => provider.awareness.off('change', update);
  }, [provider]);
  return people;
}
