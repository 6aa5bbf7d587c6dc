/**
 * Send the outbox to the server in bounded batches. Used by the pages and by the service
 * worker (Background Sync). One flush at a time across tabs and the worker (Web Locks); a
 * record leaves the outbox only when the server has acknowledged its id and revision.
 */
import * as db from "./db.js";

export const BATCH_SIZE = 20;
const API = "/api/v1/sync";

export class SignedOut extends Error {}
export class ServerTrouble extends Error {}

function payload(record) {
  return {
    id: record.id, questionnaire: record.slug, version: record.version, status: record.status,
    answers: record.answers, base_revision: record.baseRevision ?? null,
    saved_at: record.savedAt, text_languages: record.textLanguages ?? null,
  };
}

async function sendAll() {
  let sent = 0;
  const skip = new Set();
  for (;;) {
    const queue = (await db.getAll("outbox")).filter((q) => !q.blocked && !skip.has(q.id));
    if (!queue.length) return { sent };
    const records = (await Promise.all(queue.slice(0, BATCH_SIZE).map((q) => db.get("responses", q.id))))
      .filter(Boolean);
    if (!records.length) return { sent };
    let response;
    try {
      response = await fetch(API, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ responses: records.map(payload) }),
      });
    } catch (error) {
      throw new ServerTrouble(String(error));
    }
    if (response.status === 401) throw new SignedOut();
    if (!response.ok) throw new ServerTrouble(`HTTP ${response.status}`);
    const { results } = await response.json();
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const result of results) {
      const record = byId.get(result.id);
      if (!record) continue;
      skip.add(result.id); // a record changed while sending is sent again on the next flush
      if (result.receipt) {
        await db.acknowledge(result.id, record.localRevision, result.receipt);
        sent += 1;
      } else if (result.status >= 500) {
        throw new ServerTrouble(`HTTP ${result.status}`);
      } else {
        await db.refuse(result.id, record.localRevision, result.problem);
      }
    }
  }
}

/** Flush the outbox; resolves {sent} or {skipped: true} when another flush is running. */
export function flush() {
  if (globalThis.navigator?.locks) {
    return navigator.locks.request("loype-outbox", { ifAvailable: true },
      (lock) => (lock ? sendAll() : { skipped: true }));
  }
  return sendAll();
}

/** Return the delay before retry number attempt: exponential, jittered, at most 5 minutes. */
export function backoff(attempt, random = Math.random) {
  const base = Math.min(300_000, 2_000 * 2 ** attempt);
  return Math.round(base * (0.5 + random()));
}
