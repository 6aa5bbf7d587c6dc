/**
 * Registering the service worker, and handing it what this page already downloaded.
 *
 * Chromium keeps a page's HTTP cache apart from its service worker's, so a worker that
 * precaches the release would download every file the page just loaded a second time. While
 * it installs, the worker asks the open pages to copy the release's files they have into its
 * cache instead (fetched from the HTTP cache only, never the network); it downloads only what
 * no page had. The page at /me/ registers the worker before the app is opened, so the app
 * shell and its modules then come through the worker, once.
 */
const COPY = "loype-copy"; // the message static/js/sw-main.js sends (tests/test_assets.py)

export function register() {
  navigator.serviceWorker.addEventListener("message", handOver);
  navigator.serviceWorker.startMessages();
  return navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/", updateViaCache: "all" });
}

async function handOver(event) {
  const request = event.data;
  const reply = event.ports[0];
  if (!request || request.type !== COPY || !reply) return;
  // A page that a worker controls gets its files from that worker's cache, under the URLs of
  // its own release: a new release's files are never among them.
  if (navigator.serviceWorker.controller) return reply.postMessage([]);
  const cache = await caches.open(request.cache);
  const copied = await Promise.all(request.urls.map(async (url) => {
    try {
      const response = await fetch(url, { cache: "only-if-cached", mode: "same-origin" });
      if (!response.ok) return null;
      await cache.put(url, response);
      return url;
    } catch {
      return null; // not in this page's cache: the worker downloads it
    }
  }));
  reply.postMessage(copied.filter(Boolean));
}
