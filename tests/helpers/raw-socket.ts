import { WebSocket } from 'ws';
import * as decoding from 'lib0/decoding';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** A plain `ws` socket that records what it receives, for speaking the protocol by hand. */
export class RawSocket {
  readonly ws: WebSocket;
  readonly frames: Uint8Array[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data: Buffer) => this.frames.push(new Uint8Array(data)));
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  }

  send(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** The reason of the first auth "permission denied" frame received, if any. */
  permissionDenied(): string | null {
    for (const frame of this.frames) {
      const decoder = decoding.createDecoder(frame);
      if (decoding.readVarUint(decoder) !== 2) continue;
      if (decoding.readVarUint(decoder) !== 0) continue;
      return decoding.readVarString(decoder);
    }
    return null;
  }
}
