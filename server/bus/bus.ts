import type { DocId } from '../../lib/doc-id';

/** What server instances tell each other about a document. */
export type BusMessage =
  /** An update already committed to shared storage by the publishing instance. */
  | { readonly kind: 'update'; readonly docId: DocId; readonly update: Uint8Array }
  /** An awareness update (y-protocols encoding) from the publishing instance's clients. */
  | { readonly kind: 'awareness'; readonly docId: DocId; readonly update: Uint8Array }
  /** A link was revoked: close its connections. */
  | { readonly kind: 'revoke'; readonly docId: DocId; readonly linkId: string }
  /** The document was deleted: close every connection to it. */
  | { readonly kind: 'delete'; readonly docId: DocId }
  /** The publisher just opened the document: answer with the presence of your clients (rule P8). */
  | { readonly kind: 'presence-query'; readonly docId: DocId };

/** Receives a message and the id of the instance that published it. */
export type BusHandler = (message: BusMessage, from: string) => void;

/**
 * The one relay seam between server instances. Delivery is best effort and never to the
 * publishing instance itself. Whenever messages may have been lost, on either side (a dropped
 * subscriber connection, or publishes this instance failed to send), the affected subscribers'
 * `onGap` is called so they can reload from storage; `publish` itself never reports failure.
 * Every implementation passes tests/contract/bus-contract.ts.
 */
export interface Bus {
  /** This instance's id, as handlers on other instances receive it. */
  readonly instanceId: string;
  publish(message: BusMessage): void;
  /** Resolves once messages for docId published from now on are delivered to handler; rejects if the bus cannot say so. */
  subscribe(docId: DocId, handler: BusHandler, onGap: () => void): Promise<() => void>;
  /** Resolves while the bus can deliver (for /healthz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
