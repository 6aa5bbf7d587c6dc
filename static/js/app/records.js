/**
 * The participant's responses on the phone: drafts, the outbox, and what /api/v1/me said.
 *
 * It alone sets a response's base revision (the server revision its answers build on), from
 * receipts and from the server's state only, and never backwards. Callers pass answers, never
 * a copy of a record: a page's old copy can never undo what a receipt taught the phone.
 *
 * A response as callers see it: { id, slug, version, status, answers, textLanguages,
 * localRevision, savedAt, baseRevision, baseAnswers, serverStatus, receivedAt, problem,
 * followUp, keptCopy (see keptCopies), messages, newQuestions }. As stored, everything that says something about the person (answers,
 * base answers, languages, problems, messages, the kept copy) is sealed with vault.js. Sealing
 * is asynchronous, and an IndexedDB transaction cannot wait for it, so every change reads,
 * computes and seals outside, then writes only if the record and its outbox entry are still as
 * read (compare and set on a stamp), and otherwise starts again.
 */
import * as db from "./db.js";
import { merge, same } from "./merge.js";
import { seal, unseal } from "./vault.js";
import { isEmpty } from "../engine/conditions.js";
import { isObject } from "../engine/pointers.js";
import { buildDefinition } from "../engine/types.js";
import { validateAnswers } from "../engine/validate.js";

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
 * from page is cleared), status, languages(before, after, known) -> languages of free texts,
 * version: the version the page was drawn on, drawn: the page's answers as it was drawn }.
 * Everything else (other pages' answers, the base revision) stays as the store has it.
 *
 * A page drawn on another version than the response is on now (it was moved to a newer one
 * meanwhile) changes only what the participant changed on it (page against drawn), by the rule
 * of a move: what fits the response's version is saved, the rest is kept readable beside it
 * (keptCopy), never saved as an answer to a question the version does not have.
 */
export async function saveAnswers(id, { page = {}, questions = [], status, languages, version, drawn }) {
  let rules; // the two versions' rules, once a page of an older version is seen
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let need = null;
    const saved = await change(id, (stored) => {
      if (!stored) throw new Error(`no response ${id} on this phone`);
      const stale = version != null && stored.version !== version;
      if (stale && rules?.to !== stored.version) {
        need = stored;
        return undefined;
      }
      const record = savedRecord(stored, { page, questions, status, languages, version, drawn }, rules?.fit);
      return { record, outbox: queueEntry(record) };
    });
    if (!need) return saved;
    rules = { to: need.version, fit: await fitting(need.slug, version, need.version) };
  }
  throw new Error(`response ${id} kept moving while it was saved`);
}

/** The record saveAnswers stores for a change of stored (fit: the versions' rules when stale). */
function savedRecord(stored, change, fit) {
  const stale = change.version != null && stored.version !== change.version;
  const record = stale ? staleSave(stored, change, fit) : freshSave(stored, change);
  return Object.assign(record, { localRevision: (stored.localRevision ?? 0) + 1,
    savedAt: new Date().toISOString(), problem: null });
}

/**
 * What saveAnswers(id, change) would store now, without storing it; null when the phone has
 * no such response. For a phone that cannot store: saving.js sends it from memory.
 */
export async function wouldSave(id, change) {
  const stored = await response(id);
  if (!stored) return null;
  const stale = change.version != null && stored.version !== change.version;
  return savedRecord(stored, change, stale ? await fitting(stored.slug, change.version, stored.version) : null);
}

function freshSave(stored, { page, questions, status, languages }) {
  const answers = Object.fromEntries(Object.entries(stored.answers ?? {})
    .filter(([qid]) => !questions.includes(qid)));
  Object.assign(answers, page);
  return {
    ...stored,
    answers,
    status: status ?? stored.status,
    textLanguages: languages ? languages(stored.answers ?? {}, answers, stored.textLanguages ?? {})
      : stored.textLanguages ?? {},
  };
}

function staleSave(stored, { page, questions, status, languages, version, drawn = {} }, fit) {
  const edits = {};
  const cleared = [];
  for (const qid of questions) {
    if (same(valueOf(page, qid), valueOf(drawn, qid))) continue; // as drawn: not changed here
    if (valueOf(page, qid) === null) cleared.push(qid);
    else edits[qid] = page[qid];
  }
  const asked = fit ? fit.to.definition.questions : {};
  const settled = { ...(stored.answers ?? {}) };
  for (const qid of [...Object.keys(edits), ...cleared]) if (Object.hasOwn(asked, qid)) delete settled[qid];
  const { answers: moved, leftBehind } = fit ? fitAnswers(fit.from, fit.to, edits, settled)
    : { answers: {}, leftBehind: Object.keys(edits) };
  const answers = { ...settled, ...moved };
  const kept = Object.fromEntries(leftBehind.filter((qid) => valueOf(edits, qid) !== null)
    .map((qid) => [qid, edits[qid]]));
  const known = stored.textLanguages ?? {};
  return {
    ...stored,
    answers,
    status: status ?? stored.status,
    textLanguages: languages ? { ...known, ...languages(stored.answers ?? {}, answers, known) } : known,
    keptCopy: keepBeside(stored.keptCopy, version, kept, new Date().toISOString()),
  };
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
 * Give up this phone's unsent changes and take the server's version; the phone's answers the
 * server does not have are kept beside it (record.keptCopy) so the participant can still read
 * what they wrote.
 */
export function takeServerVersion(id) {
  return change(id, (record) => {
    const current = record?.problem?.current
      ?? (record?.baseRevision != null
        ? { revision: record.baseRevision, answers: record.baseAnswers, status: record.serverStatus }
        : null);
    if (!current) return undefined;
    if (record.baseRevision != null && current.revision < record.baseRevision) return undefined;
    const notTaken = Object.fromEntries(Object.entries(record.answers ?? {})
      .filter(([qid]) => valueOf(record.answers, qid) !== null
        && !same(valueOf(record.answers, qid), valueOf(current.answers, qid))));
    Object.assign(record, {
      keptCopy: keepBeside(record.keptCopy, record.version, notTaken, record.savedAt),
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
 * edits are replayed on top of the moved answers by the server's own rule for a move (see
 * fitAnswers): those that fit the new version are sent, the others are kept readable beside
 * it (keptCopy, with the version they were given on). Without the new version's document
 * here, the edits of questions it has are sent (questionsOf(slug, version) -> Set of ids, or
 * null when its document is not here yet either: then the server checks).
 */
export async function adoptServer(summaries, { questionsOf = () => null } = {}) {
  for (const r of summaries) {
    const server = { baseRevision: r.revision, baseAnswers: r.answers, serverStatus: r.status,
      receivedAt: r.submitted_at || r.updated_at, followUp: r.follow_up_message || "",
      newQuestions: r.new_questions ?? [], messages: r.messages ?? [] };
    const fits = questionsOf(r.questionnaire, r.version);
    const before = await db.get("responses", r.id); // its version is not sealed
    const fit = before && before.version !== r.version && r.status === "draft"
      ? await fitting(r.questionnaire, before.version, r.version) : null;
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
        const { answers, kept } = replayMoved(local, r.answers,
          before?.version === local.version ? fit : null, fits);
        const record = { ...local, ...server, version: r.version, answers, status: local.status,
          problem: null, localRevision: (local.localRevision ?? 0) + 1,
          keptCopy: keepBeside(local.keptCopy, local.version, kept, local.savedAt) };
        // A new local revision: a refusal of what was sent before the move no longer applies.
        return { record, outbox: queueEntry(record) };
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

/**
 * The phone's unsent edits (its answers against its base) replayed on the answers the server
 * moved to the new version: { answers, kept }, kept being the phone's own answers that do not
 * fit the new version (by fit, else by the ids of fits).
 */
function replayMoved(local, moved, fit, fits) {
  const base = local.baseAnswers ?? {};
  const mine = local.answers ?? {};
  const { merged } = merge(base, moved, mine);
  const edits = {};
  const settled = {};
  for (const [qid, value] of Object.entries(merged)) {
    (same(valueOf(mine, qid), valueOf(base, qid)) ? settled : edits)[qid] = value;
  }
  let answers = merged;
  let leftBehind = [];
  if (fit) {
    const result = fitAnswers(fit.from, fit.to, edits, settled);
    answers = { ...settled, ...result.answers };
    leftBehind = result.leftBehind;
  } else if (fits) {
    leftBehind = Object.keys(edits).filter((qid) => !fits.has(qid));
    answers = Object.fromEntries(Object.entries(merged).filter(([qid]) => fits.has(qid)));
  }
  const kept = Object.fromEntries(leftBehind.filter((qid) => valueOf(mine, qid) !== null)
    .map((qid) => [qid, mine[qid]]));
  return { answers, kept };
}

// ---------------------------------------------------------------- answers on another version

const valueOf = (answers, qid) => (isEmpty(answers?.[qid]) ? null : answers[qid]);

/**
 * A record's kept copies: [{ version, answers, savedAt }], the phone's answers the server did
 * not take, each with the version it was given on (whose texts word it). A copy kept before
 * copies named their version (one object) is on the record's version.
 */
export function keptCopies(record) {
  const kept = record?.keptCopy;
  if (!kept) return [];
  return (Array.isArray(kept) ? kept : [kept]).map((copy) => ({ ...copy,
    version: copy.version ?? record.version }));
}

/** kept (answers given on version) added to the copies already kept; the newest value wins. */
function keepBeside(copies, version, kept, savedAt) {
  const list = copies ? (Array.isArray(copies) ? copies : [copies]).map((c) => ({ ...c })) : [];
  if (!Object.keys(kept).length) return copies ?? null;
  const copy = list.find((c) => c.version === version);
  if (copy) Object.assign(copy, { answers: { ...copy.answers, ...kept }, savedAt });
  else list.push({ version, answers: kept, savedAt });
  return list;
}

// Widgets whose answers have the same form (webapp/questionnaires/moving.py ANSWER_KINDS).
const KINDS = { text: "text", textarea: "text", country: "text", language: "text" };
const kindOf = (widget) => KINDS[widget ?? "?"] ?? widget ?? "?";

function compatible(from, to, qid) {
  if (!Object.hasOwn(from.questions, qid) || !Object.hasOwn(to.questions, qid)) return false;
  const [before, after] = [from.questions[qid], to.questions[qid]];
  if (kindOf(before.widget) !== kindOf(after.widget)) return false;
  if (after.widget !== "group") return true;
  const children = new Map(before.children.map((c) => [c.id, c]));
  return after.children.every((c) => !children.has(c.id)
    || kindOf(children.get(c.id).widget) === kindOf(c.widget));
}

// A group's entries with only the children the new version still has, and whether any went.
function groupEntries(to, qid, value) {
  if (to.questions[qid].widget !== "group" || !Array.isArray(value)) return [value, false];
  const keep = new Set(to.questions[qid].children.map((c) => c.id));
  const entries = value.map((entry) => (isObject(entry)
    ? Object.fromEntries(Object.entries(entry).filter(([k]) => keep.has(k))) : entry));
  return [entries, !same(entries, value)];
}

const token = (t) => (t ?? "").replaceAll("~1", "/").replaceAll("~0", "~");

/**
 * Which of answers (given on version from) fit version to, by the rule the server moves a
 * draft with (webapp/questionnaires/moving.py): the new version keeps the question with the
 * same kind of answer, and its options, limits and conditions accept it (checked together with
 * settled, answers already on the new version, which stay as they are); a group's entries
 * move child by child. Returns { answers: what fits, leftBehind: ids of what does not, or only
 * in part }. from and to: { definition, document, codes } (versionRules).
 */
export function fitAnswers(from, to, answers, settled = {}) {
  const candidate = {};
  const partly = new Set();
  for (const [qid, value] of Object.entries(answers)) {
    if (!compatible(from.definition, to.definition, qid)) continue;
    const [entries, trimmed] = groupEntries(to.definition, qid, structuredClone(value));
    candidate[qid] = entries;
    if (trimmed) partly.add(qid);
  }
  const children = Object.values(candidate).filter(Array.isArray)
    .reduce((n, entries) => n + entries.filter(isObject).reduce((m, e) => m + Object.keys(e).length, 0), 0);
  let cleaned = {};
  let done = false;
  for (let attempt = 0; attempt <= Object.keys(candidate).length + children; attempt++) {
    const result = validateAnswers(to.definition, to.document, { ...settled, ...candidate },
      { complete: false, codes: to.codes });
    cleaned = result.cleaned;
    const errors = result.errors.filter((e) => Object.hasOwn(candidate, token(e.path.split("/")[1])));
    if (!errors.length) {
      done = true;
      break;
    }
    for (const error of errors) {
      const [qid, index, child] = error.path.split("/").slice(1).map(token);
      const entries = candidate[qid];
      if (child !== undefined && /^\d+$/.test(index) && to.definition.questions[qid]?.widget === "group"
        && Array.isArray(entries) && isObject(entries[+index]) && Object.hasOwn(entries[+index], child)) {
        delete entries[+index][child];
        partly.add(qid);
        continue;
      }
      delete candidate[qid];
    }
  }
  const fitting = done ? Object.fromEntries(Object.keys(candidate)
    .filter((qid) => Object.hasOwn(cleaned, qid)).map((qid) => [qid, cleaned[qid]])) : {};
  const leftBehind = Object.keys(answers).filter((qid) => !Object.hasOwn(fitting, qid) || partly.has(qid));
  return { answers: fitting, leftBehind };
}

// The rules of one version, from its document kept on the phone (any language: the rules are
// the same); a published version never changes, so they are kept once read.
const rulesKept = new Map();
async function versionRules(slug, version) {
  const key = `${slug}@${version}`;
  if (!rulesKept.has(key)) {
    const body = (await db.getAll("documents")).find((d) => d.slug === slug && d.version === version)?.body;
    if (!body) return null;
    const codes = Object.fromEntries(Object.entries(body.names || {})
      .map(([kind, pairs]) => [kind, new Set(pairs.map((pair) => pair[0]))]));
    rulesKept.set(key, { definition: buildDefinition(body.document), document: body.document, codes });
  }
  return rulesKept.get(key);
}

/**
 * The rules to move answers of a questionnaire from one version to another, or null without
 * the new one's. Without the old one's (a phone that lost it), the new version's checks alone.
 */
async function fitting(slug, from, to) {
  const [before, after] = await Promise.all([versionRules(slug, from), versionRules(slug, to)]);
  return after ? { from: before ?? after, to: after } : null;
}

/** Take a record kept by the app before it encrypted anything (legacy.js), unless present. */
export function importRecord(plain, queued) {
  return change(plain.id, (existing) => {
    if (existing) return undefined;
    return { record: plain, outbox: queued ? { ...queued } : undefined };
  });
}
