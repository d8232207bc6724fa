/** What a scenario hands to the report. */

export interface TargetResult {
  readonly scenario: string;
  /** The target as the issue states it. */
  readonly target: string;
  /** Tandem's figure, formatted. */
  readonly ours: string;
  /** The reference it is compared with, formatted (a peer's figure, or the absolute bound). */
  readonly reference: string;
  /** ours / reference, formatted; '' when not a ratio. */
  readonly ratio: string;
  /** null when it could not be measured (say why in `note`). */
  readonly met: boolean | null;
  readonly note?: string;
}

export interface Chart {
  /** File name under charts/. */
  readonly file: string;
  readonly svg: string;
  readonly caption: string;
}

export interface ScenarioOutput {
  readonly id: string;
  readonly title: string;
  /** Method, tables and notes, in Markdown (no top heading). */
  readonly markdown: string;
  readonly targets: readonly TargetResult[];
  readonly charts: readonly Chart[];
  /** Runs that failed (lost messages, divergence, errors): a failed run is a failed benchmark. */
  readonly failures: readonly string[];
  readonly raw: unknown;
}
