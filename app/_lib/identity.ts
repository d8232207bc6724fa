/** Who this browser is to other people: a name it picked and a colour that stays the same. */

import { newCommentId } from '../../lib/comments/comment-id';

export interface Identity {
  readonly name: string;
  /** `#rrggbb`: CollaborationCaret ignores any other form. */
  readonly color: string;
}

const NAME_KEY = 'tandem:name';
const COLOR_KEY = 'tandem:color';
const AUTHOR_ID_KEY = 'tandem:author-id';

/** Saturated enough for white label text, distinct from each other in both themes. */
export const PALETTE = [
  '#d6336c', '#ae3ec9', '#7048e8', '#4263eb', '#1c7ed6', '#1098ad',
  '#0c8599', '#2b8a3e', '#5c940d', '#e8590c', '#c2255c', '#862e9c',
] as const;

const ADJECTIVES = ['Curious', 'Gentle', 'Brave', 'Quiet', 'Clever', 'Sunny', 'Swift', 'Witty', 'Calm', 'Bold', 'Merry', 'Keen'];
const ANIMALS = ['Otter', 'Heron', 'Fox', 'Panda', 'Lynx', 'Koala', 'Falcon', 'Badger', 'Dolphin', 'Owl', 'Hare', 'Wren'];

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

export function randomName(): string {
  return `${pick(ADJECTIVES)} ${pick(ANIMALS)}`;
}

/** Reads (creating on first use) this browser's identity from localStorage. */
export function loadIdentity(): Identity {
  let name = localStorage.getItem(NAME_KEY)?.trim();
  if (!name) {
    name = randomName();
    localStorage.setItem(NAME_KEY, name);
  }
  let color = localStorage.getItem(COLOR_KEY);
  if (!color || !/^#[0-9a-f]{6}$/i.test(color)) {
    color = pick(PALETTE);
    localStorage.setItem(COLOR_KEY, color);
  }
  return { name, color };
}

/** Remembers a new name; blank names are refused so others always see someone. */
export function saveName(name: string): string {
  const trimmed = name.trim().slice(0, 40);
  if (trimmed) localStorage.setItem(NAME_KEY, trimmed);
  return trimmed;
}

/** One or two letters for an avatar. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? `${words[0]?.[0] ?? ''}${words[words.length - 1]?.[0] ?? ''}` : name.slice(0, 2);
  return letters.toUpperCase() || '?';
}

/**
 * A random id for this browser, stored with its comments so that it can offer to edit and
 * delete its own. There are no accounts: this is a courtesy, not a permission.
 */
export function loadAuthorId(): string {
  let id = localStorage.getItem(AUTHOR_ID_KEY);
  if (!id) {
    id = newCommentId();
    localStorage.setItem(AUTHOR_ID_KEY, id);
  }
  return id;
}
