import type { Storage } from '../../server/storage/storage';

/** One storage under test, empty when opened. */
export interface OpenedStorage {
  readonly storage: Storage;
  /** Opens a second Storage on the same data (same directory, same schema), after `storage` was closed. */
  reopen(): Promise<Storage>;
  /** Closes whatever is still open and deletes the data. */
  cleanup(): Promise<void>;
}
