import { deflateRawSync, inflateRawSync } from 'node:zlib';
import * as Y from 'yjs';

/**
 * What a version's stored bytes are: the document's whole state (`Y.encodeStateAsUpdate`),
 * deflated. A full state, not a delta from the version before, so any version reads alone and
 * thinning can delete any of them; deflate takes most of the cost back, because a Yjs update
 * is mostly client ids, clocks and the text itself (docs/VERSIONS.md has the measurements).
 */
export function encodeVersionContent(state: Uint8Array): Uint8Array {
  return deflateRawSync(state, { level: 6 });
}

/** The Yjs state a version's bytes hold. */
export function decodeVersionContent(content: Uint8Array): Uint8Array {
  return inflateRawSync(content);
}

/** A fresh Y.Doc holding a version's state; the caller destroys it. */
export function versionDoc(content: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, decodeVersionContent(content));
  return doc;
}
