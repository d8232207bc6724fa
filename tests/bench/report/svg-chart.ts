/** A small hand-written SVG line chart: a few series of (x, y) points, linear or log axes. */

export interface Series {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  /** Draw dashed (for floors and references). */
  readonly dashed?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly logX?: boolean;
  readonly logY?: boolean;
  /** A horizontal line, e.g. a target. */
  readonly hLine?: { readonly y: number; readonly label: string };
}

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 78, right: 190, top: 44, bottom: 58 };
const PALETTE = ['#d62728', '#1f77b4', '#2ca02c', '#7f7f7f', '#9467bd', '#ff7f0e'];

export function lineChart(options: LineChartOptions): string {
  const points = options.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const ys = points.map((p) => p.y).concat(options.hLine ? [options.hLine.y] : []);
  const xs = points.map((p) => p.x);
  const xScale = axis(xs, options.logX ?? false, MARGIN.left, WIDTH - MARGIN.right);
  const yScale = axis(ys, options.logY ?? false, HEIGHT - MARGIN.bottom, MARGIN.top, true);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2 - MARGIN.right / 2 + MARGIN.left / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(options.title)}</text>`,
  );
  // Grid and ticks.
  for (const tick of xScale.ticks) {
    const x = xScale.map(tick);
    parts.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${HEIGHT - MARGIN.bottom}" stroke="#eee"/>`,
      `<text x="${x}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${esc(tickText(tick))}</text>`,
    );
  }
  for (const tick of yScale.ticks) {
    const y = yScale.map(tick);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH - MARGIN.right}" y2="${y}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${esc(tickText(tick))}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${WIDTH - MARGIN.left - MARGIN.right}" height="${HEIGHT - MARGIN.top - MARGIN.bottom}" fill="none" stroke="#999"/>`,
    `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 16}" text-anchor="middle">${esc(options.xLabel)}</text>`,
    `<text transform="translate(18 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`,
  );
  if (options.hLine) {
    const y = yScale.map(options.hLine.y);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH - MARGIN.right}" y2="${y}" stroke="#000" stroke-dasharray="2 4"/>`,
      `<text x="${WIDTH - MARGIN.right - 4}" y="${y - 5}" text-anchor="end" fill="#333">${esc(options.hLine.label)}</text>`,
    );
  }
  options.series.forEach((series, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const valid = series.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    const path = valid.map((p, j) => `${j === 0 ? 'M' : 'L'}${xScale.map(p.x).toFixed(1)},${yScale.map(p.y).toFixed(1)}`).join(' ');
    if (path) {
      parts.push(
        `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    for (const p of valid) {
      parts.push(`<circle cx="${xScale.map(p.x).toFixed(1)}" cy="${yScale.map(p.y).toFixed(1)}" r="3.5" fill="${color}"/>`);
    }
    const ly = MARGIN.top + 10 + i * 20;
    const lx = WIDTH - MARGIN.right + 14;
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 28}" y="${ly + 4}">${esc(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

interface Axis {
  map(value: number): number;
  ticks: number[];
}

function axis(values: readonly number[], log: boolean, from: number, to: number, zeroBased = false): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (log) {
    lo = 10 ** Math.floor(Math.log10(lo || 1));
    hi = 10 ** Math.ceil(Math.log10(hi || 10));
    if (hi <= lo) hi = lo * 10;
    const ticks: number[] = [];
    for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
      for (const m of [1, 2, 5]) if (decade * m >= lo && decade * m <= hi * 1.0001) ticks.push(decade * m);
    }
    const l0 = Math.log10(lo);
    const l1 = Math.log10(hi);
    return { map: (v) => from + ((Math.log10(Math.max(v, lo)) - l0) / (l1 - l0)) * (to - from), ticks };
  }
  if (zeroBased) lo = Math.min(0, lo);
  if (hi === lo) hi = lo + 1;
  const step = niceStep((hi - lo) / 6);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { map: (v) => from + ((v - lo) / (hi - lo)) * (to - from), ticks };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function tickText(value: number): string {
  if (Math.abs(value) >= 1e6) return `${value / 1e6}M`;
  if (Math.abs(value) >= 1e3) return `${value / 1e3}k`;
  return String(Number(value.toPrecision(3)));
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
