/** How automatic versions are thinned with age; named versions are always kept (rule V4). */
export interface RetentionPolicy {
  /** Every automatic version younger than this is kept. */
  readonly keepAllMs: number;
  /** Past keepAllMs and younger than this, the newest automatic version of each hour is kept; older, the newest of each day. */
  readonly hourlyUntilMs: number;
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export const DEFAULT_RETENTION: RetentionPolicy = { keepAllMs: DAY_MS, hourlyUntilMs: 7 * DAY_MS };

interface Thinnable {
  readonly id: string;
  readonly createdAt: Date;
  readonly name: string | null;
}

/**
 * The ids of automatic versions `policy` no longer keeps at `now`: in each hour (then each day,
 * in UTC) past the keep-all window, all but the newest. `versions` is in any order.
 */
export function versionsToThin(versions: readonly Thinnable[], now: number, policy: RetentionPolicy): string[] {
  const newestFirst = [...versions].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const keptBuckets = new Set<string>();
  const thinned: string[] = [];
  for (const version of newestFirst) {
    if (version.name !== null) continue;
    const at = version.createdAt.getTime();
    const age = now - at;
    if (age < policy.keepAllMs) continue;
    const bucket = age < policy.hourlyUntilMs ? `h${Math.floor(at / HOUR_MS)}` : `d${Math.floor(at / DAY_MS)}`;
    if (keptBuckets.has(bucket)) thinned.push(version.id);
    else keptBuckets.add(bucket);
  }
  return thinned;
}
