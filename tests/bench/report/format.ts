/** Number formatting and Markdown tables for the report. */
import type { Spread } from '../harness/stats';

/** Three significant digits, no exponent for everyday magnitudes. */
export function num(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  const fixed = value.toFixed(Math.min(decimals, 4));
  return Math.abs(value) >= 10_000 ? Number(fixed).toLocaleString('en-US') : fixed;
}

/** "median (min–max)" or just the median when there was one repetition. */
export function spreadText(s: Spread | undefined, unit = ''): string {
  if (!s || s.n === 0) return '–';
  const suffix = unit ? ` ${unit}` : '';
  if (s.n === 1 || s.min === s.max) return `${num(s.median)}${suffix}`;
  return `${num(s.median)}${suffix} (${num(s.min)}–${num(s.max)})`;
}

/** ours / reference as "0.42×". */
export function ratioText(ours: number, reference: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(reference) || reference === 0) return '–';
  return `${num(ours / reference, 2)}×`;
}

export function bytes(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1024 ** 3) return `${num(value / 1024 ** 3)} GiB`;
  if (abs >= 1024 ** 2) return `${num(value / 1024 ** 2)} MiB`;
  if (abs >= 1024) return `${num(value / 1024)} KiB`;
  return `${num(value)} B`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `| ${header.map(escape).join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function metText(met: boolean | null): string {
  if (met === null) return 'not measured';
  return met ? 'met' : '**missed**';
}
