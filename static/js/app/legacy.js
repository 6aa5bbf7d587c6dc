/**
 * Answers kept by the app before each participant had a database of their own (one database
 * "loype" for whoever used the phone). They belong to the person /api/v1/me named then; they
 * move into that person's database, encrypted, the first time that same person is signed in,
 * and are never sent under anyone else's session. Until then they stay where they are.
 */
import * as db from "./db.js";
import * as records from "./records.js";

const LEGACY = "loype";

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function openLegacy() {
  const names = (await indexedDB.databases?.()) ?? [];
  if (!names.some((d) => d.name === LEGACY)) return null;
  const legacy = await request(indexedDB.open(LEGACY));
  if (!legacy.objectStoreNames.contains("responses")) {
    legacy.close();
    return null;
  }
  return legacy;
}

function readAll(legacy) {
  const tx = legacy.transaction(["responses", "outbox", "meta"], "readonly");
  return Promise.all([request(tx.objectStore("responses").getAll()),
    request(tx.objectStore("outbox").getAll()), request(tx.objectStore("meta").getAll())]);
}

/** Move the old database's records to `me`'s own database if they are `me`'s. */
export async function adoptLegacy(me) {
  let legacy;
  try {
    legacy = await openLegacy();
  } catch {
    return;
  }
  if (!legacy) return;
  const [responses, outbox, meta] = await readAll(legacy);
  legacy.close();
  const then = meta.find((m) => m.key === "me")?.value;
  const empty = !responses.length && !outbox.length;
  if (!empty && then?.participant?.display_name !== me.participant.display_name) return; // someone else's
  const queued = new Map(outbox.map((q) => [q.id, q]));
  for (const record of responses) await records.importRecord(record, queued.get(record.id) ?? null);
  const device = meta.find((m) => m.key === "device")?.value;
  if (device && !(await db.deviceGet("device"))) await db.deviceSet("device", device);
  await request(indexedDB.deleteDatabase(LEGACY));
}
