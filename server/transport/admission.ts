import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory } from 'rate-limiter-flexible';

/** Limits on what anyone may ask of the server before a key is checked (docs/PROTOCOL.md, rules H1–H4). */
export interface AdmissionOptions {
  /** Open WebSocket connections, over every client. */
  readonly maxConnections: number;
  /** Open WebSocket connections from one IP address. */
  readonly maxConnectionsPerIp: number;
  /** WebSocket upgrades and keyed API requests one IP may make per minute. */
  readonly requestsPerMinutePerIp: number;
  /** Documents one IP may create per hour. */
  readonly docsPerHourPerIp: number;
  /** Origins (`https://host[:port]`) besides the server's own whose pages may use the API and open sockets. */
  readonly allowedOrigins: readonly string[];
  /** Take the client address from the last `X-Forwarded-For` entry (set when a reverse proxy adds it). */
  readonly trustProxy: boolean;
}

export type Refusal = { readonly status: number; readonly reason: string };

/** Normalizes an origin or host for comparison: lower case, no trailing slash. */
function normalize(value: string): string {
  return value.trim().toLowerCase().replace(/\/+$/, '');
}

/**
 * Who may connect, and how often: the origin check, rate limits and connection counts. Each
 * check answers before any key is looked at or any document is loaded, so a flood costs the
 * server a counter, not memory.
 */
export class Admission {
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private readonly requests: RateLimiterMemory;
  private readonly creations: RateLimiterMemory;
  private readonly allowed: ReadonlySet<string>;

  constructor(private readonly options: AdmissionOptions) {
    this.requests = new RateLimiterMemory({ points: options.requestsPerMinutePerIp, duration: 60 });
    this.creations = new RateLimiterMemory({ points: options.docsPerHourPerIp, duration: 3600 });
    this.allowed = new Set(options.allowedOrigins.map(normalize));
  }

  /** The address limits are counted against. */
  clientIp(req: IncomingMessage): string {
    if (this.options.trustProxy) {
      const forwarded = req.headers['x-forwarded-for'];
      const last = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').at(-1)?.trim();
      if (last) return last;
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  /**
   * Whether a request's `Origin` may use this server: no Origin (not a browser), the server's own
   * origin (same host), or a configured one. Browsers always send Origin on cross-origin requests
   * and WebSocket upgrades, so another site's page cannot act with a visitor's browser.
   */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    const ownHost = req.headers['x-forwarded-host'] && this.options.trustProxy ? String(req.headers['x-forwarded-host']) : req.headers.host;
    if (ownHost && normalize(host) === normalize(ownHost)) return true;
    return this.allowed.has(normalize(origin));
  }

  /** The origin to echo in CORS headers, if the request comes from a configured one. */
  corsOrigin(req: IncomingMessage): string | null {
    const origin = req.headers.origin;
    return origin !== undefined && this.allowed.has(normalize(origin)) ? origin : null;
  }

  /** Counts one keyed request or upgrade from this IP; a refusal when over the rate. */
  async request(ip: string): Promise<Refusal | null> {
    try {
      await this.requests.consume(ip);
      return null;
    } catch {
      return { status: 429, reason: 'too many requests from this address; slow down' };
    }
  }

  /** Counts one document creation from this IP; a refusal when over the rate. */
  async creation(ip: string): Promise<Refusal | null> {
    try {
      await this.creations.consume(ip);
      return null;
    } catch {
      return { status: 429, reason: 'too many new documents from this address; try again later' };
    }
  }

  /**
   * Reserves a connection slot; returns the function that frees it, or a refusal. The slot is
   * held for the connection's whole life, whatever state it is in.
   */
  connect(ip: string): (() => void) | Refusal {
    if (this.total >= this.options.maxConnections) return { status: 503, reason: 'the server is at its connection limit' };
    const count = this.perIp.get(ip) ?? 0;
    if (count >= this.options.maxConnectionsPerIp) return { status: 429, reason: 'too many connections from this address' };
    this.total++;
    this.perIp.set(ip, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
    };
  }
}
