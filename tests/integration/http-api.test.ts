import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDoc, createLink, startServer, type RunningServer } from '../helpers/tandem';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});

const call = (path: string, init: RequestInit & { key?: string } = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    headers: { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), 'content-type': 'application/json', ...init.headers },
  });

describe('HTTP API', () => {
  it('creates documents with distinct ids and owner keys of at least 128 bits', async () => {
    const a = await createDoc(server.url);
    const b = await createDoc(server.url);
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(Buffer.from(a.ownerKey, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('creates, lists and revokes links without ever listing keys', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const edit = await createLink(server.url, id, ownerKey, { role: 'edit' });
    const view = await createLink(server.url, id, ownerKey, { role: 'view', expiresAt });
    expect(edit).toMatchObject({ role: 'edit', expiresAt: null });
    expect(view).toMatchObject({ role: 'view', expiresAt });
    const res = await call(`/api/docs/${id}/links`, { key: ownerKey });
    expect(res.status).toBe(200);
    const links = (await res.json()) as Array<Record<string, unknown>>;
    expect(links.map((l) => l.id)).toEqual([edit.id, view.id]);
    for (const link of links) {
      expect(Object.keys(link).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'revokedAt', 'role']);
      expect(JSON.stringify(link)).not.toContain(edit.key);
    }
    expect((await call(`/api/docs/${id}/links/${edit.id}`, { method: 'DELETE', key: ownerKey })).status).toBe(204);
    const after = (await (await call(`/api/docs/${id}/links`, { key: ownerKey })).json()) as Array<{ id: string; revokedAt: string | null }>;
    expect(after.find((l) => l.id === edit.id)?.revokedAt).not.toBeNull();
    expect((await call(`/api/docs/${id}/links/nope`, { method: 'DELETE', key: ownerKey })).status).toBe(404);
  });

  it('answers 401 without an owner key, 403 for a key that may not manage links', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const edit = await createLink(server.url, id, ownerKey, { role: 'edit' });
    const other = await createDoc(server.url);
    const cases: Array<[string | undefined, number]> = [
      [undefined, 401],
      ['not-a-key', 401],
      [other.ownerKey, 401],
      [edit.key, 403],
    ];
    for (const [key, status] of cases) {
      const res = await call(`/api/docs/${id}/links`, { key });
      expect(res.status, String(key)).toBe(status);
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
      const post = await call(`/api/docs/${id}/links`, { method: 'POST', key, body: JSON.stringify({ role: 'edit' }) });
      expect(post.status).toBe(status);
    }
  });

  it('answers 400 with a reason for malformed input', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const bodies = ['{', JSON.stringify({ role: 'admin' }), JSON.stringify({ role: 'edit', expiresAt: 'tomorrow' }), JSON.stringify({ role: 'view', expiresAt: '2001-01-01T00:00:00Z' }), JSON.stringify({ role: 'edit', extra: 1 })];
    for (const body of bodies) {
      const res = await call(`/api/docs/${id}/links`, { method: 'POST', key: ownerKey, body });
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: string }).error.length).toBeGreaterThan(5);
    }
  });

  it('reports the role a key grants', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const view = await createLink(server.url, id, ownerKey, { role: 'view' });
    expect(await (await call(`/api/docs/${id}/access`, { key: ownerKey })).json()).toMatchObject({ role: 'owner' });
    expect(await (await call(`/api/docs/${id}/access`, { key: view.key })).json()).toMatchObject({ role: 'view' });
    expect((await call(`/api/docs/${id}/access`, { key: 'nope' })).status).toBe(401);
  });

  it('serves health and Prometheus metrics', async () => {
    const health = await call('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const metrics = await (await call('/metrics')).text();
    for (const name of ['tandem_connections', 'tandem_documents_loaded', 'tandem_updates_total', 'tandem_fanout_latency_seconds', 'tandem_storage_commit_seconds']) {
      expect(metrics).toContain(name);
    }
  });

  it('reports RSS and heap on /metrics', async () => {
    const text = await (await call('/metrics')).text();
    const memory = (kind: string) => Number(text.match(new RegExp(`^tandem_memory_bytes\\{kind="${kind}"\\} (\\d+)$`, 'm'))?.[1]);
    expect(memory('rss')).toBeGreaterThan(memory('heap_used'));
    expect(memory('heap_used')).toBeGreaterThan(1024 * 1024);
    expect(memory('heap_total')).toBeGreaterThanOrEqual(memory('heap_used'));
    expect(memory('array_buffers')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^tandem_process_process_resident_memory_bytes \d+/m);
  });

  it('answers 503 on /healthz when storage does not answer', async () => {
    const broken = await startServer();
    const { ownerKey } = await createDoc(broken.url);
    expect(ownerKey).toBeTruthy();
    await broken.tandem.close(); // closes the database under a still-listening HTTP server
    const res = await fetch(`${broken.url}/healthz`);
    expect(res.status).toBe(503);
    await broken.stop();
  });
});
