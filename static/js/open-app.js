// With a service worker and IndexedDB, the participant app takes over from the server pages:
// it works offline and keeps answers on the phone. The address comes from the page, so this
// file is the same for every language and needs no inline script.
//
// On the first visit the worker is installed from here, before the app opens: it takes what
// this page downloaded, then serves the app shell and every module through its cache, so none
// crosses the network twice. Should installing take too long, the app opens anyway.
import { register } from "./install.js";

const INSTALL_WAIT_MS = 15_000;
const target = document.querySelector('meta[name="loype-app"]');
if (target && "serviceWorker" in navigator && "indexedDB" in window) {
  const open = () => location.replace(target.content);
  if (navigator.serviceWorker.controller) {
    open();
  } else {
    navigator.serviceWorker.addEventListener("controllerchange", open, { once: true });
    setTimeout(open, INSTALL_WAIT_MS);
    register().catch(open);
  }
}
