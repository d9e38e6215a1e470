// raftlab's service worker: after one visit the page works with no network, lessons included.
//
// This is a template: scripts/postbuild/sw.mjs writes it into the build as sw.js with the
// build's version and the list of its files (each with its SHA-256, checked on download).
//
// - install: every file of the build goes into one cache named by the version, all or
//   nothing (one failed or altered download fails the install; the old worker keeps serving).
//   The new worker then waits: the page offers a Reload (www/sw-register.js) and only on the
//   reader's click sends SKIP_WAITING, so no page runs old code against new files.
// - activate: the pages open at that moment run the previous build (the reader reloads one,
//   the others keep their old code until they reload): their ids and the previous build's
//   cache are written down (in this build's cache, so a restarted worker still knows), and
//   that cache is kept for them; older ones are deleted.
// - fetch: GETs of the build's files come from the cache, whatever their query (so ?embed,
//   ?present and #lesson=... links work offline; the folder itself is its index.html): a page
//   of the previous build from the previous build's cache (a lesson it opens later is the
//   one its code was built with), every other page from this build's. Once none of those
//   pages is open, the previous build's cache is deleted. Everything else (another origin, a
//   file not in the build) goes to the network.
// URLs are relative to the registration's scope, so the build works under any sub-path.

/** The build's version (a hash of its files' names and contents). */
const VERSION = '{{VERSION}}';
/** The build's files, relative to the scope, with their integrity ('sha256-...'). */
const FILES = /* {{FILES}} */ [];

const SCOPE = self.registration.scope;
/** This scope's caches start with this; the version ends the name. */
const PREFIX = `raftlab ${SCOPE} `;
const CACHE = PREFIX + VERSION;
/** The files' absolute URLs (no query, no fragment). */
const URLS = new Set(FILES.map(([name]) => new URL(name, SCOPE).href));
const INDEX = new URL('index.html', SCOPE).href;
/** A cache's record of when it was filled (not a file of the build). */
const FILLED = new URL('raftlab-build-filled', SCOPE).href;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Downloaded fresh (not from the HTTP cache) and checked against the build's hashes:
      // a file from another build makes the install fail instead of mixing two builds.
      const responses = await Promise.all(
        FILES.map(async ([name, integrity]) => {
          const request = new Request(new URL(name, SCOPE), { cache: 'no-cache', integrity });
          let response = await fetch(request);
          if (!response.ok) throw new Error(`raftlab: ${name}: the server answered ${response.status}`);
          // A host that redirects (index.html to ./, say): a redirected response must not
          // answer a navigation, so keep only its body and headers.
          if (response.redirected) {
            const { status, statusText, headers } = response;
            response = new Response(await response.blob(), { status, statusText, headers });
          }
          return [request, response];
        }),
      );
      // Only once every file is in hand does anything go into the cache; then when it was
      // filled (activate tells the previous build from older ones by it).
      await Promise.all(responses.map(([request, response]) => cache.put(request, response)));
      await cache.put(FILLED, new Response(String(Date.now())));
    })().catch(async (err) => {
      await caches.delete(CACHE);
      throw err;
    }),
  );
});

/** Where this build's cache records the pages of the previous build (see activate). */
const OLD_PAGES = new URL('raftlab-previous-build-pages', SCOPE).href;

/** The record: `{cache, clients}` (the previous build's cache, its pages' ids), or null. */
async function oldPages() {
  const response = await caches.match(OLD_PAGES, { cacheName: CACHE });
  return response ? response.json() : null;
}

/** Deletes the previous build's cache and the record once none of its pages is open. */
async function forgetClosedOldPages() {
  const record = await oldPages();
  if (!record) return;
  const open = await Promise.all(record.clients.map((id) => self.clients.get(id)));
  if (open.some(Boolean)) return;
  await caches.delete(record.cache);
  await (await caches.open(CACHE)).delete(OLD_PAGES);
}

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // The previous build: the newest other cache of this scope (each records when it was
      // filled, see install); older ones have no page left that could need them.
      const others = (await caches.keys()).filter((name) => name.startsWith(PREFIX) && name !== CACHE);
      const filled = await Promise.all(
        others.map(async (name) => {
          const stamp = await caches.match(FILLED, { cacheName: name });
          return [name, stamp ? Number(await stamp.text()) : 0];
        }),
      );
      filled.sort((a, b) => b[1] - a[1]);
      const previous = filled.length > 0 ? filled[0][0] : null;
      for (const [name] of filled.slice(previous ? 1 : 0)) await caches.delete(name);
      if (!previous) return;
      const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      if (pages.length === 0) {
        await caches.delete(previous);
        return;
      }
      const record = { cache: previous, clients: pages.map((c) => c.id) };
      await (await caches.open(CACHE)).put(OLD_PAGES, new Response(JSON.stringify(record), { headers: { 'content-type': 'application/json' } }));
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  url.search = '';
  url.hash = '';
  let key = url.href;
  if (key === SCOPE) key = INDEX; // the folder is its index.html
  if (!URLS.has(key)) return; // not the build's: the network, as without a worker
  const client = event.clientId;
  event.respondWith(
    (async () => {
      // A page of the previous build gets the previous build's files (a navigation is a new
      // page: it gets this build).
      const record = client && request.mode !== 'navigate' ? await oldPages() : null;
      if (record && record.clients.includes(client)) {
        const old = await caches.match(key, { cacheName: record.cache });
        if (old) return old;
      }
      return (await caches.match(key, { cacheName: CACHE })) ?? fetch(request);
    })(),
  );
  if (request.mode === 'navigate') event.waitUntil(forgetClosedOldPages());
});
