import type { DocLog } from './doc-log';
import type { LinkStore } from './link-store';
import type { VersionStore } from './version-store';

/**
 * One database opened for the server: the seams it provides, each a small interface with its
 * own contract suite, plus what the process needs to watch and close it.
 */
export interface Storage {
  readonly log: DocLog;
  readonly links: LinkStore;
  readonly versions: VersionStore;
  /** Resolves if the database answers (for /healthz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
