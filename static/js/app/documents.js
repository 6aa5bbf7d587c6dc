/**
 * The questionnaires the phone keeps: /api/v1/me and each version's document in the
 * participant's language, revalidated with ETags and read offline from IndexedDB.
 */
import * as db from "./db.js";
import { adoptLegacy } from "./legacy.js";
import * as records from "./records.js";
import { NotTheirs, SignedOut } from "./sync.js";
import { LANG, SIDE_BY_SIDE } from "./screen.js";
import { buildDefinition } from "../engine/types.js";
import { validateAnswers } from "../engine/validate.js";

export async function fetchJSON(url, options = {}) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store", ...options });
  if (response.status === 401) throw new SignedOut();
  if (!response.ok && response.status !== 304) throw new Error(`HTTP ${response.status}`);
  return response;
}

export async function keepDocument(slug, version, url) {
  const key = `${slug}@${version}@${LANG}`;
  const have = await db.get("documents", key);
  const response = await fetchJSON(url, { headers: have ? { "If-None-Match": have.etag } : {} });
  if (response.status === 200) {
    const body = await response.json();
    await db.put("documents", { key, slug, version, lang: LANG, etag: response.headers.get("ETag"),
      body });
    // Recorded questions are played offline too: keep them now.
    const media = await caches.open("loype-media");
    for (const url of Object.values(body.audio || {})) {
      if (!(await media.match(url))) await media.add(url).catch(() => {});
    }
  }
}

/** Bring the list of questionnaires, their documents and the server's responses home. */
export async function refresh() {
  const me = await (await fetchJSON("/api/v1/me")).json();
  if (me.participant.id !== db.currentOwner()) throw new NotTheirs(); // signed in as someone else meanwhile
  await records.keepMe(me);
  await adoptLegacy(me);
  if (localStorage.getItem(SIDE_BY_SIDE) === null) {
    localStorage.setItem(SIDE_BY_SIDE, me.participant.show_norwegian ? "1" : "0");
  }
  const questionsHere = new Map();
  for (const q of me.questionnaires) {
    await keepDocument(q.slug, q.version, q.document_url);
    const body = await documentFor(q.slug, q.version);
    if (body) questionsHere.set(`${q.slug}@${q.version}`, new Set(Object.keys(definitionOf(body).questions)));
  }
  await records.adoptServer(me.responses, { questionsOf: (slug, version) => questionsHere.get(`${slug}@${version}`) ?? null });
  // A draft pinned to an older version needs that version's document too.
  for (const record of await records.responses()) {
    if (!(await documentFor(record.slug, record.version))) {
      await keepDocument(record.slug, record.version,
        `/api/v1/questionnaires/${encodeURIComponent(record.slug)}/versions/${record.version}?lang=${LANG}`);
    }
  }
}

export async function documentFor(slug, version) {
  const exact = await db.get("documents", `${slug}@${version}@${LANG}`);
  if (exact) return exact.body;
  const any = (await db.getAll("documents")).find((d) => d.slug === slug && d.version === version);
  return any?.body ?? null;
}

const definitions = new Map();
export function definitionOf(body) {
  const key = `${body.slug}@${body.version}@${body.lang}`;
  if (!definitions.has(key)) definitions.set(key, buildDefinition(body.document));
  return definitions.get(key);
}

export const codesOf = (body) => Object.fromEntries(
  Object.entries(body.names || {}).map(([kind, pairs]) => [kind, new Set(pairs.map((p) => p[0]))]));

// A questionnaire text, marked with its language when it is a fallback.

/**
 * Check answers on the phone as the server will. A version published before the checker
 * refused something the phone cannot run (an old pattern) is left to the server to check:
 * the phone never blocks the participant on a rule it cannot evaluate.
 */
export function checkAnswers(definition, body, answers, options) {
  try {
    return validateAnswers(definition, body.document, answers, { ...options, codes: codesOf(body) });
  } catch {
    return { cleaned: answers, errors: [] };
  }
}
