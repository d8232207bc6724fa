/** The content API as a script would call it, for tests. */

export interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
}

async function answer(res: Response): Promise<Answer> {
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** `POST /api/docs` with a body (a string is sent as it is). */
export async function createWithContent(baseUrl: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${baseUrl}/api/docs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answer(res);
}

export async function readContent(baseUrl: string, docId: string, key: string, format: string): Promise<Answer> {
  const res = await fetch(`${baseUrl}/api/docs/${docId}/content?format=${encodeURIComponent(format)}`, { headers: { authorization: `Bearer ${key}` } });
  return answer(res);
}

/** The document as Markdown; throws unless the read succeeds. */
export async function markdownOf(baseUrl: string, docId: string, key: string): Promise<string> {
  const read = await readContent(baseUrl, docId, key, 'markdown');
  if (read.status !== 200) throw new Error(`GET content answered ${read.status}: ${read.text}`);
  return read.text;
}

export async function writeContent(baseUrl: string, docId: string, key: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${baseUrl}/api/docs/${docId}/content`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answer(res);
}
