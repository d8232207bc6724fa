import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MessageType, SyncStep } from '../../lib/protocol';

/** A decoded client frame. Decoding never applies anything: deciding comes after. */
export type ClientFrame =
  | { readonly kind: 'sync-step1'; readonly stateVector: Uint8Array }
  /** Sync step 2 or an update: both carry a Yjs update and both change the document. */
  | { readonly kind: 'update'; readonly update: Uint8Array }
  | { readonly kind: 'awareness'; readonly update: Uint8Array }
  | { readonly kind: 'query-awareness' }
  /** Clients have nothing to say with auth; accepted and ignored as the reference server does. */
  | { readonly kind: 'auth' };

/** A frame the server cannot accept; the connection that sent it is closed with 4400 and this message. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Decodes one y-websocket frame, throwing ProtocolError for anything malformed or unknown. */
export function decodeClientFrame(data: Uint8Array): ClientFrame {
  try {
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MessageType.Sync: {
        const step = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        switch (step) {
          case SyncStep.Step1:
            return { kind: 'sync-step1', stateVector: payload };
          case SyncStep.Step2:
          case SyncStep.Update:
            return { kind: 'update', update: payload };
          default:
            throw new ProtocolError(`unknown sync message type ${step}`);
        }
      }
      case MessageType.Awareness:
        return { kind: 'awareness', update: decoding.readVarUint8Array(decoder) };
      case MessageType.QueryAwareness:
        return { kind: 'query-awareness' };
      case MessageType.Auth:
        return { kind: 'auth' };
      default:
        throw new ProtocolError(`unknown message type ${type}`);
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError('malformed frame: truncated or not y-websocket encoded');
  }
}

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.Sync);
    encoding.writeVarUint(e, SyncStep.Step1);
    encoding.writeVarUint8Array(e, stateVector);
  });
}

export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.Sync);
    encoding.writeVarUint(e, SyncStep.Step2);
    encoding.writeVarUint8Array(e, update);
  });
}

export function encodeUpdate(update: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.Sync);
    encoding.writeVarUint(e, SyncStep.Update);
    encoding.writeVarUint8Array(e, update);
  });
}

export function encodeAwareness(update: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.Awareness);
    encoding.writeVarUint8Array(e, update);
  });
}

/** y-protocols auth "permission denied" with a readable reason. */
export function encodePermissionDenied(reason: string): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.Auth);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, reason);
  });
}

/** Tandem's opt-in "saved" acknowledgement: the state vector of what is durably committed. */
export function encodeSaved(stateVector: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.Saved);
    encoding.writeVarUint8Array(e, stateVector);
  });
}
