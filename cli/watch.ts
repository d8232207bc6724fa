/**
 * `tandem watch`: a stock y-websocket client that prints the document's plain text each time it
 * changes, until interrupted. It reconnects by itself (with y-websocket's backoff) when the
 * connection drops, and stops with an error when the server refuses it for good (44xx).
 */
import * as decoding from 'lib0/decoding';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap';
import { contentSchema } from '../lib/content-schema';
import { toPlainText } from '../lib/content-text';
import type { ParsedLink } from '../lib/doc-link';
import { CONTENT_FIELD, CloseCode, MessageType, Paths } from '../lib/protocol';
import { checkAccess } from './api-client';
import { CliError } from './cli-error';

/** Changes within this window are printed once, as the text at its end (typing is bursty). */
const PRINT_EVERY_MS = 200;

const FATAL_REASONS: Record<number, string> = {
  [CloseCode.Unauthorized]: 'the server refused the key',
  [CloseCode.Forbidden]: 'the link was revoked or has expired',
  [CloseCode.NotFound]: 'the document id is not valid',
  [CloseCode.Gone]: 'the document was deleted',
};

export interface WatchOutput {
  /** The document's text, each time it changes. */
  text(snapshot: string): void;
  /** Connection news, for a person (stderr). */
  status(line: string): void;
}

/**
 * Watches until `signal` aborts (resolves) or the server refuses the connection for good (rejects
 * with a CliError).
 */
export async function watchDocument(link: ParsedLink, output: WatchOutput, signal: AbortSignal): Promise<void> {
  // A bad key or a server that is down is reported at once, with the HTTP API's clear reasons.
  await checkAccess(link);
  const doc = new Y.Doc();
  const wsOrigin = link.origin.replace(/^http/, 'ws');
  const provider = new WebsocketProvider(`${wsOrigin}${Paths.collab}`, link.docId, doc, {
    params: { key: link.key },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  });
  let refusal = '';
  // The stock handler prints the server's reason with console.warn; keep it for the one error line.
  provider.messageHandlers[MessageType.Auth] = (_encoder, decoder) => {
    if (decoding.readVarUint(decoder) === 0) refusal = decoding.readVarString(decoder);
  };

  let printed: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  const print = () => {
    timer = null;
    const text = toPlainText(yXmlFragmentToProseMirrorRootNode(doc.getXmlFragment(CONTENT_FIELD), contentSchema));
    if (text === printed) return;
    printed = text;
    output.text(text);
  };
  const schedule = () => {
    if (timer === null) timer = setTimeout(print, PRINT_EVERY_MS);
  };
  doc.on('update', () => {
    if (provider.synced) schedule();
  });

  let everConnected = false;
  provider.on('sync', (synced: boolean) => {
    if (!synced) return;
    output.status(everConnected ? 'reconnected' : 'connected; watching for changes (Ctrl+C to stop)');
    everConnected = true;
    // The stored document may arrive in several frames after the first sync step: print once they are in.
    schedule();
  });
  provider.on('status', ({ status }: { status: string }) => {
    if (status === 'disconnected' && everConnected) output.status('connection lost; reconnecting…');
  });

  try {
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      provider.on('closed', ({ code, reason }: { code: number; reason: string }) => {
        const why = FATAL_REASONS[code] ?? `the server closed the connection (${code})`;
        reject(new CliError(`${why}: ${refusal || reason || 'no reason given'}`));
      });
    });
  } finally {
    if (timer) clearTimeout(timer);
    provider.destroy();
    doc.destroy();
  }
}
