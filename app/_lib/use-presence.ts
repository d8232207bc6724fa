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

function samePeople(a: readonly Person[], b: readonly Person[]): boolean {
  return a.length === b.length && a.every((p, i) => p.clientId === b[i]!.clientId && p.name === b[i]!.name && p.color === b[i]!.color && p.self === b[i]!.self);
}

export function usePresence(provider: WebsocketProvider | null): Person[] {
  const [people, setPeople] = useState<Person[]>([]);
  useEffect(() => {
    if (!provider) return;
    let shown: Person[] = [];
    const update = () => {
      const next = readPeople(provider);
      if (samePeople(next, shown)) return;
      shown = next;
      setPeople(next);
    };
    update();
    // 'change' fires with every caret move (the cursor is in the same state); the list above
    // re-renders only when someone comes, goes or changes name or colour.
    provider.awareness.on('change', update);
    return () => provider.awareness.off('change', update);
  }, [provider]);
  return people;
}
