// raftlab's service worker: after one visit the page works with no network, lessons included.
//
// This is a template: scripts/postbuild/sw.mjs writes it into the build as sw.js with the
// build's version and the list of its files (each with its SHA-256, checked on download).
//
// - install: every file of the build goes into one cache named by the version, all or
//   nothing (one failed or altered download fails the install; the old worker keeps serving).
//   The new worker then waits: the page offers a Reload (www/sw-register.js) and only on the
//   reader's click sends SKIP_WAITING, so no page runs old code against new files.
// - activate: deletes this scope's older raftlab caches.
// - fetch: GETs of the build's files come from the cache, whatever their query (so ?embed,
//   ?present and #lesson=... links work offline; the folder itself is its index.html);
//   everything else (another origin, a file not in the build) goes to the network.
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
      // Only once every file is in hand does anything go into the cache.
      await Promise.all(responses.map(([request, response]) => cache.put(request, response)));
    })().catch(async (err) => {
      await caches.delete(CACHE);
      throw err;
    }),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
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
  event.respondWith(
    (async () => (await caches.match(key, { cacheName: CACHE })) ?? fetch(request))(),
  );
});
