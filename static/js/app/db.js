/**
 * The one module that opens IndexedDB. Each participant has a database of their own
 * ("loype-p<id>": responses, outbox, documents, meta, inbox), so two people on one phone never share
 * a record; the phone's own database ("loype-device") says only which participant's data is
 * open and what the phone calls itself. Upgrades only ever add (if (oldVersion < N)); a store
 * with unsent answers is never deleted. No network call is awaited inside a transaction.
 *
 * What is in a participant's records is encrypted (records.js, vault.js); the outbox holds
 * only ids and counters.
 */

const DEVICE = "loype-device";
const PARTICIPANT_VERSION = 2;

/** The participant whose database is in use, and the name of that database. */
let owner = null;
let mayCreate = true; // false in the service worker: it only ever opens what the app made
const connections = new Map(); // name -> Promise<IDBDatabase>

export const participantDatabase = (id) => `loype-p${id}`;
export const currentOwner = () => owner;

/**
 * Use participant `id`'s database from now on (null: nobody's). With create false (the
 * service worker) a database that is not there stays away: a receipt that arrives after the
 * participant signed out and deleted theirs must not make an empty one that names them.
 */
export function use(id, { create = true } = {}) {
  owner = id;
  mayCreate = create;
}

function upgradeParticipant(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore("responses", { keyPath: "id" }); // the answers, one per response
    db.createObjectStore("outbox", { keyPath: "id" }); // what the server has not confirmed
    db.createObjectStore("documents", { keyPath: "key" }); // questionnaires, localized
    db.createObjectStore("meta", { keyPath: "key" }); // /api/v1/me, the key, PIN tries
  }
  if (oldVersion < 2) db.createObjectStore("inbox", { keyPath: "id" }); // notifications (inbox.js)
}

function upgradeDevice(db, oldVersion) {
  if (oldVersion < 1) db.createObjectStore("meta", { keyPath: "key" });
}

function connect(name, version, upgrade, create = true) {
  if (!connections.has(name)) {
    connections.set(name, new Promise((resolve, reject) => {
      const request = indexedDB.open(name, version);
      request.onupgradeneeded = (event) => {
        if (event.oldVersion === 0 && !create) return request.transaction.abort(); // not made
        upgrade(request.result, event.oldVersion);
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => { db.close(); connections.delete(name); }; // let others upgrade or delete
        db.onclose = () => connections.delete(name); // closed under us: open again next time
        resolve(db);
      };
      request.onerror = () => { connections.delete(name); reject(request.error); };
      request.onblocked = () => { connections.delete(name); reject(new Error(`${name} is blocked by another tab`)); };
    }));
  }
  return connections.get(name);
}

function openParticipant(id = owner) {
  if (id == null) return Promise.reject(new Error("nobody's data is open on this phone"));
  return connect(participantDatabase(id), PARTICIPANT_VERSION, upgradeParticipant, mayCreate);
}

/** Run fn(stores) in one transaction on db and resolve with its result once it committed. */
async function run(dbPromise, names, mode, fn) {
  const db = await dbPromise;
  return new Promise((resolve, reject) => {
    let tx;
    try {
      tx = db.transaction(names, mode);
    } catch (error) {
      connections.delete(db.name); // e.g. InvalidStateError: the database was closed
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

/** A transaction on the open participant's database. */
export const transaction = (names, mode, fn) => run(openParticipant(), names, mode, fn);

/** Promise for one IDBRequest. */
export const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

export const get = (store, key) => transaction([store], "readonly", (s) => done(s[store].get(key)));
export const getAll = (store) => transaction([store], "readonly", (s) => done(s[store].getAll()));
export const put = (store, value) => transaction([store], "readwrite", (s) => done(s[store].put(value)));
export const remove = (store, key) => transaction([store], "readwrite", (s) => done(s[store].delete(key)));

const device = (mode, fn) => run(connect(DEVICE, 1, upgradeDevice), ["meta"], mode, (s) => fn(s.meta));

/** Read one entry of the phone's own database. */
export const deviceGet = async (key) => (await device("readonly", (m) => done(m.get(key))))?.value;
/** Write one entry of the phone's own database (undefined deletes it). */
export const deviceSet = (key, value) => device("readwrite",
  (m) => done(value === undefined ? m.delete(key) : m.put({ key, value })));

/** This phone's id for the server: made once, kept with the phone's own data. */
export async function deviceId() {
  const found = await deviceGet("device");
  if (found) return found;
  const value = `phone-${crypto.randomUUID()}`;
  await deviceSet("device", value);
  return value;
}

/**
 * Lock participant `id`'s data away (signed out): what was never sent stays, encrypted, with
 * its outbox entry; the key, the questionnaires, /api/v1/me, the inbox and everything already
 * on the server are deleted. The same participant signing in again gets the key back and sends it.
 * Resolves with the number of responses kept.
 */
export function lockAway(id) {
  return run(openParticipant(id), ["responses", "outbox", "documents", "meta", "inbox"], "readwrite", async (s) => {
    const waiting = new Set(await done(s.outbox.getAllKeys()));
    for (const key of await done(s.responses.getAllKeys())) {
      if (!waiting.has(key)) s.responses.delete(key);
    }
    s.documents.clear();
    s.meta.clear();
    s.inbox.clear();
    return waiting.size;
  });
}

/** Delete participant `id`'s database from the phone, unsent answers included. */
export async function forget(id) {
  const name = participantDatabase(id);
  if (connections.has(name)) {
    (await connections.get(name).catch(() => null))?.close();
    connections.delete(name);
  }
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    // Blocked: another tab or the service worker has it open; they close on versionchange.
    // Deleted once they let go, whether or not this page waits that long.
    request.onblocked = () => setTimeout(resolve, 3000);
  });
}
