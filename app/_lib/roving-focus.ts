/**
 * The WAI-ARIA toolbar pattern's keyboard rule: one tab stop, arrow keys move between items
 * (wrapping), Home and End jump to the ends. Returns the index to focus, or null for keys the
 * toolbar leaves alone (docs/PROTOCOL.md, rule E3).
 */
export function rovingTarget(key: string, current: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case 'ArrowRight':
      return (current + 1) % count;
    case 'ArrowLeft':
      return (current - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}
