/**
 * Send the outbox to the server in bounded batches. Used by the pages and by the service
 * worker (Background Sync). One flush at a time across tabs and the worker (Web Locks); a
 * record leaves the outbox only when the server has acknowledged its id and revision.
 */
import * as db from "./db.js";
import * as records from "./records.js";

export const BATCH_SIZE = 20;
const API = "/api/v1/sync";
const REBASES = 3; // a 409 "unknown revision" is rebased and sent again, a few times at most

/** Set when the server said a response is on another version now (see main.js). */
export let movedOnServer = false;
export function takeMovedNotice() {
  const seen = movedOnServer;
  movedOnServer = false;
  return seen;
}

export class SignedOut extends Error {}
export class ServerTrouble extends Error {}
/** The server says the answers open on the phone are not the signed-in participant's. */
export class NotTheirs extends SignedOut {}

function payload(record, device) {
  return {
    id: record.id, questionnaire: record.slug, version: record.version, status: record.status,
    answers: record.answers, base_revision: record.baseRevision ?? null,
    saved_at: record.savedAt, text_languages: record.textLanguages ?? null,
    device, sequence: record.localRevision,
  };
}

async function post(batch, device) {
  let response;
  try {
    response = await fetch(API, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ participant: db.currentOwner(),
        responses: batch.map((r) => payload(r, device)) }),
    });
  } catch (error) {
    throw new ServerTrouble(String(error));
  }
  if (response.status === 401) throw new SignedOut();
  if (response.status === 409) throw new NotTheirs();
  if (!response.ok) throw new ServerTrouble(`HTTP ${response.status}`);
  return (await response.json()).results;
}

async function sendAll() {
  const device = await db.deviceId();
  let sent = 0;
  const done = new Set();
  const rebased = new Map();
  for (;;) {
    const queue = (await db.getAll("outbox")).filter((q) => !q.blocked && !done.has(q.id));
    if (!queue.length) return { sent };
    const batch = (await Promise.all(queue.slice(0, BATCH_SIZE).map((q) => records.response(q.id))))
      .filter(Boolean);
    if (!batch.length) return { sent };
    const results = await post(batch, device);
    const byId = new Map(batch.map((r) => [r.id, r]));
    for (const result of results) {
      const record = byId.get(result.id);
      if (!record) continue;
      const what = { localRevision: record.localRevision, answers: record.answers };
      done.add(result.id); // a record changed while sending is sent again on the next flush
      if (result.receipt) {
        await records.acknowledge(result.id, what, result.receipt);
        sent += 1;
      } else if (result.status >= 500) {
        throw new ServerTrouble(`HTTP ${result.status}`);
      } else if (result.problem?.code === "revision" && result.problem.current
        && (rebased.get(result.id) ?? 0) < REBASES) {
        await records.rebase(result.id, result.problem.current);
        rebased.set(result.id, (rebased.get(result.id) ?? 0) + 1);
        done.delete(result.id); // send the rebased answers in this flush
      } else {
        await records.refuse(result.id, what, result.problem);
        // Moved to a newer version on the server: /api/v1/me brings it, then it is sent again.
        if (result.problem?.code === "version") movedOnServer = true;
      }
    }
  }
}

/**
 * Flush the open participant's outbox; resolves {sent}, or {skipped: true} when another flush
 * is running or nobody's data is open.
 */
export function flush() {
  if (db.currentOwner() == null) return Promise.resolve({ skipped: true });
  if (globalThis.navigator?.locks) {
    return navigator.locks.request("loype-outbox", { ifAvailable: true },
      (lock) => (lock ? sendAll() : { skipped: true }));
  }
  return sendAll();
}

/**
 * Send one response as the phone has it in memory, because it could not store it (saving.js):
 * the same request the outbox would send for it. Resolves the server's result for it
 * ({receipt} or {problem}), or null when another flush is running or nobody's data is open.
 */
export function sendUnstored(record) {
  if (db.currentOwner() == null) return Promise.resolve(null);
  const send = async () => {
    const [result] = (await post([record], await db.deviceId())).filter((r) => r.id === record.id);
    if (result?.status >= 500) throw new ServerTrouble(`HTTP ${result.status}`);
    return result ?? null;
  };
  if (globalThis.navigator?.locks) {
    return navigator.locks.request("loype-outbox", { ifAvailable: true }, (lock) => (lock ? send() : null));
  }
  return send();
}

/** Return the delay before retry number attempt: exponential, jittered, at most 5 minutes. */
export function backoff(attempt, random = Math.random) {
  const base = Math.min(300_000, 2_000 * 2 ** attempt);
  return Math.round(base * (0.5 + random()));
}
