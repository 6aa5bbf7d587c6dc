/**
 * When to send: soon after a save, when the phone comes online, when asked, every half
 * minute; with backoff after a failure. What to send and how is sync.js.
 */
import { backoff, flush, SignedOut } from "./sync.js";
import { saveNow, sendUnsaved } from "./saving.js";
import { state, updateStatus } from "./status.js";

let afterSync = async () => {};
/** Call fn after every attempt to send (to redraw what shows sync states). */
export function onSynced(fn) {
  afterSync = fn;
}

let sessionEnd = async () => {};
/** Call fn(error) when the server says the session is over (SignedOut, NotTheirs). */
export function onSessionEnd(fn) {
  sessionEnd = fn;
}

/** Send now, from the first attempt again (the participant asked, or the phone is online). */
export function sendNow() {
  attempt = 0;
  return sync();
}

let attempt = 0;
let retryTimer = null;

export async function sync() {
  if (state.syncing || state.signedOut) return;
  clearTimeout(retryTimer);
  const stored = await saveNow(); // what is typed goes to the phone's store first, then out
  state.syncing = true;
  await updateStatus();
  let ended = null;
  try {
    let trouble = null;
    try {
      if ((await flush())?.sent) toldOtherTabs?.postMessage("sent");
    } catch (error) {
      if (error instanceof SignedOut || stored) throw error;
      trouble = error; // a receipt the phone could not store, say: what is in memory still goes
    }
    // What the phone could not store goes from memory (saving.js), after what it stored.
    if (!stored) await sendUnsaved();
    if (trouble) throw trouble;
    attempt = 0;
  } catch (error) {
    if (error instanceof SignedOut) state.signedOut = true;
    else retryTimer = setTimeout(sync, backoff(attempt++));
    ended = error instanceof SignedOut ? error : null;
  } finally {
    state.syncing = false;
    await updateStatus();
    await afterSync();
  }
  if (ended) await sessionEnd(ended);
}

/**
 * Show what the service worker (Background Sync, main.js's "synced" message) or another tab of
 * the app (below) sent while this page's own send found the outbox busy and left it: the
 * status line, and the list.
 */
export async function showSent() {
  if (state.syncing || state.signedOut) return;
  await updateStatus();
  await afterSync();
}

let syncSoon = null;
export function scheduleSync() {
  clearTimeout(syncSoon);
  syncSoon = setTimeout(sync, 1000);
  navigator.serviceWorker?.ready.then((reg) => reg.sync?.register("loype-outbox")).catch(() => {});
}

// The app's other tabs: each says when it has sent something, so that this one's status line
// and list say so at once, not at its own next send.
const toldOtherTabs = globalThis.BroadcastChannel ? new BroadcastChannel("loype-sent") : null;
toldOtherTabs?.addEventListener("message", (event) => { if (event.data === "sent") showSent(); });
