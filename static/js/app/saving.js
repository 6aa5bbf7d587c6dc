/**
 * Saving what the participant types on the phone, at once and without losing it: a change
 * waits in memory until IndexedDB has taken it, and is retried when a write fails.
 */
import * as records from "./records.js";
import { showSaveProblem, state, updateStatus } from "./status.js";
import { LANG, S } from "./screen.js";

let afterSave = () => {};
/** Call fn after every change the phone stored (to send it soon). */
export function onSaved(fn) {
  afterSave = fn;
}

/** Make change the next thing to store for response id (replacing an unsaved one). */
export function setPending(id, change) {
  clearTimeout(saveTimer);
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
let saveTimer = null;
export function saveSoon(id, change) {
  clearTimeout(saveTimer);
  pendingSave = { id, change };
  saveTimer = setTimeout(saveNow, 300);
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

export async function saveNow() {
  clearTimeout(saveTimer);
  const pending = pendingSave;
  if (!pending) return null;
  let saved;
  try {
    saved = await records.saveAnswers(pending.id, pending.change);
  } catch (error) {
    // Quota exceeded, the database closed or blocked, private mode: keep the answers in
    // memory, say so, and try again soon. Nothing is claimed sent meanwhile.
    if (pendingSave === pending) saveTimer = setTimeout(saveNow, 3000);
    await showSaveProblem(true);
    return null;
  }
  if (pendingSave === pending) pendingSave = null;
  if (state.unsaved) await showSaveProblem(false);
  await updateStatus();
  afterSave();
  askForPersistence();
  return saved;
}
