/**
 * Saving what the participant types on the phone, at once and without losing it: a change
 * waits in memory until IndexedDB has taken it, and is retried when a write fails.
 *
 * Every change is stored as soon as it is made, not after a pause in the typing: a store
 * (read, encrypt, write) takes a few milliseconds, while a browser leaving the page (a
 * reload, a closed tab, a link) abandons whatever asynchronous work it has not finished, and
 * encrypting cannot be done synchronously. Waiting for a pause lost the last words typed.
 * main.js also stores what is pending when the page is about to go (beforeunload, a tapped
 * link, hidden), while it still runs. Nothing typed is kept anywhere else in the meantime
 * (no sessionStorage or localStorage: the browser writes those to disk unencrypted, and they
 * outlive a participant's session on a shared phone).
 */
import * as records from "./records.js";
import { showSaveProblem, state, updateStatus } from "./status.js";
import { LANG, S } from "./screen.js";

let afterSave = () => {};
/** Call fn when the phone has stored what was typed (to send it soon). */
export function onSaved(fn) {
  afterSave = fn;
}

/** Make change the next thing to store for response id (replacing an unsaved one). */
export function setPending(id, change) {
  clearTimeout(retryTimer);
  pendingSave = { id, change };
}

export async function askForPersistence() {
  const note = document.getElementById("storage-note");
  if (!navigator.storage) return;
  const persisted = (await navigator.storage.persisted?.()) || (await navigator.storage.persist?.());
  const { usage = 0, quota = 1 } = (await navigator.storage.estimate?.()) ?? {};
  const warning = usage / quota > 0.9 ? S.storage_full : persisted ? "" : S.storage_warning;
  note.textContent = warning;
  note.hidden = !warning;
}


// What the participant typed and the phone has not stored yet: { id, change }. It stays here
// (and is retried) until IndexedDB has taken it, so a failed write loses nothing.
let pendingSave = null;
let retryTimer = null;
// Stores run one at a time, in the order they were asked for, so an older change never lands
// over a newer one; each stores what is pending when it starts, so what is typed while one
// store runs is stored by the next, in one write.
let queue = Promise.resolve(null);

/** Store a change of response id now (in the background; saveNow waits for it). */
export function saveSoon(id, change) {
  setPending(id, change);
  saveNow();
}

// The free-text answers of a response, by JSON Pointer (as services/text_languages.py).
function freeTexts(definition, answers) {
  const found = {};
  for (const [qid, q] of Object.entries(definition?.questions ?? {})) {
    const value = answers[qid];
    if (["text", "textarea"].includes(q.widget) && typeof value === "string") found[`/${qid}`] = value;
    if (q.widget === "group" && Array.isArray(value)) {
      value.forEach((item, i) => q.children.forEach((c) => {
        if (["text", "textarea"].includes(c.widget) && typeof item?.[c.id] === "string") {
          found[`/${qid}/${i}/${c.id}`] = item[c.id];
        }
      }));
    }
  }
  return found;
}

// Each changed free-text answer was typed in the language the app is shown in now.
export const typedIn = (definition) => (before, after, known) => {
  const old = freeTexts(definition, before);
  const languages = {};
  for (const [pointer, text] of Object.entries(freeTexts(definition, after))) {
    languages[pointer] = old[pointer] === text && known[pointer] ? known[pointer] : LANG;
  }
  return languages;
};

/**
 * Store what is pending. Resolves truthy once everything handed over until now is stored on the
 * phone (the record as last stored, or true), null when the store failed: the change is then
 * kept in memory and tried again soon.
 */
export function saveNow() {
  clearTimeout(retryTimer);
  queue = queue.then(storePending).catch(() => null); // one failure never stops the next stores
  return queue;
}

async function storePending(previous) {
  const pending = pendingSave;
  // Stored by the store before this one already (its record), or nothing was typed.
  if (!pending) return previous || true;
  let saved;
  try {
    saved = await records.saveAnswers(pending.id, pending.change);
  } catch (error) {
    // Quota exceeded, the database closed or blocked, private mode: keep the answers in
    // memory, say so, and try again soon. Nothing is claimed sent meanwhile.
    if (pendingSave === pending) retryTimer = setTimeout(saveNow, 3000);
    await showSaveProblem(true);
    return null;
  }
  if (pendingSave === pending) pendingSave = null;
  if (pendingSave) return saved; // typed meanwhile: the next store, already asked for, reports
  if (state.unsaved) await showSaveProblem(false);
  await updateStatus();
  afterSave();
  askForPersistence();
  return saved;
}
