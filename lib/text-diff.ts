/** The smallest single splice that turns `before` into `after` (common prefix and suffix kept). */
export interface Splice {
  readonly index: number;
  readonly deleteCount: number;
  readonly insert: string;
}

export function diffToSplice(before: string, after: string): Splice | null {
  if (before === after) return null;
  let start = 0;
  const maxStart = Math.min(before.length, after.length);
  while (start < maxStart && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  return { index: start, deleteCount: endBefore - start, insert: after.slice(start, endAfter) };
}
