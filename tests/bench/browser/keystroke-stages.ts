/**
 * Where a keystroke's time goes on its way to another browser's screen. Instrumentation is
 * injected into both pages before the app's scripts run (`page.addInitScript`): a WebSocket
 * subclass that stamps every Yjs update frame it sends, every frame it receives (before the
 * app's handler runs and after it returns) and every "saved" acknowledgement (message type 100,
 * sent by the server once the update is committed). A MutationObserver on each editor stamps
 * the DOM change, and one requestAnimationFrame after the remote change stamps the frame that
 * paints it. All stamps are `performance.timeOrigin + performance.now()`: one machine clock.
 */
import type { Page } from 'playwright-core';

import { Histogram } from '../harness/stats';
import { num, table } from '../report/format';

/** Stamps one page collected; each list is in time order. */
export interface PageStamps {
  readonly keydown: number[];
  /** The remote editor's DOM changed. */
  readonly mutation: number[];
  /** First animation frame after each editor mutation batch. */
  readonly frame: number[];
  /** Sync-update frames handed to `WebSocket.send`. */
  readonly updateSent: number[];
  /** Sync-update frames received: [before the app's onmessage, after it returned]. */
  readonly updateReceived: [number, number][];
  /** Saved acknowledgements received. */
  readonly savedReceived: number[];
  /** Presence (awareness) frames, stamped after the app's handler returned (the caret is drawn). */
  readonly awarenessReceived: number[];
  /** Presence (awareness) frames handed to `WebSocket.send`. */
  readonly awarenessSent: number[];
}

/** Installs the WebSocket wrapper; runs in the page before any of its scripts. */
/**
 * Runs in each page before any of its scripts. Plain JavaScript in a string: a function passed
 * to `addInitScript` would be serialized after tsx's transform, which adds helpers (`__name`)
 * the page does not have.
 */
const INIT_SCRIPT = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  const stamps = { keydown: [], mutation: [], frame: [], updateSent: [], updateReceived: [], savedReceived: [], awarenessReceived: [], awarenessSent: [] };
  window.__stamps = stamps;
  document.addEventListener('keydown', () => stamps.keydown.push(now()), true);
  // First two bytes of a frame: message type, then (for sync, type 0) the sync step; 2 = update.
  const head = (data) => {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
      : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    return bytes && bytes.length >= 2 ? [bytes[0], bytes[1]] : [-1, -1];
  };
  const Native = window.WebSocket;
  class StampedWebSocket extends Native {
    send(data) {
      const [type, step] = head(data);
      super.send(data);
      if (type === 0 && step === 2) stamps.updateSent.push(now());
      else if (type === 1) stamps.awarenessSent.push(now());
    }
    set onmessage(handler) {
      super.onmessage = handler ? (event) => {
        const at = now();
        const [type, step] = head(event.data);
        handler.call(this, event);
        if (type === 0 && step === 2) stamps.updateReceived.push([at, now()]);
        else if (type === 100) stamps.savedReceived.push(at);
        else if (type === 1) stamps.awarenessReceived.push(now());
      } : null;
    }
    get onmessage() {
      return super.onmessage;
    }
  }
  window.WebSocket = StampedWebSocket;
})();`;

/** Installs the WebSocket wrapper and the keydown stamp in every document the page opens. */
export async function instrumentPage(page: Page): Promise<void> {
  await page.addInitScript(INIT_SCRIPT);
}

/** Starts stamping the editor's mutations and the animation frame after each batch of them. */
export async function observeEditor(page: Page, selector: string): Promise<void> {
  await page.evaluate(
    (sel) => {
      const stamps = (window as unknown as { __stamps: PageStamps & { mutation: number[]; frame: number[] } }).__stamps;
      const el = document.querySelector(sel as string)!;
      let framePending = false;
      new MutationObserver(() => {
        stamps.mutation.push(performance.timeOrigin + performance.now());
        if (framePending) return;
        framePending = true;
        requestAnimationFrame(() => {
          framePending = false;
          stamps.frame.push(performance.timeOrigin + performance.now());
        });
      }).observe(el, { subtree: true, childList: true, characterData: true });
    },
    selector,
  );
}

export async function readStamps(page: Page): Promise<PageStamps> {
  return page.evaluate(() => (window as unknown as { __stamps: PageStamps }).__stamps);
}

/** The stages, in order; each is the time from the previous stamp to this one. */
export const STAGES = [
  // ProseMirror's transaction, y-prosemirror's Yjs transaction and the provider's send run
  // synchronously in the key's input handler, before the local MutationObserver can fire.
  ['local', 'keydown → update frame handed to the socket (ProseMirror and Yjs transactions, encoding)'],
  ['server', 'socket send → remote socket receive (loopback, server decode, integrate, commit, relay)'],
  ['apply', 'remote receive → remote handler returns (Y apply, y-prosemirror, ProseMirror DOM update)'],
  ['observe', 'handler returns → remote MutationObserver'],
  ['paint', 'remote mutation → next animation frame (paint)'],
] as const;
export type Stage = (typeof STAGES)[number][0];

export interface KeystrokeBreakdown {
  readonly stages: Record<Stage, Histogram>;
  /** Socket send → saved acknowledgement back at the writer (server receive, integrate, commit, ack, loopback twice). */
  readonly savedAck: Histogram;
  /** Remote update handled → the writer's presence (its moved caret) handled at the reader. */
  readonly caret: Histogram;
  /** Update frame sent → the writer's presence frame (its moved caret) sent. */
  readonly caretSent: Histogram;
  /** keydown → remote animation frame. */
  readonly total: Histogram;
  readonly matched: number;
}

export function newBreakdown(): KeystrokeBreakdown {
  const stages = Object.fromEntries(STAGES.map(([id]) => [id, new Histogram()])) as Record<Stage, Histogram>;
  return { stages, savedAck: new Histogram(), caret: new Histogram(), caretSent: new Histogram(), total: new Histogram(), matched: 0 };
}

/**
 * Adds one run's keystrokes. Keys were typed one at a time, each after the previous one was
 * rendered remotely, so the stamps of keystroke i are the first of each kind at or after its
 * keydown and before the next keydown.
 */
export function addKeystrokes(into: KeystrokeBreakdown, writer: PageStamps, reader: PageStamps): KeystrokeBreakdown {
  let matched = into.matched;
  const keys = writer.keydown;
  for (let i = 0; i < keys.length; i += 1) {
    const from = keys[i]!;
    const until = keys[i + 1] ?? Infinity;
    const first = (list: readonly number[], after: number) => list.find((t) => t >= after && t < until);
    const sent = first(writer.updateSent, from);
    const received = reader.updateReceived.find(([t]) => sent !== undefined && t >= sent && t < until);
    const observed = received && first(reader.mutation, received[1]);
    const painted = observed !== undefined ? first(reader.frame, observed) : undefined;
    if (sent === undefined || !received || observed === undefined || painted === undefined) continue;
    const saved = first(writer.savedReceived, sent);
    into.stages.local.record(sent - from);
    into.stages.server.record(received[0] - sent);
    into.stages.apply.record(received[1] - received[0]);
    into.stages.observe.record(observed - received[1]);
    into.stages.paint.record(painted - observed);
    into.total.record(painted - from);
    if (saved !== undefined) into.savedAck.record(saved - sent);
    const caret = first(reader.awarenessReceived, received[0]);
    if (caret !== undefined) into.caret.record(caret - received[1]);
    const caretSent = first(writer.awarenessSent, sent);
    if (caretSent !== undefined) into.caretSent.record(caretSent - sent);
    matched += 1;
  }
  return { ...into, matched };
}

export function breakdownTable(b: KeystrokeBreakdown): string {
  const row = (label: string, h: Histogram) => [label, `${num(h.percentile(50))} ms`, `${num(h.percentile(95))} ms`];
  return table(
    ['stage', 'p50', 'p95'],
    [
      ...STAGES.map(([id, label]) => row(label, b.stages[id])),
      row('**keydown → remote paint**', b.total),
      row('(beside) socket send → saved acknowledgement at the writer', b.savedAck),
      row("(beside) update frame sent → writer's presence frame (moved caret) sent", b.caretSent),
      row("(beside) remote update handled → writer's caret (presence frame) handled at the reader", b.caret),
    ],
  );
}
