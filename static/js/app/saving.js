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
import { merge } from "./merge.js";
import * as records from "./records.js";
import { showSaveProblem, state, updateStatus } from "./status.js";
import { sendUnstored } from "./sync.js";
import { LANG, S } from "./screen.js";

let afterSave = () => {};
/** Call fn when the phone has stored what was typed (to send it soon). */
export function onSaved(fn) {
  afterSave = fn;
}

let rebuild = async () => {};
/** Call fn when a response is gone from the phone's store (its database deleted): it brings
 * back what the server has (documents.js refresh), so what is typed can be stored again. */
export function onMissing(fn) {
  rebuild = fn;
}

/** Make change the next thing to store for response id (replacing an unsaved one). */
export function setPending(id, change) {
  clearTimeout(retryTimer);
  pendingSave = { id, change };
  state.sentUnsaved = false;
}

/** Is something typed kept only in memory, because the phone could not store it? */
export function unsavedNow() {
  return Boolean(pendingSave) && state.unsaved;
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
    saved = sentFromMemory.has(pending.id) ? await storeAfterSending(pending)
      : await records.saveAnswers(pending.id, pending.change);
  } catch (error) {
    // Quota exceeded, the database closed or blocked, private mode: keep the answers in
    // memory, say so, and try again soon (a send meanwhile takes them from memory:
    // sendUnsaved). Nothing is claimed sent that the server does not have.
    if (pendingSave === pending) retryTimer = setTimeout(saveNow, 3000);
    await showSaveProblem(true);
    if (await rebuilt(pending.id)) {
      clearTimeout(retryTimer);
      return storePending(previous);
    }
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

// ------------------------------------------------------------- sending what could not be stored

// Responses sent from memory since the phone last stored them: id -> { localRevision (the
// sequence it was sent with: the one its next store takes), sent (the answers), receipt }.
const sentFromMemory = new Map();
const REBASES = 3;

/**
 * Send the change the phone could not store, from memory: the request the outbox would send
 * once it is stored (the same sequence, the same base), so the server stores it by the same
 * rules, once. Answers in memory are lost with the page; on the server they are not, and the
 * app takes them from /api/v1/me when it opens again. Resolves true when the server has the
 * change as it is now; false when it was not sent (nothing waits, its response is not on the
 * phone, the server refused it, or another flush is running: a retry sends it).
 */
export async function sendUnsaved() {
  const pending = pendingSave;
  if (!pending || !state.unsaved) return false;
  const record = await records.wouldSave(pending.id, pending.change).catch(() => null);
  if (!record) return false;
  const before = sentFromMemory.get(record.id);
  let base = { revision: record.baseRevision ?? null, answers: record.baseAnswers ?? {} };
  let answers = record.answers;
  if (before?.receipt && before.localRevision === record.localRevision) {
    // Sent from memory before: the edits since go on top of what the server made of it, as
    // a receipt rebases edits the phone stored meanwhile (records.acknowledge).
    answers = merge(before.sent, before.receipt.answers, answers).merged;
    base = before.receipt;
  }
  for (let rebases = 0; rebases <= REBASES; rebases++) {
    // From now on the server may have this sequence: the next store takes a later one.
    const known = before?.localRevision === record.localRevision ? before : {};
    sentFromMemory.set(record.id, { ...known, localRevision: record.localRevision });
    const result = await sendUnstored({ ...record, answers, baseRevision: base.revision });
    if (!result) return false;
    const current = result.receipt?.superseded ? result.receipt
      : result.problem?.code === "revision" ? result.problem.current : null;
    if (result.receipt && !current) {
      sentFromMemory.set(record.id, { localRevision: record.localRevision, sent: answers,
        receipt: result.receipt });
      if (pendingSave === pending) state.sentUnsaved = true;
      await updateStatus();
      return true;
    }
    if (!current) return false; // refused: it stays in memory, and the notice says so
    // The server has a newer request of this phone (one sent from memory whose answer was
    // lost) or another base: replay the edits on top of what it has, and send again.
    answers = merge(base.answers ?? {}, current.answers, answers).merged;
    base = current;
  }
  return false;
}

/**
 * Store a change of a response sent from memory meanwhile. The server may have that request,
 * with the sequence the next store takes; a stored change with the same sequence would be an
 * older request overtaken by it, and its receipt would take the server's answers over what
 * was typed since. So the change is stored twice: the second takes the next sequence, which
 * the server merges against what it was sent from memory, as for a request whose answer was
 * lost (docs/sync.md). Under the outbox's lock, so nothing sends the first without the second.
 */
async function storeAfterSending(pending) {
  const store = async () => {
    await records.saveAnswers(pending.id, pending.change);
    return records.saveAnswers(pending.id, pending.change);
  };
  const saved = globalThis.navigator?.locks
    ? await navigator.locks.request("loype-outbox", { ifAvailable: true }, (lock) => (lock ? store() : null))
    : await store();
  if (!saved) throw new Error("the outbox is being sent: stored after it");
  sentFromMemory.delete(pending.id);
  return saved;
}

let rebuilding = null;
/**
 * A response gone from the phone's store while the page was open (its database deleted):
 * bring back what the server has, once at a time. Resolves true when it is there again.
 */
async function rebuilt(id) {
  if (rebuilding) return false;
  rebuilding = (async () => {
    try {
      if ((await records.response(id)) !== null) return false; // there: another trouble
      await rebuild();
      return (await records.response(id)) !== null;
    } catch {
      return false; // offline, or the store cannot be read either: the retry tries again
    }
  })();
  try {
    return await rebuilding;
  } finally {
    rebuilding = null;
  }
}
