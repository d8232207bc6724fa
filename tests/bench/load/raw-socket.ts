/**
 * A minimal WebSocket client (RFC 6455) for the light clients: a TCP socket, the upgrade
 * handshake, and a frame parser, without `ws`'s streams and events. Receiving through `ws` cost
 * the load generator about 3 µs per frame; hundreds of receivers on one core made the load
 * generator, not the server, the bottleneck. Binary messages only, no extensions.
 *
 * Frames it sends are masked with an all-zero key: masking is mandatory for clients, any key is
 * valid, and a zero key leaves the payload as is, so it is not copied.
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

const OP_CONTINUATION = 0x0;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

export interface RawSocketHandlers {
  open(): void;
  message(payload: Buffer): void;
  close(code: number, reason: string): void;
  error(error: Error): void;
}

export class RawSocket {
  private readonly socket: Socket;
  private buffer: Buffer | null = null;
  private upgraded = false;
  private fragments: Buffer[] = [];
  private closed = false;
  private open = false;
  private corked = false;

  constructor(url: string, private readonly on: RawSocketHandlers) {
    const parsed = new URL(url);
    const path = `${parsed.pathname}${parsed.search}`;
    this.socket = connect({ host: parsed.hostname, port: Number(parsed.port) }, () => {
      this.socket.setNoDelay(true);
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${parsed.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => this.on.error(error));
    this.socket.on('close', () => this.finish(1006, 'connection lost'));
  }

  get isOpen(): boolean {
    return this.open && !this.closed;
  }

  /**
   * Frames sent in one tick leave in one write: a durable-writes writer sends up to thousands of
   * frames per acknowledgement, and a syscall each cost the load generator more than the server.
   */
  send(payload: Uint8Array): void {
    if (!this.isOpen) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame(OP_BINARY, payload));
  }

  close(): void {
    if (this.closed) return;
    if (this.open) this.socket.write(frame(OP_CLOSE, Uint8Array.of(0x03, 0xe8)));
    this.socket.end();
    this.finish(1000, 'closed by the client');
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.socket.destroy();
    this.on.close(code, reason);
  }

  private onData(chunk: Buffer): void {
    let data = this.buffer === null ? chunk : Buffer.concat([this.buffer, chunk]);
    this.buffer = null;
    if (!this.upgraded) {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        this.buffer = data;
        return;
      }
      const head = data.subarray(0, end).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101')) {
        this.on.error(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        this.finish(1002, 'upgrade refused');
        return;
      }
      this.upgraded = true;
      this.open = true;
      this.on.open();
      data = data.subarray(end + 4);
    }
    let offset = 0;
    while (offset + 2 <= data.length) {
      const b0 = data[offset]!;
      const b1 = data[offset + 1]!;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (offset + 4 > data.length) break;
        length = data.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (offset + 10 > data.length) break;
        length = Number(data.readBigUInt64BE(offset + 2));
        header = 10;
      }
      if (b1 & 0x80) header += 4; // servers do not mask, but tolerate it
      if (offset + header + length > data.length) break;
      let payload = data.subarray(offset + header, offset + header + length);
      if (b1 & 0x80) {
        const mask = data.subarray(offset + header - 4, offset + header);
        payload = Buffer.from(payload.map((byte, i) => byte ^ mask[i & 3]!));
      }
      offset += header + length;
      this.onFrame(b0 & 0x80 ? true : false, b0 & 0x0f, payload);
      if (this.closed) return;
    }
    if (offset < data.length) this.buffer = Buffer.from(data.subarray(offset));
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP_BINARY:
      case OP_CONTINUATION: {
        if (!fin) {
          this.fragments.push(Buffer.from(payload));
          return;
        }
        if (this.fragments.length > 0) {
          this.fragments.push(payload);
          payload = Buffer.concat(this.fragments);
          this.fragments = [];
        }
        this.on.message(payload);
        return;
      }
      case OP_PING:
        this.socket.write(frame(OP_PONG, payload));
        return;
      case OP_CLOSE: {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        const reason = payload.subarray(2).toString('utf8');
        if (this.open) this.socket.write(frame(OP_CLOSE, payload.subarray(0, 2)));
        this.socket.end();
        this.finish(code, reason);
        return;
      }
      default:
        return; // pong, text: nothing to do
    }
  }
}

/** A final, masked (zero key) frame. */
function frame(opcode: number, payload: Uint8Array): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + 4 + length);
  out[0] = 0x80 | opcode;
  if (header === 2) out[1] = 0x80 | length;
  else if (header === 4) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  out.writeUInt32BE(0, header);
  out.set(payload, header + 4);
  return out;
}
