import { randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * A WebSocket client written by hand on a TCP socket, for behaving as no library would: it
 * finishes the opening handshake, then writes whatever it is told, ignoring anything the server
 * says, close frames included.
 */
export class HostileSocket {
  private readonly socket: net.Socket;
  readonly upgraded: Promise<void>;
  readonly gone: Promise<void>;

  constructor(wsUrl: string) {
    const url = new URL(wsUrl);
    this.socket = net.connect(Number(url.port), url.hostname);
    this.socket.on('error', () => {});
    this.gone = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.upgraded = new Promise((resolve, reject) => {
      this.socket.once('connect', () => {
        this.socket.write(
          `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      this.socket.once('data', (chunk: Buffer) => {
        if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) resolve();
        else reject(new Error(`upgrade refused: ${chunk.toString('latin1').split('\r\n')[0]}`));
      });
      this.socket.once('close', () => reject(new Error('closed before the upgrade')));
    });
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** Writes one masked binary frame; resolves once the kernel took it, false if the socket is gone. */
  writeFrame(payload: Uint8Array): Promise<boolean> {
    const header = Buffer.alloc(14);
    header[0] = 0x82; // FIN, binary
    header[1] = 0x80 | 127; // masked, 64-bit length
    header.writeBigUInt64BE(BigInt(payload.length), 2);
    header.writeUInt32BE(0, 10); // an all-zero mask leaves the payload as it is
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(false);
      this.socket.write(Buffer.concat([header, payload]), (error) => resolve(!error && !this.socket.destroyed));
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
