// With a service worker and IndexedDB, the participant app takes over from the server pages:
// it works offline and keeps answers on the phone. The address comes from the page, so this
// file is the same for every language and needs no inline script.
const target = document.querySelector('meta[name="loype-app"]');
if (target && "serviceWorker" in navigator && "indexedDB" in window) {
  location.replace(target.content);
}
