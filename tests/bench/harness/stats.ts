/** Latency histograms and summary statistics. */

/** Bucket growth factor: 1% resolution on every percentile. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Smallest value kept apart (milliseconds); everything below shares bucket 0. */
const FLOOR_MS = 0.001;

/**
 * A log-bucketed histogram of milliseconds: constant memory whatever the sample count, 1%
 * relative error on percentiles. Serializable, and mergeable across clients and processes.
 */
export class Histogram {
  readonly counts = new Map<number, number>();
  count = 0;
  max = 0;
  sum = 0;

  record(ms: number): void {
    const value = ms < FLOOR_MS ? FLOOR_MS : ms;
    const bucket = Math.floor(Math.log(value / FLOOR_MS) / LOG_GROWTH);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.count += 1;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** The value at percentile `p` (0 to 100), NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    const buckets = [...this.counts.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const bucket of buckets) {
      seen += this.counts.get(bucket) ?? 0;
      if (seen >= rank) return Math.min(this.max, FLOOR_MS * GROWTH ** (bucket + 0.5));
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  merge(other: Histogram | HistogramJson): void {
    const entries = other instanceof Histogram ? [...other.counts] : other.counts;
    for (const [bucket, n] of entries) this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  toJSON(): HistogramJson {
    return { counts: [...this.counts], count: this.count, max: this.max, sum: this.sum };
  }

  static from(json: HistogramJson): Histogram {
    const h = new Histogram();
    h.merge(json);
    return h;
  }
}

export interface HistogramJson {
  readonly counts: readonly (readonly [number, number])[];
  readonly count: number;
  readonly max: number;
  readonly sum: number;
}

export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** Median with the range of the repetitions, the way every figure in the report is given. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite);
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
    n: finite.length,
  };
}
