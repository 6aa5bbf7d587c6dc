/**
 * The participant app at /app/: lists the questionnaires, fills them in page by page from
 * what the phone keeps (online or not), saves every answer on the phone as it is given, and
 * sends the outbox whenever it can. The parts, each with one job:
 *
 *   db.js        the store (IndexedDB): records, outbox, documents; owns the base revision
 *   merge.js     the three-way merge the store rebases with (the server's rule)
 *   sync.js      sending the outbox and taking receipts, 409s and refusals
 *   sending.js   when to send (soon after saving, online, retries with backoff)
 *   saving.js    typed answers into the store, kept in memory until it took them
 *   status.js    the sync status line and the "could not save" notice
 *   documents.js /api/v1/me and the questionnaire documents kept for offline use
 *   router.js    which page the address names; pages/ draws them
 *   updates.js   offering a new release of the app
 */
import { refresh } from "./documents.js";
import { currentView, registerViews, route } from "./router.js";
import { askForPersistence, onSaved, saveNow } from "./saving.js";
import { onSynced, scheduleSync, sendNow, sync } from "./sending.js";
import { state, updateStatus } from "./status.js";
import { SignedOut } from "./sync.js";
import { watchForUpdates } from "./updates.js";
import { showPage } from "./pages/editor.js";
import { showList } from "./pages/list.js";
import { showSummary } from "./pages/summary.js";

registerViews({ list: showList, page: showPage, summary: showSummary });
onSaved(scheduleSync);
onSynced(async () => {
  if (currentView === "list") await showList(); // pages and summaries are not redrawn under the reader
});

async function boot() {
  document.getElementById("app-loading")?.remove();
  window.addEventListener("hashchange", route);
  window.addEventListener("online", sendNow);
  window.addEventListener("offline", updateStatus);
  window.addEventListener("pagehide", saveNow);
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) saveNow();
    else refreshAndSend(); // back in the app: what changed on the server, then send
  });
  document.getElementById("send-now").addEventListener("click", sendNow);
  setInterval(sync, 30_000);
  watchForUpdates();
  await route();
  await updateStatus();
  await refreshAndSend();
  askForPersistence();
}

async function refreshAndSend() {
  try {
    await refresh();
    if (currentView === "list") await showList();
  } catch (error) {
    if (error instanceof SignedOut) state.signedOut = true;
  }
  await sync();
}

boot();

