/** Latency histograms and summary statistics. */

/** Bucket growth factor: 1% resolution on every percentile. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Smallest value kept apart (milliseconds); everything below shares bucket 0. */
const FLOOR_MS = 0.001;

/** Buckets kept: up to FLOOR_MS × GROWTH^BUCKETS, about six hours; anything longer shares the last. */
const BUCKETS = 2_400;

/**
 * A log-bucketed histogram of milliseconds: constant memory whatever the sample count, 1%
 * relative error on percentiles. Serializable, and mergeable across clients and processes.
 * Recording is on the load generator's hot path (every delivery): an array indexed by bucket.
 */
export class Histogram {
  private readonly counts: number[] = new Array<number>(BUCKETS).fill(0);
  count = 0;
  max = 0;
  sum = 0;

  record(ms: number): void {
    const value = ms < FLOOR_MS ? FLOOR_MS : ms;
    const bucket = Math.min(BUCKETS - 1, Math.floor(Math.log(value / FLOOR_MS) / LOG_GROWTH));
    this.counts[bucket]! += 1;
    this.count += 1;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** The value at percentile `p` (0 to 100), NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket += 1) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return Math.min(this.max, FLOOR_MS * GROWTH ** (bucket + 0.5));
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  merge(other: Histogram | HistogramJson): void {
    const entries = other instanceof Histogram ? other.toJSON().counts : other.counts;
    for (const [bucket, n] of entries) this.counts[Math.min(BUCKETS - 1, bucket)]! += n;
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  toJSON(): HistogramJson {
    const counts: [number, number][] = [];
    for (let bucket = 0; bucket < BUCKETS; bucket += 1) if (this.counts[bucket]! > 0) counts.push([bucket, this.counts[bucket]!]);
    return { counts, count: this.count, max: this.max, sum: this.sum };
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
