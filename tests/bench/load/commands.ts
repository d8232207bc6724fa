/** The commands the orchestrator sends to a load-generator process, and their answers. */
import type { HistogramJson } from '../harness/stats';
import type { DocTarget } from '../peers/peers';

export type LoadCommand =
  | {
      readonly kind: 'connect';
      readonly targets: readonly DocTarget[];
      readonly clientsPerTarget: number;
      readonly presence: boolean;
      /**
       * y-websocket clients re-send every presence entry they receive, as the stock
       * `WebsocketProvider` does (the default), or send only their own, as Tandem's app client
       * (`lib/own-presence-provider.ts`) does. Hocuspocus clients never re-send.
       */
      readonly echoPresence?: boolean;
      /** The first clients of each document use the stock client library; the rest are light clients. */
      readonly stockPerTarget: number;
      /** Light clients per document that keep what they receive, to rebuild the text at the end. */
      readonly keptPerTarget: number;
      /** Connections opened at once. */
      readonly concurrency: number;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'type';
      /** Edits per second over all clients, each a one-character insert by a client in turn. */
      readonly rate: number;
      readonly durationMs: number;
      /** How long to wait, after the last edit, for every delivery. */
      readonly drainTimeoutMs: number;
      /** Only the first `writers` clients of each document type (all when undefined). */
      readonly writers?: number;
    }
  | { readonly kind: 'verify'; readonly timeoutMs: number }
  | { readonly kind: 'close'; readonly timeoutMs: number }
  | {
      readonly kind: 'replay';
      readonly target: DocTarget;
      /** A concurrent trace's name (friendsforever, clownschool). */
      readonly trace: string;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'durable';
      /** One writer per document; targets carry Tandem's \`saved=1\` parameter. */
      readonly targets: readonly DocTarget[];
      readonly durationMs: number;
      /** Edits a writer may have sent and not yet seen acknowledged as durable. */
      readonly window: number;
      /** Updates per second over all writers; as fast as acknowledgements allow when undefined. */
      readonly rate?: number;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'cold-load';
      readonly target: DocTarget;
      readonly timeoutMs: number;
      /** A file holding the document's snapshot, to time `Y.applyUpdate` of it here as the reference. */
      readonly snapshotFile?: string;
      readonly returnText?: boolean;
      /**
       * Wait past \`synced\` until the text has this length: the reference y-websocket server
       * answers sync before its persistence has loaded the document, so \`synced\` can come first.
       */
      readonly expectedLength?: number;
    };

export type ReplayCommand = Extract<LoadCommand, { kind: 'replay' }>;
export type ColdLoadCommand = Extract<LoadCommand, { kind: 'cold-load' }>;

export interface TypeResult {
  readonly edits: number;
  /** Deliveries expected: every edit reaching every other client of its document. */
  readonly expected: number;
  readonly delivered: number;
  readonly latency: HistogramJson;
  readonly wallMs: number;
  /** CPU the load generator itself used over the step, as a share of one core (0 to 1). */
  readonly loadCpuShare: number;
  /** Achieved edit rate (edits sent / typing time). */
  readonly achievedRate: number;
}

export interface DurableResult {
  /** Edits acknowledged durable. */
  readonly committed: number;
  readonly sent: number;
  /** From the first edit to the last acknowledgement. */
  readonly wallMs: number;
  /** When the first edit was sent and the last acknowledgement came, on the machine's clock (performance.timeOrigin-based). */
  readonly startedAtEpochMs: number;
  readonly endedAtEpochMs: number;
  /** Send to durable acknowledgement, per edit. */
  readonly latency: HistogramJson;
  readonly loadCpuShare: number;
  /** Updates the load generator had to make during the run (0 unless the server outran what was made beforehand). */
  readonly preparedWhileMeasuring: number;
}

export interface VerifyResult {
  readonly converged: boolean;
  readonly clients: number;
  readonly detail: string;
}

export interface ReplayResult {
  /** From the first edit to every agent's client holding the end content. */
  readonly ms: number;
  readonly txns: number;
  readonly agents: number;
  /** Whether each agent's client ended with the trace's endContent. */
  readonly matches: readonly boolean[];
}

export interface ColdLoadResult {
  /** From creating the provider to its first `synced`. */
  readonly ms: number;
  readonly length: number;
  /** Median time to `Y.applyUpdate` the snapshot into a fresh Y.Doc, when a snapshot was given. */
  readonly referenceMs?: number;
  /** The first of those decodes: JIT as warm as the server's when it loads this document. */
  readonly referenceFirstMs?: number;
  /** Median time to apply it into a Y.Doc with an `update` listener, as every provider's document has. */
  readonly listenedMs?: number;
  readonly text?: string;
}

export type LoadAnswer =
  | { readonly kind: 'connected'; readonly ms: number; readonly clients: number }
  | ({ readonly kind: 'typed' } & TypeResult)
  | ({ readonly kind: 'verified' } & VerifyResult)
  | { readonly kind: 'closed'; readonly ms: number }
  | ({ readonly kind: 'replayed' } & ReplayResult)
  | ({ readonly kind: 'cold-loaded' } & ColdLoadResult)
  | ({ readonly kind: 'durable-done' } & DurableResult)
  | { readonly kind: 'error'; readonly message: string };
