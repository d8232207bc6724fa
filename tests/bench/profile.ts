/** How big and how long each scenario runs: `--quick` (the default) or `--full`. */

export interface Profile {
  readonly name: 'quick' | 'full';
  /** Repetitions of each measurement; medians are reported with the range. */
  readonly reps: number;
  readonly fanout: {
    readonly clients: readonly number[];
    readonly presence: readonly boolean[];
    /** Edits per second over all clients (each client types in turn). */
    readonly rate: number;
    readonly durationMs: number;
  };
  readonly breaking: {
    readonly clients: number;
    readonly rates: readonly number[];
    readonly stepMs: number;
    readonly p99LimitMs: number;
    readonly reps: number;
  };
  readonly manyDocs: { readonly docs: readonly number[]; readonly settleMs: number; readonly closeWaitMs: number };
  readonly coldLoad: { readonly reps: number };
  readonly durable: { readonly durationMs: number; readonly clients: number; readonly reps: number };
  readonly traces: { readonly reps: number };
  readonly browser: { readonly keystrokes: number; readonly reps: number };
}

const RATES = [50, 100, 200, 300, 500, 700, 1000, 1400, 2000, 2800, 4000];

export const QUICK: Profile = {
  name: 'quick',
  reps: 1,
  fanout: { clients: [100, 500], presence: [false, true], rate: 100, durationMs: 1_500 },
  breaking: { clients: 500, rates: RATES, stepMs: 1_000, p99LimitMs: 50, reps: 1 },
  manyDocs: { docs: [250, 1_000], settleMs: 1_500, closeWaitMs: 6_000 },
  coldLoad: { reps: 1 },
  durable: { durationMs: 2_000, clients: 50, reps: 1 },
  traces: { reps: 1 },
  browser: { keystrokes: 60, reps: 1 },
};

/**
 * The full run. 9,950 documents rather than 10,000: with two clients each, 10,000 documents need
 * 20,000 sockets in the server process, and this VM's hard limit on open files is 20,000.
 */
export const FULL: Profile = {
  name: 'full',
  reps: 3,
  fanout: { clients: [100, 250, 500], presence: [false, true], rate: 100, durationMs: 3_000 },
  breaking: { clients: 500, rates: RATES, stepMs: 2_000, p99LimitMs: 50, reps: 3 },
  manyDocs: { docs: [1_000, 4_000, 9_950], settleMs: 5_000, closeWaitMs: 15_000 },
  coldLoad: { reps: 3 },
  durable: { durationMs: 5_000, clients: 50, reps: 3 },
  traces: { reps: 2 },
  browser: { keystrokes: 200, reps: 3 },
};
