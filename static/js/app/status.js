/**
 * The sync status line: what is on the phone only, what is sent, and when this phone could not
 * save. It never says everything is sent while something typed is not on the server.
 */
import * as db from "./db.js";
import { format } from "../engine/messages.js";

const S = JSON.parse(document.getElementById("app-strings").textContent);
const statusLine = document.getElementById("sync-status");
const syncBar = document.getElementById("sync-bar");

// unsaved: something typed is only in memory (the phone could not store it); sentUnsaved: ...
// and the server has it as it is now (saving.js sendUnsaved).
export const state = { syncing: false, signedOut: false, unsaved: false, sentUnsaved: false };

/** Show the sync status (announced through aria-live when it changes). */
export async function updateStatus() {
  if (db.currentOwner() === null) {
    syncBar.hidden = true; // nobody's data is open: nothing to report
    return;
  }
  // Refused responses (blocked: the server said why, on the list) are not sent either: they
  // count, though no retry sends them until the participant changes them.
  let waiting = 0;
  let retried = 0;
  try {
    const queue = await db.getAll("outbox");
    waiting = queue.length;
    retried = queue.filter((q) => !q.blocked).length;
  } catch {
    state.unsaved = true; // the database cannot be read either: nothing can be claimed sent
  }
  let message;
  if (state.signedOut) message = S.signed_out;
  else if (state.unsaved) message = state.sentUnsaved ? S.sent_not_saved : S.not_saved;
  else if (state.syncing && retried) message = S.sending;
  else if (!waiting) message = S.all_sent;
  else if (!navigator.onLine && retried) message = `${S.waiting}. ${format(S.unsent, { count: waiting })}`;
  else message = format(S.unsent, { count: waiting });
  syncBar.hidden = false;
  syncBar.dataset.unsent = String(waiting + (state.unsaved ? 1 : 0));
  if (statusLine.textContent !== message) statusLine.textContent = message;
}

/** Say plainly that this phone could not save (or that it can again). */
export function showSaveProblem(failed) {
  state.unsaved = failed;
  if (!failed) state.sentUnsaved = false;
  const note = document.getElementById("save-problem");
  note.textContent = failed ? S.save_failed : "";
  note.hidden = !failed;
  return updateStatus();
}
