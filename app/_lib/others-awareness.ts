/**
 * The awareness as the caret plugin sees it: a 'change' listener is called on every 'update'
 * of other people's entries instead, and never for this client's own. The plugin draws other
 * people's carets only, yet it rebuilt all of them whenever the local caret moved, which is on
 * every keystroke. Remote 'update' rather than 'change': after a local structural edit the
 * plugin hides the carets until their owners publish them again, and an owner whose caret did
 * not move republishes an equal state, which is an 'update' without a 'change'.
 */
import type { Awareness } from 'y-protocols/awareness';

type AwarenessListener = (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void;

export function othersOnly(awareness: Awareness): Awareness {
  const wrapped = new WeakMap<AwarenessListener, AwarenessListener>();
  const filter = (listener: AwarenessListener): AwarenessListener => {
    let others = wrapped.get(listener);
    if (!others) {
      others = (change, origin) => {
        const ids = [...change.added, ...change.updated, ...change.removed];
        if (ids.some((id) => id !== awareness.clientID)) listener(change, origin);
      };
      wrapped.set(listener, others);
    }
    return others;
  };
  return new Proxy(awareness, {
    get(target, prop) {
      if (prop === 'on' || prop === 'off') {
        return (name: string, listener: AwarenessListener) => {
          if (name === 'change') target[prop]('update', filter(listener));
          else (target[prop] as (n: string, l: AwarenessListener) => void)(name, listener);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
