/** The versions API as the app calls it (validated where it enters, like app/_lib/api.ts). */
import * as z from 'zod/mini';
import type { PMJson } from '../../lib/version-diff';
import { request } from './api';
import { docPath } from './http';

const listedVersion = z.object({ id: z.string(), createdAt: z.string(), name: z.nullable(z.string()), authors: z.array(z.string()) });
const namedVersion = z.object({ id: z.string(), createdAt: z.string(), name: z.string() });
const pmJson: z.ZodMiniType<PMJson> = z.looseObject({ type: z.string() }) as unknown as z.ZodMiniType<PMJson>;

export type ListedVersion = z.infer<typeof listedVersion>;

const versionsPath = (docId: string) => `${docPath(docId)}/versions`;

export function listVersions(docId: string, key: string): Promise<ListedVersion[]> {
  return request(versionsPath(docId), z.array(listedVersion), { key });
}

export function nameVersion(docId: string, key: string, name: string): Promise<z.infer<typeof namedVersion>> {
  return request(versionsPath(docId), namedVersion, { method: 'POST', key, body: JSON.stringify({ name }) });
}

/** A version's content as ProseMirror JSON. */
export function readVersion(docId: string, key: string, versionId: string): Promise<PMJson> {
  return request(`${versionsPath(docId)}/${encodeURIComponent(versionId)}?format=json`, pmJson, { key });
}

/** Restores a version; resolves with the id of the version that keeps the state before. */
export function restoreVersion(docId: string, key: string, versionId: string): Promise<{ id: string }> {
  return request(`${versionsPath(docId)}/${encodeURIComponent(versionId)}/restore`, z.object({ id: z.string() }), { method: 'POST', key });
}
