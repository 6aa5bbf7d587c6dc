/**
 * The one module that owns IndexedDB: drafts, the outbox, and the questionnaires kept for
 * offline use. Upgrades only ever add (if (oldVersion < N)); a store with unsent answers is
 * never deleted. No network call is ever awaited inside a transaction.
 */
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
      resolve(request.result);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("database upgrade blocked by another tab"));
  });
  return opening;
}

/** Run fn(stores) in one transaction and resolve with its result once it has committed. */
export async function transaction(names, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    Promise.resolve(fn(stores)).then((value) => { result = value; }, (error) => {
      tx.abort();
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

/**
 * Save a response's answers on the phone and queue them for the server, atomically: after
 * this resolves the answers survive a closed tab, a reload and a restart.
 */
export function saveResponse(record) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const stored = await done(s.responses.get(record.id));
    const next = {
      ...stored, ...record,
      localRevision: (stored?.localRevision ?? 0) + 1,
      savedAt: new Date().toISOString(),
      problem: null,
    };
    s.responses.put(next);
    s.outbox.put({ id: next.id, localRevision: next.localRevision, queuedAt: next.savedAt });
    return next;
  });
}

/**
 * Record the server's receipt for what was sent at sentRevision. The outbox entry goes only
 * if nothing was saved on the phone since; the merged answers are taken in that case too.
 */
export function acknowledge(id, sentRevision, receipt) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const record = await done(s.responses.get(id));
    const queued = await done(s.outbox.get(id));
    if (!record) return;
    record.baseRevision = receipt.revision;
    record.receivedAt = receipt.received_at;
    record.serverStatus = receipt.status;
    if (record.localRevision === sentRevision) {
      record.answers = receipt.answers;
      if (queued && queued.localRevision === sentRevision) s.outbox.delete(id);
    }
    s.responses.put(record);
  });
}

/** Keep a response the server refused (409/422) on the phone, marked, out of the retry loop. */
export function refuse(id, sentRevision, problem) {
  return transaction(["responses", "outbox"], "readwrite", async (s) => {
    const record = await done(s.responses.get(id));
    const queued = await done(s.outbox.get(id));
    if (!record || record.localRevision !== sentRevision) return;
    record.problem = problem;
    s.responses.put(record);
    if (queued) s.outbox.put({ ...queued, blocked: true });
  });
}
