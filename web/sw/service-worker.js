// The tchatche service worker: keeps the app shell (the files of one build)
// in a cache so the app starts offline and installs as an app. Chat traffic
// (/ws) and the health endpoints are never cached or intercepted.
// `__VERSION__` and `__SHELL__` are filled in by vite.config.ts at build time.

const VERSION = '__VERSION__';
const SHELL = ['__SHELL__'];
const CACHE = `tchatche-shell-${VERSION}`;
const NEVER_CACHED = ['/ws', '/healthz', '/readyz'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith('tchatche-shell-') && name !== CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (NEVER_CACHED.some((path) => url.pathname === path || url.pathname.startsWith(`${path}/`))) {
    return;
  }
  if (request.mode === 'navigate') {
    // Pages: the network first (a fresh index.html after a deploy), the
    // cached shell when offline.
    event.respondWith(
      fetch(request).catch(() =>
        caches.match('/').then((cached) => cached || Response.error()),
      ),
    );
    return;
  }
  // Build files have content hashes in their names: the cache first.
  event.respondWith(caches.match(request).then((cached) => cached || fetch(request)));
});
