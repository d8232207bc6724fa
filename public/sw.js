/*
 * Tandem's service worker: lets a document page reload while offline. Pages are fetched from the
 * network first and fall back to the last copy; hashed build assets are served from the cache.
 * The API and the sync socket are never touched: their answers must be live.
 */
const CACHE = 'tandem-shell-v1';
const SHELL = '/d/_offline';

/** Caches a page and the build assets it names, so it can start with no network at all. */
async function precache(cache, path) {
  const response = await fetch(path);
  if (!response.ok) return;
  const html = await response.clone().text();
  await cache.put(path, response);
  const assets = new Set(html.match(/\/_next\/static\/[^"'\s)\\]+/g) || []);
  await Promise.all([...assets].map((asset) => cache.add(asset).catch(() => undefined)));
  // Chunks loaded on demand (the Markdown reader, the history, the dialogs' API) are named only
  // inside the scripts, and an on-demand chunk may name more of its own: follow them all.
  const seen = new Set(assets);
  let scripts = [...assets].filter((asset) => asset.endsWith('.js'));
  while (scripts.length > 0) {
    const named = new Set();
    for (const asset of scripts) {
      const script = await cache.match(asset);
      const text = script ? await script.text() : '';
      for (const [quoted] of text.matchAll(/"static\/chunks\/[^"\s]+\.js"/g)) named.add(`/_next/${quoted.slice(1, -1)}`);
    }
    scripts = [...named].filter((asset) => !seen.has(asset));
    for (const asset of scripts) seen.add(asset);
    await Promise.all(scripts.map((asset) => cache.add(asset).catch(() => undefined)));
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => Promise.all([precache(cache, '/'), precache(cache, SHELL)]))
      .catch(() => undefined)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request, fallbackUrl) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (err) {
    const cached = (await cache.match(request, { ignoreSearch: true })) || (fallbackUrl && (await cache.match(fallbackUrl)));
    if (cached) return cached;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/collab')) return;
  if (url.pathname.startsWith('/_next/static/')) {
    event.respondWith(cacheFirst(request));
    return;
  }
  if (request.mode === 'navigate') {
    // Any document page shell works for any document: the page reads its id from the address.
    const fallback = url.pathname.startsWith('/d/') ? SHELL : '/';
    event.respondWith(networkFirst(request, fallback));
  }
});
