/**
 * The service worker's logic: precache the release, network-first pages with a short timeout,
 * cache-first versioned assets, never cache the API or a page with answers, never hand one
 * person's kept app shell to another's sign-in, and wait (never skipWaiting behind someone's
 * back) until the page says the participant chose to update.
 * A push shows its generic text; tapping it opens the app at the notification (#/inbox/<id>),
 * or a counsellor's inbox at it (/inbox?entry=<id>#entry-<id>).
 */
import { ENTRY_ID, refreshInbox } from "./app/inbox.js";
import { openForBackground } from "./app/owner.js";
import { fromBase64url } from "./app/push.js";
import { flush, takeMovedNotice } from "./app/sync.js";

const PAGE_TIMEOUT_MS = 3000;
// Pages without answers in them that may be kept for offline use.
const KEEP_PAGES = ["/app/", "/offline", "/join"];
// Participant pages that the app shell can stand in for when offline.
const SHELL_FOR = ["/app", "/me", "/r/", "/join"];
// Whose sign-in a kept page was drawn for ("<participant>.<session>", as the owner cookie
// says; webapp/pwa/views.py): the app shell carries that person's language and the CSRF token
// of their session, the offline page their language, so neither is shown to another sign-in.
const OWNER_HEADER = "Loype-Owner";
const OWNER_COOKIE = /^(?:__Host-)?loype-owner$/;
// Sign-ins seen (a form posted to /join): a page fetched before one is not kept after it.
let signIns = 0;
// Recorded questions: immutable under their hash, kept across releases.
export const MEDIA_CACHE = "loype-media";

export function start({ release, precache, bundle, icon }) {
  const cacheName = `loype-${release}`;

  self.addEventListener("install", (event) => {
    event.waitUntil(keepRelease(cacheName, precache, { base: `/assets/${release}/`, ...bundle }));
  });

  self.addEventListener("activate", (event) => {
    event.waitUntil((async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("loype-") && name !== cacheName && name !== MEDIA_CACHE) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })());
  });

  self.addEventListener("message", (event) => {
    if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
  });

  self.addEventListener("sync", (event) => {
    // Only the data of the participant last open, and only when no PIN guards its key; the
    // server refuses a batch that is not the signed-in participant's.
    if (event.tag === "loype-outbox") event.waitUntil(sendInBackground());
  });

  self.addEventListener("push", (event) => {
    const shown = showPush(event.data, icon);
    // The inbox follows while the phone is online, so the entry reads offline later. Only the
    // data of the participant last open, when no PIN guards it (as for sync above).
    const kept = openForBackground().then((open) => (open ? refreshInbox() : null)).catch(() => null);
    event.waitUntil(Promise.all([shown, kept]));
  });

  self.addEventListener("notificationclick", (event) => {
    event.notification.close();
    const { id, audience } = event.notification.data ?? {};
    event.waitUntil(audience === "staff" ? openWorkspace(id) : openApp(id));
  });

  self.addEventListener("pushsubscriptionchange", (event) => {
    event.waitUntil(resubscribe(event.oldSubscription, event.newSubscription));
  });

  self.addEventListener("fetch", (event) => {
    const request = event.request;
    const url = new URL(request.url);
    if (request.mode === "navigate" && request.method === "POST" && url.origin === self.location.origin
      && url.pathname.startsWith("/join")) {
      // Someone signs in: the kept shell was drawn for the sign-in before (a browser whose
      // worker cannot read the owner cookie relies on this). The next /app/ comes online.
      signIns += 1;
      event.waitUntil(forgetShell(cacheName));
      return;
    }
    if (request.method !== "GET" || url.origin !== self.location.origin) return;
    if (url.pathname.startsWith("/api/")) return; // answers never touch a cache
    if (url.pathname.startsWith("/assets/")) {
      event.respondWith(fromCacheFirst(cacheName, request));
    } else if (url.pathname.startsWith("/media/")) {
      event.respondWith(fromCacheFirst(MEDIA_CACHE, request));
    } else if (request.mode === "navigate") {
      event.respondWith(page(cacheName, request, url, (work) => event.waitUntil(work)));
    }
  });
}

/**
 * Send the outbox of the participant last open (Background Sync). A draft the server says is
 * on a newer version now (409 "version") waits, refused, until the app takes that version from
 * /api/v1/me, which this worker does not read: the open app is told, so it asks now. When
 * something was sent, the open app is told too, so its status line and list say so at once
 * (its own send found the outbox busy meanwhile, and left it to this one).
 */
async function sendInBackground() {
  if (!(await openForBackground())) return;
  let sent = 0;
  try {
    sent = (await flush()).sent ?? 0;
  } finally {
    if (takeMovedNotice()) await tellApp({ type: "moved" });
    if (sent) await tellApp({ type: "synced" });
  }
}

/** Post message to every open window of the app. */
async function tellApp(message) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).pathname === "/app/") client.postMessage(message);
  }
}

/**
 * Keep every file of the release, each crossing the network at most once: first from the
 * browser's HTTP cache, which this worker shares with its pages (what /me/ downloaded, what
 * this worker's own script loader brought), then the app's modules from the release's bundle
 * (one download: bundle.url, a JSON object of path -> text, webapp/assets.py), and only then
 * one by one from the network. All or nothing: a file that cannot be had fails the install,
 * which the browser tries again later.
 *
 * The open pages used to be asked to copy their files over, and were waited for up to five
 * seconds: that cache only seemed apart because a re-signed session cookie with `Vary: Cookie`
 * hid its files (webapp/auth/session.py).
 */
async function keepRelease(cacheName, precache, bundle) {
  const cache = await caches.open(cacheName);
  const missing = [];
  await Promise.all(precache.map(async (url) => {
    if (await cache.match(url)) return;
    const response = await fetch(url, { cache: "only-if-cached", mode: "same-origin" })
      .catch(() => null);
    if (response?.ok) await cache.put(url, response);
    else missing.push(url);
  }));
  const bundled = new Set(bundle.files ?? []);
  const fromBundle = missing.filter((url) => bundled.has(url));
  if (fromBundle.length > 1) {
    await unpack(cache, bundle, fromBundle)
      .catch(() => null); // what it did not bring comes one by one below
  }
  await Promise.all(missing.map(async (url) => {
    if (await cache.match(url)) return;
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    await cache.put(url, response);
  }));
  await keepShell(cache);
}

/** Put the files urls from the release's bundle into cache, each as its own response. */
async function unpack(cache, bundle, urls) {
  const response = await fetch(bundle.url);
  if (!response.ok) throw new Error(`${bundle.url}: ${response.status}`);
  const files = await response.json();
  await Promise.all(urls.map((url) => {
    const path = url.startsWith(bundle.base) ? url.slice(bundle.base.length) : null;
    if (path === null || typeof files[path] !== "string") return null;
    const type = path.endsWith(".css") ? "text/css" : "text/javascript";
    return cache.put(url, new Response(files[path], { headers: {
      "Content-Type": `${type}; charset=utf-8`, "X-Content-Type-Options": "nosniff" } }));
  }));
}

/**
 * The app shell, when a page showing it installs us: that page was not served through us and
 * the shell is never in an HTTP cache (no-store), so fetch it. When the worker is installed
 * from /me/ (open-app.js) the shell is not fetched here: opening it comes through us and keeps
 * it. A redirect to /join means nobody is signed in.
 */
async function keepShell(cache) {
  if (await cache.match("/app/")) return;
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  if (!pages.some((page) => new URL(page.url).pathname === "/app/")) return;
  try {
    const shell = await fetch("/app/", { credentials: "same-origin" });
    if (shell.ok && !shell.redirected) await cache.put("/app/", shell);
  } catch {
    // offline during install: the shell is kept on the next visit
  }
}

/**
 * Show a push: the payload is {id, title, body} (services/push_delivery.py), generic texts in
 * the participant's language and the notification's random id, nothing else. The id is the
 * tag, so a push delivered twice (the worker sends at least once) shows once.
 */
function showPush(data, icon) {
  let payload = {};
  try {
    payload = data ? data.json() : {};
  } catch {
    // not JSON: the title alone (a push must always show something, userVisibleOnly)
  }
  if (!payload || typeof payload !== "object") payload = {};
  const id = typeof payload.id === "string" && ENTRY_ID.test(payload.id) ? payload.id : null;
  const title = typeof payload.title === "string" && payload.title ? payload.title : "Løype";
  const audience = payload.audience === "staff" ? "staff" : "participant";
  return self.registration.showNotification(title, {
    body: typeof payload.body === "string" ? payload.body : "",
    tag: id ?? "loype",
    data: { id, audience },
    icon,
  });
}

/** The app's address for a notification: the entry (fetched after sign-in), or the inbox. */
const appUrlFor = (id) => (id && ENTRY_ID.test(id) ? `/app/#/inbox/${id}` : "/app/#/inbox");

/**
 * Open the app at a notification: an app window already open is told to go there (it saves
 * what is typed first, router.js) and brought to the front; otherwise a new one opens.
 */
async function openApp(id) {
  const url = appUrlFor(id);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const app = windows.find((client) => new URL(client.url).pathname === "/app/");
  if (app) {
    app.postMessage({ type: "open", url });
    return app.focus();
  }
  return self.clients.openWindow(url);
}

/**
 * Open a counsellor's notification in the workspace: their inbox, at the entry (its Open
 * button marks it read and goes to the response, after the sign-in is checked). An open
 * inbox window is brought to the front and taken there; any other window is left alone (a
 * comment may be half written in it), so a new one opens.
 */
async function openWorkspace(id) {
  // The query makes it a navigation, not a jump within the page: the new entry is listed.
  const url = id && ENTRY_ID.test(id) ? `/inbox?entry=${id}#entry-${id}` : "/inbox";
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const inbox = windows.find((client) => new URL(client.url).pathname === "/inbox");
  if (!inbox) return self.clients.openWindow(url);
  // navigate() refuses a window this worker does not control: it stays as it was.
  const moved = await inbox.navigate(url).catch(() => null);
  return (moved ?? inbox).focus().catch(() => null);
}

/** Does this answer to a subscription's POST say the server will not have it? A 4xx does,
 * but for those that mean "not now" (408, 425, 429); a 5xx never does. */
function refused(status) {
  return status >= 400 && status < 500 && ![408, 425, 429].includes(status);
}

/**
 * The push service replaced or dropped this browser's subscription: subscribe again with the
 * same key and hand the new one to the server, which replaces this device's old one with it
 * (one per sign-in, services/push_subscriptions.py), so pushes do not stop without a word. If
 * the server refuses it (signed out, not a subscription it can send to), the browser's is
 * dropped too: never half on. An answer that refuses nothing (a server error, "too many", no
 * answer) leaves it: the server may well have it (the app's hand-over posts it at the same
 * moment), and the app asks the server on its next start whether pushes are on.
 */
async function resubscribe(oldSubscription, newSubscription) {
  try {
    let subscription = newSubscription;
    if (!subscription) {
      let key = oldSubscription?.options?.applicationServerKey;
      if (!key) {
        const answer = await fetch("/api/v1/push/key", { credentials: "same-origin", cache: "no-store" });
        if (!answer.ok) return;
        key = fromBase64url((await answer.json()).public_key);
      }
      subscription = await self.registration.pushManager.subscribe({ userVisibleOnly: true,
        applicationServerKey: key });
    }
    const sent = await fetch("/api/v1/push/subscriptions", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(subscription.toJSON()),
    });
    if (refused(sent.status)) await subscription.unsubscribe();
  } catch {
    // offline, or permission withdrawn: the inbox still has every notification
  }
}

async function fromCacheFirst(cacheName, request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(cacheName)).put(request, response.clone());
  return response;
}

/**
 * Whose sign-in is on this browser now, from the owner cookie (readable by the app, and by
 * this worker through the Cookie Store API): "<participant>.<session>", null when nobody is
 * signed in, undefined when this browser does not let a worker read cookies.
 */
async function currentOwner() {
  if (!self.cookieStore) return undefined;
  try {
    const cookie = (await self.cookieStore.getAll()).find((c) => OWNER_COOKIE.test(c.name));
    return cookie ? decodeURIComponent(cookie.value) : null;
  } catch {
    return undefined;
  }
}

/**
 * The kept copy of a page, if it may be shown to whoever is signed in now: a page drawn for
 * one sign-in (the app shell: their language, their session's CSRF token) is not shown to
 * another. With nobody signed in it may be (the app then shows only "You are signed out"), and
 * where the worker cannot tell who is signed in, the shell is forgotten at each sign-in instead.
 */
async function keptFor(path) {
  const kept = await caches.match(path);
  if (!kept) return null;
  const drawnFor = kept.headers.get(OWNER_HEADER);
  if (drawnFor === null) return kept;
  const owner = await currentOwner();
  return owner === undefined || owner === null || owner === drawnFor ? kept : null;
}

async function forgetShell(cacheName) {
  const cache = await caches.open(cacheName);
  await Promise.all(["/app/", "/offline"].map((path) => cache.delete(path)));
}

/**
 * The app shell was just kept for a sign-in: keep the offline page drawn for the same one (in
 * their language), unless it already is. The next person on a shared phone gets their own.
 */
async function keepOfflineFor(cache, owner, seen) {
  if ((await cache.match("/offline"))?.headers.get(OWNER_HEADER) === owner) return;
  const response = await fetch("/offline", { credentials: "same-origin" });
  if (response.ok && !response.redirected && seen === signIns) await cache.put("/offline", response);
}

async function page(cacheName, request, url, waitUntil) {
  const keep = KEEP_PAGES.includes(url.pathname);
  const seen = signIns;
  const network = fetch(request).then(async (response) => {
    // Not after a sign-in that came while it was on its way: it was drawn for the one before.
    if (keep && response.ok && !response.redirected && seen === signIns) {
      const cache = await caches.open(cacheName);
      await cache.put(url.pathname, response.clone());
      const owner = response.headers.get(OWNER_HEADER);
      if (url.pathname === "/app/" && owner) {
        const work = keepOfflineFor(cache, owner, seen).catch(() => null); // offline: next time
        try {
          waitUntil(work);
        } catch {
          // the page was answered from the cache already: the work goes on without the wait
        }
      }
    }
    return response;
  });
  if (keep) {
    // A kept page is worth showing at once on a slow network; the fetch still refreshes it.
    const timeout = new Promise((resolve) => setTimeout(resolve, PAGE_TIMEOUT_MS, null));
    try {
      const response = await Promise.race([network, timeout]);
      if (response) return response;
    } catch {
      // offline or the server is down: use what the phone has
    }
    const cached = await keptFor(url.pathname);
    if (cached) return cached;
  }
  try {
    return await network;
  } catch {
    if (SHELL_FOR.some((prefix) => url.pathname.startsWith(prefix))) {
      const shell = await keptFor("/app/");
      if (shell) return shell;
    }
    return (await keptFor("/offline")) || Response.error();
  }
}
