/**
 * A new release of the app: the service worker waits, and the participant chooses when to
 * switch (after what is typed is saved), never behind their back.
 */
import { saveNow } from "./saving.js";
import { register } from "../install.js";

export function watchForUpdates() {
  if (!("serviceWorker" in navigator)) return;
  const bar = document.getElementById("update-bar");
  const offer = (worker) => {
    bar.hidden = false;
    document.getElementById("update-now").onclick = async () => {
      await saveNow(); // nothing typed is left behind when the page reloads
      worker.postMessage({ type: "SKIP_WAITING" });
    };
  };
  register().then((reg) => {
    if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
    reg.addEventListener("updatefound", () => {
      const worker = reg.installing;
      worker?.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
      });
    });
    setInterval(() => reg.update().catch(() => {}), 60 * 60 * 1000);
  }).catch(() => {});
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!reloading && !bar.hidden) {
      reloading = true;
      location.reload();
    }
  });
}
