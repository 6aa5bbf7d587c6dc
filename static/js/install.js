/**
 * Registering the service worker.
 *
 * The page at /me/ registers it before the app is opened, so the app shell and its modules
 * then come through the worker, once. The worker precaches the release from the browser's
 * HTTP cache first, which it shares with its pages (static/js/sw-main.js, keepRelease): what
 * this page already downloaded does not cross the network again. That holds because the
 * files are kept under their URL alone (no session cookie on them, webapp/auth/session.py).
 */
export function register() {
  return navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/", updateViaCache: "all" });
}
