/**
 * The HTTP plumbing every API call shares, with no validator library: the document page loads it
 * up front, while the validators of the answers only dialogs need load with those dialogs.
 * Failures become an `ApiError` carrying the HTTP status, so screens can tell "refused" from "offline".
 */

/** `status` 0 means the request never got an answer (offline, server down). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export const docPath = (docId: string) => `/api/docs/${encodeURIComponent(docId)}`;

export type ApiInit = RequestInit & { key?: string };

/** The server's own words for a refusal (`{ error }`), else a generic message with the status. */
function refusalMessage(body: unknown, status: number): string {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  return typeof error === 'string' ? error : `Request failed (${status}).`;
}

/** Sends a request and resolves with a successful response; anything else rejects with `ApiError`. */
export async function send(path: string, init: ApiInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('Authorization', `Bearer ${init.key}`);
  if (init.body) headers.set('Content-Type', 'application/json');
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'The server could not be reached.');
  }
  if (!res.ok) throw new ApiError(res.status, refusalMessage(await res.json().catch(() => null), res.status));
  return res;
}

/** The answer's JSON body (`undefined` for 204), checked by `accept`, which returns null to refuse it. */
export async function sendForJson<T>(path: string, accept: (body: unknown) => T | null, init: ApiInit = {}): Promise<T> {
  const res = await send(path, init);
  const body: unknown = res.status === 204 ? undefined : await res.json().catch(() => null);
  const accepted = accept(body);
  if (accepted === null) throw new ApiError(res.status, 'The server sent an answer this page does not understand.');
  return accepted;
}
