/**
 * What a key lets its holder do. `owner` may also manage the document's links and delete it;
 * `edit` changes the text; `comment` reads and comments; `view` reads. Every role shows presence.
 */
export type Role = 'owner' | 'edit' | 'comment' | 'view';
/** Roles a share link can grant. */
export type LinkRole = Exclude<Role, 'owner'>;
export const LINK_ROLES: readonly LinkRole[] = ['edit', 'comment', 'view'];
export const ROLES: readonly Role[] = ['owner', ...LINK_ROLES];

/** May change the document's text. */
export function canEdit(role: Role): boolean {
  return role === 'owner' || role === 'edit';
}

/** May add, reply to and resolve comments. */
export function canComment(role: Role): boolean {
  return role !== 'view';
}
