/** The comments HTTP API as tests call it. */

export interface ReplyJson {
  id: string;
  body: string;
  author: string;
  createdAt: string;
}

export interface ThreadJson extends ReplyJson {
  resolved: boolean;
  quote: string | null;
  detached: boolean;
  replies: ReplyJson[];
}

/** One request to `/api/docs/<docId>/comments[/<commentId>]` with `key` as Bearer. */
export async function commentsCall(
  baseUrl: string,
  docId: string,
  key: string | null,
  init: { method?: string; body?: unknown; commentId?: string; rawBody?: string } = {},
): Promise<{ status: number; json: unknown }> {
  const path = `${baseUrl}/api/docs/${docId}/comments${init.commentId ? `/${init.commentId}` : ''}`;
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' },
    body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

export async function listComments(baseUrl: string, docId: string, key: string): Promise<ThreadJson[]> {
  const { status, json } = await commentsCall(baseUrl, docId, key);
  if (status !== 200) throw new Error(`GET comments answered ${status}: ${JSON.stringify(json)}`);
  return json as ThreadJson[];
}

export async function postComment(
  baseUrl: string,
  docId: string,
  key: string,
  body: { body: string; author?: string; quote?: string; parentId?: string },
): Promise<ThreadJson> {
  const { status, json } = await commentsCall(baseUrl, docId, key, { method: 'POST', body });
  if (status !== 201) throw new Error(`POST comments answered ${status}: ${JSON.stringify(json)}`);
  return json as ThreadJson;
}
