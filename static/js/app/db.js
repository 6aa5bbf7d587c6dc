/**
 * The one module that owns IndexedDB: drafts, the outbox, and the questionnaires kept for
 * offline use. Upgrades only ever add (if (oldVersion < N)); a store with unsent answers is
 * never deleted. No network call is ever awaited inside a transaction.
 *
 * It alone sets a response's base revision (the server revision its answers build on), from
 * receipts and from the server's state only, and never backwards. Callers pass answers, never
 * a copy of a record: a page's old copy can never undo what a receipt taught the phone.
 *
 * A response record: { id, slug, version, status, answers, textLanguages, localRevision,
 * savedAt, baseRevision, baseAnswers, serverStatus, receivedAt, problem, followUp }.
 */
import { merge } from "./merge.js";

const NAME = "loype";
const VERSION = 1;

let opening = null;

/** Open (once) and upgrade the database. */
export function open() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("responses", { keyPath: "id" }); // the answers, one per response
        db.createObjectStore("outbox", { keyPath: "id" }); // what the server has not confirmed
        db.createObjectStore("documents", { keyPath: "key" }); // questionnaires, localized
        db.createObjectStore("meta", { keyPath: "key" }); // what /api/v1/me said last
      }
    };
    request.onsuccess = () => {
      request.result.onversionchange = () => request.result.close(); // let a newer tab upgrade
      request.result.onclose = () => { opening = null; }; // closed under us: open again next time
      resolve(request.result);
    };
    request.onerror = () => { opening = null; reject(request.error); };
    request.onblocked = () => { opening = null; reject(new Error("database upgrade blocked by another tab")); };
  });
  return opening;
}

/** Run fn(stores) in one transaction and resolve with its result once it has committed. */
export async function transaction(names, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    let tx;
    try {
      tx = db.transaction(names, mode);
    } catch (error) {
      opening = null; // e.g. InvalidStateError: the database was closed
      reject(error);
      return;
    }
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    Promise.resolve().then(() => fn(stores)).then((value) => { result = value; }, (error) => {
      try { tx.abort(); } catch { /* already finished */ }
      reject(error);
    });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

/** Promise for one IDBRequest. */
export const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

export const get = (store, key) => transaction([store], "readonly", (s) => done(s[store].get(key)));
export const getAll = (store) => transaction([store], "readonly", (s) => done(s[store].getAll()));
export const put = (store, value) => transaction([store], "readwrite", (s) => done(s[store].put(value)));

/** This phone's id for the server: made once, kept with the data it names. */
export async function deviceId() {
  const found = await get("meta", "device");
  if (found) return found.value;
  const value = `phone-${crypto.randomUUID()}`;
  await put("meta", { key: "device", value });
  return value;
}

function queue(s, record) {
  s.outbox.put({ id: record.id, localRevision: record.localRevision, queuedAt: record.savedAt });
}

/** Start a response on the phone (nothing on the server yet: no base revision). */
export function createResponse({ id, slug, version }) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const record = { id, slug, version, status: "draft", answers: {}, textLanguages: {},
      localRevision: 1, savedAt: new Date().toISOString(), baseRevision: null, baseAnswers: {},
      problem: null };
    s.responses.put(record);
    queue(s, record);
    return record;
  });
}

/**
 * Save a change on the phone and queue it for the server, atomically: once this resolves it
 * survives a closed tab, a reload and a restart. The change names only what the page edits:
 * { page: answers to the page's questions, questions: the page's question ids (an id missing
 * from page is cleared), status, languages(before, after, known) -> languages of free texts }.
 * Everything else (other pages' answers, the base revision) stays as the store has it.
 */
export function saveAnswers(id, { page = {}, questions = [], status, languages }) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const stored = await done(s.responses.get(id));
    if (!stored) throw new Error(`no response ${id} on this phone`);
    const answers = Object.fromEntries(Object.entries(stored.answers ?? {})
      .filter(([qid]) => !questions.includes(qid)));
    Object.assign(answers, page);
    const next = {
      ...stored,
      answers,
      status: status ?? stored.status,
      textLanguages: languages ? languages(stored.answers ?? {}, answers, stored.textLanguages ?? {})
        : stored.textLanguages ?? {},
      localRevision: (stored.localRevision ?? 0) + 1,
      savedAt: new Date().toISOString(),
      problem: null,
    };
    s.responses.put(next);
    queue(s, next);
    return next;
  });
}

/**
 * Record the server's receipt for what was sent ({localRevision, answers}). With no edits since,
 * the phone takes the server's answers (a merge may have brought another device's) and the
 * outbox entry goes. With newer edits, they are replayed on top of the server's answers
 * (rebase) and stay queued. An older receipt than the base the phone has is ignored.
 */
export function acknowledge(id, sent, receipt) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const record = await done(s.responses.get(id));
    if (!record) return;
    if (record.baseRevision != null && receipt.revision < record.baseRevision) return;
    if (record.localRevision === sent.localRevision) {
      record.answers = receipt.answers;
      const queued = await done(s.outbox.get(id));
      if (queued && queued.localRevision === sent.localRevision) s.outbox.delete(id);
    } else {
      record.answers = merge(sent.answers, receipt.answers, record.answers).merged;
    }
    record.baseRevision = receipt.revision;
    record.baseAnswers = receipt.answers;
    record.serverStatus = receipt.status;
    record.receivedAt = receipt.received_at;
    s.responses.put(record);
  });
}

/**
 * The server did not know the base (409 with its state): replay this phone's edits since its
 * base on top of the server's answers, and send again from there.
 */
export function rebase(id, current) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const record = await done(s.responses.get(id));
    if (!record) return;
    record.answers = merge(record.baseAnswers ?? {}, current.answers, record.answers).merged;
    record.baseRevision = current.revision;
    record.baseAnswers = current.answers;
    record.serverStatus = current.status;
    s.responses.put(record);
  });
}

/** Keep a response the server refused (409/422) on the phone, marked, out of the retry loop. */
export function refuse(id, sent, problem) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const record = await done(s.responses.get(id));
    const queued = await done(s.outbox.get(id));
    if (!record || record.localRevision !== sent.localRevision) return;
    record.problem = problem;
    if (problem?.current) record.serverStatus = problem.current.status;
    s.responses.put(record);
    if (queued) s.outbox.put({ ...queued, blocked: true });
  });
}

/** Send a refused response again as it is (after the counsellor opened it, say). */
export function retry(id) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const record = await done(s.responses.get(id));
    if (!record) return;
    record.problem = null;
    s.responses.put(record);
    queue(s, record);
  });
}

/**
 * Give up this phone's unsent changes and take the server's version; the phone's answers are
 * kept beside it (record.keptCopy) so the participant can still read what they wrote.
 */
export function takeServerVersion(id) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const record = await done(s.responses.get(id));
    const current = record?.problem?.current
      ?? (record?.baseRevision != null
        ? { revision: record.baseRevision, answers: record.baseAnswers, status: record.serverStatus }
        : null);
    if (!current) return;
    if (record.baseRevision != null && current.revision < record.baseRevision) return;
    record.keptCopy = { answers: record.answers, savedAt: record.savedAt };
    record.answers = current.answers;
    record.status = current.status ?? record.status;
    record.baseRevision = current.revision;
    record.baseAnswers = current.answers;
    record.serverStatus = current.status;
    record.problem = null;
    s.responses.put(record);
    s.outbox.delete(id);
  });
}

/**
 * Take what /api/v1/me says the server has. A record with nothing waiting to be sent follows
 * the server (a reopening, another device's edits); one with unsent edits keeps them, and a
 * refused one is released when the server has opened it again.
 */
export function adoptServer(summaries) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    for (const r of summaries) {
      const local = await done(s.responses.get(r.id));
      const queued = await done(s.outbox.get(r.id));
      const server = { baseRevision: r.revision, baseAnswers: r.answers, serverStatus: r.status,
        receivedAt: r.submitted_at || r.updated_at, followUp: r.follow_up_message || "" };
      if (!local) {
        s.responses.put({ id: r.id, slug: r.questionnaire, version: r.version, status: r.status,
          answers: r.answers, textLanguages: {}, localRevision: 0, savedAt: r.updated_at,
          problem: null, ...server });
        continue;
      }
      if (local.baseRevision != null && r.revision < local.baseRevision) continue;
      if (!queued) {
        s.responses.put({ ...local, ...server, answers: r.answers, status: r.status });
      } else if (queued.blocked && r.status === "draft" && local.problem?.status === 409) {
        // Opened again for changes: rebase the unsent edits and send them.
        const answers = merge(local.baseAnswers ?? {}, r.answers, local.answers).merged;
        s.responses.put({ ...local, ...server, answers, status: local.status, problem: null });
        s.outbox.put({ ...queued, blocked: false });
      } else {
        s.responses.put({ ...local, followUp: server.followUp }); // the next receipt rebases it
      }
    }
  });
}
