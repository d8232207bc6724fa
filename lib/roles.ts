/** What a key lets its holder do. `owner` may also manage the document's links. */
export type Role = 'owner' | 'edit' | 'view';
/** Roles a share link can grant. */
export type LinkRole = Exclude<Role, 'owner'>;

export function canEdit(role: Role): boolean {
  return role !== 'view';
}
