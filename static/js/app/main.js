/**
 * The participant app at /app/: lists the questionnaires, fills them in page by page from
 * what the phone keeps (online or not), saves every answer on the phone as it is given, and
 * sends the outbox whenever it can. The parts, each with one job:
 *
 *   owner.js     whose data the phone shows (the owner cookie), their key, their PIN
 *   vault.js     the encryption of what the phone keeps (AES-GCM, WebCrypto)
 *   db.js        IndexedDB: a database per participant, and the phone's own
 *   records.js   responses, outbox, /me: sealed; owns the base revision
 *   legacy.js    answers kept before each participant had a database of their own
 *   merge.js     the three-way merge the store rebases with (the server's rule)
 *   sync.js      sending the outbox and taking receipts, 409s and refusals
 *   sending.js   when to send (soon after saving, online, retries with backoff)
 *   saving.js    typed answers into the store, kept in memory until it took them
 *   status.js    the sync status line and the "could not save" notice
 *   documents.js /api/v1/me and the questionnaire documents kept for offline use
 *   inbox.js     the notifications (/api/v1/inbox), sealed, readable offline
 *   push.js      notifications on this phone (Web Push), on and off at the participant's word
 *   router.js    which page the address names; pages/ draws them
 *   updates.js   offering a new release of the app
 *   leaving.js   signing out on a shared phone: send, keep locked or delete, wipe
 */
import { el } from "../engine/dom.js";
import * as db from "./db.js";
import { refresh } from "./documents.js";
import { refreshInbox } from "./inbox.js";
import { lockAndLeave, showSignOut } from "./leaving.js";
import * as owner from "./owner.js";
import * as records from "./records.js";
import { currentView, followInPageLink, go, hashChanged, registerViews, route } from "./router.js";
import { askForPersistence, onMissing, onSaved, saveNow, unsavedNow } from "./saving.js";
import { S } from "./screen.js";
import { finishLeaving, leaveForm } from "./session.js";
import { onSessionEnd, onSynced, scheduleSync, sendNow, showSent, sync } from "./sending.js";
import { state, updateStatus } from "./status.js";
import { NotTheirs, SignedOut, takeMovedNotice } from "./sync.js";
import { watchForUpdates } from "./updates.js";
import { followVersion, showPage } from "./pages/editor.js";
import { openEntry, showInbox } from "./pages/inbox.js";
import { showList } from "./pages/list.js";
import { askForPin, showNeedsOnline, showPinSettings, showSignedOut } from "./pages/lock.js";
import { showSummary, summaryMoved } from "./pages/summary.js";

registerViews({ list: showList, page: showPage, summary: showSummary, pin: showPinSettings,
  "sign-out": () => showSignOut(showSignedOut), inbox: showInbox, inboxEntry: openEntry });
onSaved(scheduleSync);
onMissing(refresh); // the participant's database deleted under the open app: what the server has
onSessionEnd(sessionEnded);
onSynced(async () => {
  if (currentView === "list") await showList(); // pages and summaries are not redrawn under the reader
  else await followMoves(); // ... unless their response moved to a newer version
  await takeMoves();
});

// Refused responses in the outbox looked at since (`<id>@<local revision>`).
const lookedAt = new Set();

/**
 * The server said a draft is on a newer version now (409 "version"): ask /api/v1/me, take the
 * new version and send. The refusal may have come to this page's send, to another tab's or to
 * the service worker's (Background Sync, which also tells the page: see the message below), so
 * the outbox is looked at too: a response refused so is asked about once per local revision,
 * and again when the server could not be asked.
 */
async function takeMoves() {
  const fresh = [];
  for (const entry of await db.getAll("outbox").catch(() => [])) {
    const key = `${entry.id}@${entry.localRevision}`;
    if (!entry.blocked || lookedAt.has(key)) continue;
    lookedAt.add(key);
    if ((await records.response(entry.id).catch(() => null))?.problem?.code === "version") fresh.push(key);
  }
  if (!takeMovedNotice() && !fresh.length) return;
  if (!(await refreshAndSend())) for (const key of fresh) lookedAt.delete(key);
}

/** The page or summary on screen shows a response that moved to a newer version: draw it again. */
async function followMoves() {
  if (currentView === "page") await followVersion();
  else if (currentView === "summary" && (await summaryMoved())) await route();
}

/**
 * The session ended on the server (signed out elsewhere, a new invite, a revoked device): the
 * phone cannot send any more, so it keeps what is unsent locked for this participant, wipes
 * the rest, and says so. Another person signed in meanwhile (in another tab): start over.
 */
async function sessionEnded(error) {
  // Nobody's data is open: signed out here already (an answer read before the sign-out ended
  // the session comes back late), so there is nothing to lock, and nothing to reload into.
  if (db.currentOwner() === null) return undefined;
  if (error instanceof NotTheirs) return location.reload();
  state.signedOut = true;
  await lockAndLeave({ sessionOver: true });
  return showSignedOut(S.session_ended);
}

/** Open the signed-in participant's data, or say why not; true when it is open. */
async function openData() {
  if ((await finishLeaving()) === "waiting") { // signed out offline: nobody's data opens
    await owner.takeOver(null);
    showSignedOut();
    return false;
  }
  await owner.takeOver(owner.signedIn()); // nobody else's data stays open
  if (owner.signedIn() === null) {
    showSignedOut();
    return false;
  }
  const opened = await owner.unlock();
  if (opened === "pin") return askForPin();
  if (opened === "offline") {
    showNeedsOnline();
    window.addEventListener("online", () => location.reload(), { once: true });
  }
  if (opened === "signed-out") await sessionEnded(new SignedOut());
  return opened === "open";
}

/**
 * The language form posts to the server, which sends the app back in the new language: what
 * was just typed is saved first, and the app opens again where it was (a redirect keeps the
 * posted address's #/r/<id>/<page> when it names none). Offline it says to go online, instead
 * of the browser's own "No internet" page.
 */
function keepPlaceWhenLanguageChanges() {
  const form = document.querySelector("form.language");
  const note = el("p", { class: "language-offline", role: "alert", hidden: "" });
  form?.after(note);
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    note.hidden = navigator.onLine;
    note.textContent = navigator.onLine ? "" : S.language_offline;
    if (!navigator.onLine) return;
    await saveNow();
    form.action = new URL(form.getAttribute("action"), location.href).pathname + location.hash;
    form.submit();
  });
  window.addEventListener("online", () => { note.hidden = true; note.textContent = ""; });
}

async function boot() {
  document.getElementById("app-loading")?.remove();
  watchForUpdates();
  if (!(await openData())) return;
  leaveForm()?.addEventListener("submit", (event) => {
    event.preventDefault();
    go("#/sign-out");
  });
  keepPlaceWhenLanguageChanges();
  window.addEventListener("hashchange", hashChanged);
  document.addEventListener("click", followInPageLink);
  window.addEventListener("online", sendNow);
  window.addEventListener("offline", updateStatus);
  // Each change is stored as it is made (saving.js); one still on its way is stored while the
  // page still runs: a link tapped and beforeunload come before the browser leaves the page
  // (it waits for the next page's answer meanwhile), hidden when a phone switches to another
  // app or tab, or to the tab switcher to close this one. At pagehide it is often too late.
  document.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("a[href]")) saveNow();
  }, { capture: true });
  window.addEventListener("beforeunload", (event) => {
    saveNow();
    // The phone could not store what was typed: leaving loses it. The browser asks first.
    if (unsavedNow()) {
      event.preventDefault();
      event.returnValue = ""; // (browsers before 2023 ask only so)
    }
  });
  window.addEventListener("pagehide", () => { saveNow(); });
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) saveNow();
    else refreshAndSend(); // back in the app: what changed on the server, then send
  });
  document.getElementById("send-now").addEventListener("click", sendNow);
  // A tapped notification while the app is open: the service worker says where to go.
  navigator.serviceWorker?.addEventListener("message", (event) => {
    const hash = typeof event.data?.url === "string" ? new URL(event.data.url, location.href).hash : "";
    if (event.data?.type === "open" && hash.startsWith("#/inbox")) go(hash);
    // The worker's Background Sync was told a draft is on a newer version: take it, and send.
    if (event.data?.type === "moved") refreshAndSend();
    // The worker sent what this page found it sending: say so, and redraw the list (an open
    // page is not redrawn: what is typed there, and where, stays).
    if (event.data?.type === "synced") showSent();
  });
  setInterval(sync, 30_000);
  await route();
  await updateStatus();
  await refreshAndSend();
  askForPersistence();
}

/** Take what the server has (/api/v1/me), then send; resolves whether the server answered. */
async function refreshAndSend() {
  let answered = false;
  try {
    await refresh();
    answered = true;
    await refreshInbox().catch((error) => { if (error instanceof SignedOut) throw error; });
    if (currentView === "list") await showList();
    else await followMoves();
  } catch (error) {
    if (error instanceof SignedOut) {
      await sessionEnded(error);
      return answered;
    }
  }
  await sync();
  return answered;
}

boot();

