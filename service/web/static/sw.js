// Lägesbild's service worker: the report page opens even with no network, so a draft
// typed on a phone in a cellar is never lost to a reload. Pages come from the network
// when it answers (and are remembered); static files, whose URLs carry their hash,
// from the cache.

const PAGES = "lagesbild-pages-v1";
const STATIC = "lagesbild-static-v1";
const OFFLINE_PAGES = /^\/incidents\/[0-9a-f-]+\/report$/;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  const data = event.data || {};
  // From the log-in page: forget what the last person's pages held.
  if (data.forget) event.waitUntil(caches.delete(PAGES));
  // From a page that has just loaded: keep it, if it is one that must open offline.
  if (typeof data.keep === "string" && OFFLINE_PAGES.test(data.keep)) {
    const assets = (data.assets || []).filter((url) => new URL(url).origin === self.location.origin);
    event.waitUntil(Promise.all([
      caches.open(PAGES).then((cache) => cache.add(data.keep)),
      caches.open(STATIC).then((cache) => cache.addAll(assets)),
    ]).catch(() => {}));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/") && url.searchParams.has("v")) {
    event.respondWith(caches.open(STATIC).then(async (cache) => {
      const hit = await cache.match(request);
      if (hit) return hit;
      const response = await fetch(request);
      if (response.ok) cache.put(request, response.clone());
      return response;
    }));
  } else if (request.mode === "navigate" && OFFLINE_PAGES.test(url.pathname)) {
    const kept = async () => (await caches.open(PAGES)).match(request);
    event.respondWith(fetch(request).then(async (response) => {
      if (response.ok && !response.redirected) (await caches.open(PAGES)).put(request, response.clone());
      // The proxy answers while the service is away: the kept page is more use.
      if (response.status >= 500) return (await kept()) || response;
      return response;
    }).catch(async () => (await kept()) || Response.error()));
  }
});
