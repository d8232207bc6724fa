'use client';

import { useEffect, useRef, useState } from 'react';
import { initials } from '../_lib/identity';
import type { Person } from '../_lib/use-presence';

const MAX_SHOWN = 5;

/** The people here, as coloured initials; your own avatar opens a box to change your name. */
export function PresenceRow({ people, onRename }: { people: Person[]; onRename: (name: string) => void }) {
  const [editing, setEditing] = useState(false);
  const shown = people.slice(0, MAX_SHOWN);
  const hidden = people.slice(MAX_SHOWN);
  const others = people.filter((p) => !p.self).length;

  return (
    <div className="presence" data-testid="presence" role="group" aria-label={`${others} other ${others === 1 ? 'person' : 'people'} here`}>
      <ul className="avatars">
        {shown.map((person) => (
          <li key={person.clientId}>
            {person.self ? (
              <button
                type="button"
                className="avatar avatar-self"
                style={{ backgroundColor: person.color }}
                aria-label={`You (${person.name}). Change your name`}
                title={`${person.name} (you) · click to change your name`}
                aria-expanded={editing}
                onClick={() => setEditing((open) => !open)}
                data-name={person.name}
              >
                {initials(person.name)}
              </button>
            ) : (
              <span className="avatar" style={{ backgroundColor: person.color }} title={person.name} data-name={person.name} role="img" aria-label={person.name}>
                {initials(person.name)}
              </span>
            )}
          </li>
        ))}
        {hidden.length > 0 ? (
          <li>
            <span className="avatar avatar-more" title={hidden.map((p) => p.name).join(', ')}>
              +{hidden.length}
            </span>
          </li>
        ) : null}
      </ul>
      {editing ? (
        <NameEditor
          initial={people.find((p) => p.self)?.name ?? ''}
          onDone={(name) => {
            if (name !== null) onRename(name);
            setEditing(false);
          }}
        />
      ) : null}
    </div>
  );
}

function NameEditor({ initial, onDone }: { initial: string; onDone: (name: string | null) => void }) {
  const [name, setName] = useState(initial);
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => inputRef.current?.select(), []);
  return (
    <form
      className="popover name-editor"
      onSubmit={(event) => {
        event.preventDefault();
        onDone(name);
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onDone(null);
      }}
    >
      <label htmlFor="your-name">Your name, as others see it</label>
      <div className="popover-row">
        <input id="your-name" ref={inputRef} value={name} maxLength={40} onChange={(e) => setName(e.currentTarget.value)} />
        <button type="submit" className="button button-primary" disabled={!name.trim()}>
          Save
        </button>
      </div>
    </form>
  );
}
