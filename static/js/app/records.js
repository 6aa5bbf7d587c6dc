/**
 * The participant's responses on the phone: drafts, the outbox, and what /api/v1/me said.
 *
 * It alone sets a response's base revision (the server revision its answers build on), from
 * receipts and from the server's state only, and never backwards. Callers pass answers, never
 * a copy of a record: a page's old copy can never undo what a receipt taught the phone.
 *
 * A response as callers see it: { id, slug, version, status, answers, textLanguages,
 * localRevision, savedAt, baseRevision, baseAnswers, serverStatus, receivedAt, problem,
 * followUp, keptCopy, messages, newQuestions }. As stored, everything that says something about the person (answers,
 * base answers, languages, problems, messages, the kept copy) is sealed with vault.js. Sealing
 * is asynchronous, and an IndexedDB transaction cannot wait for it, so every change reads,
 * computes and seals outside, then writes only if the record and its outbox entry are still as
 * read (compare and set on a stamp), and otherwise starts again.
 */
import * as db from "./db.js";
import { merge } from "./merge.js";
import { seal, unseal } from "./vault.js";

const SEALED = ["answers", "baseAnswers", "textLanguages", "problem", "followUp", "keptCopy",
  "messages"];
const ATTEMPTS = 20;

const context = (id) => `${db.currentOwner()}/${id}`;

async function openRecord(stored) {
  if (!stored) return null;
  const { sealed, stamp, ...plain } = stored;
  return { ...plain, ...(sealed ? await unseal(sealed, context(stored.id)) : {}) };
}

async function sealRecord(record) {
  const plain = {};
  const secret = {};
  for (const [name, value] of Object.entries(record)) (SEALED.includes(name) ? secret : plain)[name] = value;
  return { ...plain, stamp: crypto.randomUUID(), sealed: await seal(secret, context(record.id)) };
}

const sameEntry = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const queueEntry = (record) => ({ id: record.id, localRevision: record.localRevision, queuedAt: record.savedAt });

/**
 * Change response `id`: fn(record, queued) returns undefined (no change) or { record, outbox,
 * result } where outbox is a new entry, null (delete it) or undefined (leave it). Written
 * only if nothing changed the record or its entry meanwhile (another tab, the service worker).
 */
async function change(id, fn) {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const [stored, queued] = await db.transaction(["responses", "outbox"], "readonly",
      (s) => Promise.all([db.done(s.responses.get(id)), db.done(s.outbox.get(id))]));
    const outcome = fn(await openRecord(stored), queued ?? null);
    if (!outcome) return undefined;
    const sealed = outcome.record ? await sealRecord(outcome.record) : null;
    const written = await db.transaction(["responses", "outbox"], "readwrite", async (s) => {
      const [now, nowQueued] = await Promise.all([db.done(s.responses.get(id)), db.done(s.outbox.get(id))]);
      if ((now?.stamp ?? null) !== (stored?.stamp ?? null) || !sameEntry(nowQueued, queued)) return false;
      if (sealed) s.responses.put(sealed);
      if (outcome.outbox === null) s.outbox.delete(id);
      else if (outcome.outbox) s.outbox.put(outcome.outbox);
      return true;
    });
    if (written) return "result" in outcome ? outcome.result : outcome.record;
  }
  throw new Error(`response ${id} kept changing while it was saved`);
}

/** One response, opened; null when the phone has none with this id. */
export const response = async (id) => openRecord(await db.get("responses", id));

/** Every response of the participant, opened. */
export async function responses() {
  return Promise.all((await db.getAll("responses")).map(openRecord));
}

/** What /api/v1/me said last (sealed: it names the person). */
export async function me() {
  const stored = await db.get("meta", "me");
  return stored ? unseal(stored.sealed, context("me")) : null;
}

export async function keepMe(value) {
  await db.put("meta", { key: "me", at: new Date().toISOString(), sealed: await seal(value, context("me")) });
}

/** Start a response on the phone (nothing on the server yet: no base revision). */
export function createResponse({ id, slug, version }) {
  return change(id, (existing) => {
    if (existing) throw new Error(`response ${id} exists`);
    const record = { id, slug, version, status: "draft", answers: {}, textLanguages: {},
      localRevision: 1, savedAt: new Date().toISOString(), baseRevision: null, baseAnswers: {},
      problem: null };
    return { record, outbox: queueEntry(record) };
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
  return change(id, (stored) => {
    if (!stored) throw new Error(`no response ${id} on this phone`);
    const answers = Object.fromEntries(Object.entries(stored.answers ?? {})
      .filter(([qid]) => !questions.includes(qid)));
    Object.assign(answers, page);
    const record = {
      ...stored,
      answers,
      status: status ?? stored.status,
      textLanguages: languages ? languages(stored.answers ?? {}, answers, stored.textLanguages ?? {})
        : stored.textLanguages ?? {},
      localRevision: (stored.localRevision ?? 0) + 1,
      savedAt: new Date().toISOString(),
      problem: null,
    };
    return { record, outbox: queueEntry(record) };
  });
}

/**
 * Record the server's receipt for what was sent ({localRevision, answers}). With no edits since,
 * the phone takes the server's answers (a merge may have brought another device's) and the
 * outbox entry goes. With newer edits, they are replayed on top of the server's answers
 * (rebase) and stay queued. An older receipt than the base the phone has is ignored.
 */
export function acknowledge(id, sent, receipt) {
  return change(id, (record, queued) => {
    if (!record) return undefined;
    if (record.baseRevision != null && receipt.revision < record.baseRevision) return undefined;
    let outbox;
    if (record.localRevision === sent.localRevision) {
      record.answers = receipt.answers;
      if (queued && queued.localRevision === sent.localRevision) outbox = null;
    } else {
      record.answers = merge(sent.answers, receipt.answers, record.answers).merged;
    }
    Object.assign(record, { baseRevision: receipt.revision, baseAnswers: receipt.answers,
      serverStatus: receipt.status, receivedAt: receipt.received_at });
    return { record, outbox };
  });
}

/**
 * The server did not know the base (409 with its state): replay this phone's edits since its
 * base on top of the server's answers, and send again from there.
 */
export function rebase(id, current) {
  return change(id, (record) => {
    if (!record) return undefined;
    record.answers = merge(record.baseAnswers ?? {}, current.answers, record.answers).merged;
    Object.assign(record, { baseRevision: current.revision, baseAnswers: current.answers,
      serverStatus: current.status });
    return { record };
  });
}

/**
 * The language the server writes its refusals in: the participant's, as the page is shown
 * (the service worker, with no page, takes what /api/v1/me said it is).
 */
async function serverLanguage() {
  const shown = globalThis.document?.documentElement?.lang;
  if (shown) return shown;
  const language = (await me().catch(() => null))?.participant?.language;
  return language ? language.replaceAll("_", "-") : null;
}

/**
 * Keep a response the server refused (409/422) on the phone, marked, out of the retry loop.
 * The problem keeps the language its words came in (lang), to be marked when it is shown.
 */
export async function refuse(id, sent, problem) {
  const lang = problem && !problem.lang ? await serverLanguage() : null;
  return change(id, (record, queued) => {
    if (!record || record.localRevision !== sent.localRevision) return undefined;
    record.problem = lang ? { ...problem, lang } : problem;
    if (problem?.current) record.serverStatus = problem.current.status;
    return { record, outbox: queued ? { ...queued, blocked: true } : undefined };
  });
}

/** Send a refused response again as it is (after the counsellor opened it, say). */
export function retry(id) {
  return change(id, (record) => {
    if (!record) return undefined;
    record.problem = null;
    return { record, outbox: queueEntry(record) };
  });
}

/**
 * Give up this phone's unsent changes and take the server's version; the phone's answers are
 * kept beside it (record.keptCopy) so the participant can still read what they wrote.
 */
export function takeServerVersion(id) {
  return change(id, (record) => {
    const current = record?.problem?.current
      ?? (record?.baseRevision != null
        ? { revision: record.baseRevision, answers: record.baseAnswers, status: record.serverStatus }
        : null);
    if (!current) return undefined;
    if (record.baseRevision != null && current.revision < record.baseRevision) return undefined;
    Object.assign(record, { keptCopy: { answers: record.answers, savedAt: record.savedAt },
      answers: current.answers, status: current.status ?? record.status,
      baseRevision: current.revision, baseAnswers: current.answers, serverStatus: current.status,
      problem: null });
    return { record, outbox: null };
  });
}

/**
 * Take what /api/v1/me says the server has. A record with nothing waiting to be sent follows
 * the server (a reopening, another device's edits, a move to a newer version); one with unsent
 * edits keeps them, and a refused one is released when the server has opened it again.
 *
 * A draft the server moved to a newer version of its questionnaire takes that version; unsent
 * edits are replayed on top of the moved answers, for the questions the new version still has
 * (questionsOf(slug, version) -> Set of ids, or null when its document is not here yet: then
 * the server checks). What the phone had stays readable beside it (keptCopy).
 */
export async function adoptServer(summaries, { questionsOf = () => null } = {}) {
  for (const r of summaries) {
    const server = { baseRevision: r.revision, baseAnswers: r.answers, serverStatus: r.status,
      receivedAt: r.submitted_at || r.updated_at, followUp: r.follow_up_message || "",
      newQuestions: r.new_questions ?? [], messages: r.messages ?? [] };
    const fits = questionsOf(r.questionnaire, r.version);
    await change(r.id, (local, queued) => {
      if (!local) {
        return { record: { id: r.id, slug: r.questionnaire, version: r.version, status: r.status,
          answers: r.answers, textLanguages: {}, localRevision: 0, savedAt: r.updated_at,
          problem: null, ...server } };
      }
      if (local.baseRevision != null && r.revision < local.baseRevision) return undefined;
      if (!queued) {
        return { record: { ...local, ...server, answers: r.answers, status: r.status,
          version: r.version } };
      }
      if (r.version !== local.version && r.status === "draft") {
        const merged = merge(local.baseAnswers ?? {}, r.answers, local.answers).merged;
        const answers = fits ? Object.fromEntries(Object.entries(merged).filter(([q]) => fits.has(q)))
          : merged;
        return { record: { ...local, ...server, version: r.version, answers, status: local.status,
          problem: null, keptCopy: { answers: local.answers, savedAt: local.savedAt } },
        outbox: { ...queued, blocked: false } };
      }
      if (queued.blocked && r.status === "draft" && local.problem?.status === 409) {
        // Opened again for changes: rebase the unsent edits and send them.
        const answers = merge(local.baseAnswers ?? {}, r.answers, local.answers).merged;
        return { record: { ...local, ...server, answers, status: local.status, problem: null },
          outbox: { ...queued, blocked: false } };
      }
      if (local.followUp === server.followUp
        && JSON.stringify(local.messages ?? []) === JSON.stringify(server.messages)) return undefined;
      // The counsellor's words are taken at once; the answers wait for the next receipt.
      return { record: { ...local, followUp: server.followUp, messages: server.messages } };
    });
  }
}

/** Take a record kept by the app before it encrypted anything (legacy.js), unless present. */
export function importRecord(plain, queued) {
  return change(plain.id, (existing) => {
    if (existing) return undefined;
    return { record: plain, outbox: queued ? { ...queued } : undefined };
  });
}
