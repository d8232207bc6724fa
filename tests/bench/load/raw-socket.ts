/**
 * A minimal WebSocket client (RFC 6455) for the light clients: a TCP socket, the upgrade
 * handshake, and a frame parser, without `ws`'s streams and events. Binary messages only, no
 * extensions.
 *
 * Receiving is the load generator's hot path (hundreds of sockets, each getting every edit), so
 * it allocates nothing per frame: the kernel's bytes land in one buffer shared by every socket
 * (`onread`, which also skips the stream machinery and its Buffer per chunk), frames are parsed
 * in place, and each message is handed over as a range of that buffer together with one
 * timestamp taken per chunk. Only a frame split across two reads is copied.
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
  /**
   * One binary message: `data[start, end)`, received at `now` (performance.now()). `data` is
   * reused as soon as this returns: copy what must be kept.
   */
  message(data: Uint8Array, start: number, end: number, now: number): void;
  close(code: number, reason: string): void;
  error(error: Error): void;
}

/** Where every socket's reads land; each read is handled before the next one starts. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export class RawSocket {
  private readonly socket: Socket;
  /** The start of a frame that did not fit in the last read (a copy). */
  private pending: Buffer | null = null;
  private upgraded = false;
  private fragments: Buffer[] = [];
  private closed = false;
  private open = false;
  private corked = false;

  constructor(url: string, private readonly on: RawSocketHandlers) {
    const parsed = new URL(url);
    const path = `${parsed.pathname}${parsed.search}`;
    this.socket = connect(
      {
        host: parsed.hostname,
        port: Number(parsed.port),
        onread: {
          buffer: READ_BUFFER,
          callback: (length: number, buffer: Uint8Array) => {
            this.onRead(buffer as Buffer, length);
            return true; // keep reading
          },
        },
      },
      () => {
        this.socket.setNoDelay(true);
        this.socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${parsed.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      },
    );
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

  private onRead(buffer: Buffer, length: number): void {
    const now = performance.now();
    let data = buffer;
    let end = length;
    if (this.pending !== null) {
      data = Buffer.concat([this.pending, buffer.subarray(0, length)]);
      end = data.length;
      this.pending = null;
    }
    let offset = 0;
    if (!this.upgraded) {
      const headEnd = data.subarray(0, end).indexOf('\r\n\r\n');
      if (headEnd < 0) {
        this.pending = Buffer.from(data.subarray(0, end));
        return;
      }
      const head = data.subarray(0, headEnd).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101')) {
        this.on.error(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        this.finish(1002, 'upgrade refused');
        return;
      }
      this.upgraded = true;
      this.open = true;
      this.on.open();
      offset = headEnd + 4;
    }
    while (offset + 2 <= end) {
      const b0 = data[offset]!;
      const b1 = data[offset + 1]!;
      let size = b1 & 0x7f;
      let header = 2;
      if (size === 126) {
        if (offset + 4 > end) break;
        size = (data[offset + 2]! << 8) | data[offset + 3]!;
        header = 4;
      } else if (size === 127) {
        if (offset + 10 > end) break;
        size = Number(data.readBigUInt64BE(offset + 2));
        header = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) header += 4; // servers do not mask, but tolerate it
      const start = offset + header;
      if (start + size > end) break;
      if (masked) for (let i = 0; i < size; i += 1) data[start + i] = data[start + i]! ^ data[start - 4 + (i & 3)]!;
      offset = start + size;
      this.onFrame((b0 & 0x80) !== 0, b0 & 0x0f, data, start, offset, now);
      if (this.closed) return;
    }
    if (offset < end) this.pending = Buffer.from(data.subarray(offset, end));
  }

  private onFrame(fin: boolean, opcode: number, data: Buffer, start: number, end: number, now: number): void {
    switch (opcode) {
      case OP_BINARY:
      case OP_CONTINUATION: {
        if (!fin) {
          this.fragments.push(Buffer.from(data.subarray(start, end)));
          return;
        }
        if (this.fragments.length > 0) {
          const whole = Buffer.concat([...this.fragments, data.subarray(start, end)]);
          this.fragments = [];
          this.on.message(whole, 0, whole.length, now);
          return;
        }
        this.on.message(data, start, end, now);
        return;
      }
      case OP_PING:
        this.socket.write(frame(OP_PONG, data.subarray(start, end)));
        return;
      case OP_CLOSE: {
        const code = end - start >= 2 ? data.readUInt16BE(start) : 1005;
        const reason = data.subarray(start + 2, end).toString('utf8');
        if (this.open) this.socket.write(frame(OP_CLOSE, data.subarray(start, start + 2)));
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
