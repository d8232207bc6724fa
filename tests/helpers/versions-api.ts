/** The versions HTTP API as tests call it. */

export interface ListedVersion {
  id: string;
  createdAt: string;
  name: string | null;
  authors: string[];
}

/** One request under `/api/docs/<docId>/versions` with `key` as Bearer; the body as text and, when it parses, JSON. */
export async function versionsCall(
  baseUrl: string,
  docId: string,
  key: string | null,
  init: { method?: string; path?: string; body?: unknown } = {},
): Promise<{ status: number; text: string; json: unknown }> {
  const res = await fetch(`${baseUrl}/api/docs/${docId}/versions${init.path ?? ''}`, {
    method: init.method ?? 'GET',
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Markdown, HTML and plain text are not JSON.
  }
  return { status: res.status, text, json };
}

export async function listVersions(baseUrl: string, docId: string, key: string): Promise<ListedVersion[]> {
  const answer = await versionsCall(baseUrl, docId, key);
  if (answer.status !== 200) throw new Error(`GET versions answered ${answer.status}: ${answer.text}`);
  return answer.json as ListedVersion[];
}

export async function nameVersion(baseUrl: string, docId: string, key: string, name: string): Promise<{ id: string; createdAt: string; name: string }> {
  const answer = await versionsCall(baseUrl, docId, key, { method: 'POST', body: { name } });
  if (answer.status !== 201) throw new Error(`POST versions answered ${answer.status}: ${answer.text}`);
  return answer.json as { id: string; createdAt: string; name: string };
}

export async function readVersion(baseUrl: string, docId: string, key: string, versionId: string, format: string): Promise<string> {
  const answer = await versionsCall(baseUrl, docId, key, { path: `/${versionId}?format=${format}` });
  if (answer.status !== 200) throw new Error(`GET version answered ${answer.status}: ${answer.text}`);
  return answer.text;
}

export async function restoreVersion(baseUrl: string, docId: string, key: string, versionId: string): Promise<{ id: string }> {
  const answer = await versionsCall(baseUrl, docId, key, { method: 'POST', path: `/${versionId}/restore` });
  if (answer.status !== 200) throw new Error(`POST restore answered ${answer.status}: ${answer.text}`);
  return answer.json as { id: string };
}
