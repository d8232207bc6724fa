import type { Bus } from '../bus/bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { RoomRegistry } from '../rooms/registry';
import type { Scheduler } from '../scheduler';
import type { Storage } from '../storage/storage';
import type { Admission } from '../transport/admission';
import type { Versions } from '../versions/versions';

/** What the HTTP routes work with. */
export interface ApiDeps {
  readonly storage: Storage;
  readonly registry: RoomRegistry;
  readonly bus: Bus;
  readonly admission: Admission;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  /** Largest body that carries document content (`MAX_CONTENT_BYTES`). */
  readonly maxContentBytes: number;
  readonly versions: Versions;
}
