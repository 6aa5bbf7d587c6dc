/**
 * The participant app: lists the questionnaires, fills them in page by page from what the
 * phone keeps (online or not), saves every answer on the phone as it is given, and sends
 * the outbox whenever it can. Rendering and validation come from ../engine (the server's
 * semantics); storage from db.js; sending from sync.js.
 */
import * as db from "./db.js";
import { backoff, flush, SignedOut } from "./sync.js";
import { buildDefinition, textWithLanguage } from "../engine/types.js";
import { readSection, renderSection, showErrors } from "../engine/render.js";
import { validateAnswers } from "../engine/validate.js";
import { shownItems, visibleQuestions, isEmpty } from "../engine/conditions.js";
import { format, messageFor } from "../engine/messages.js";
import { addReadAloud } from "../readaloud.js";

const root = document.getElementById("app");
const SIDE_BY_SIDE = "loype-side-by-side";
const RTL = new Set(["ar", "fa", "fa_AF", "ps", "ckb"]);
const LANG = root.dataset.lang;
const S = JSON.parse(document.getElementById("app-strings").textContent);
const statusLine = document.getElementById("sync-status");
const syncBar = document.getElementById("sync-bar");
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.flat().filter((c) => c != null));
  return node;
};

// ---------------------------------------------------------------- what the phone keeps

async function fetchJSON(url, options = {}) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store", ...options });
  if (response.status === 401) throw new SignedOut();
  if (!response.ok && response.status !== 304) throw new Error(`HTTP ${response.status}`);
  return response;
}

async function keepDocument(slug, version, url) {
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
async function refresh() {
  const me = await (await fetchJSON("/api/v1/me")).json();
  await db.put("meta", { key: "me", value: me, at: new Date().toISOString() });
  if (localStorage.getItem(SIDE_BY_SIDE) === null) {
    localStorage.setItem(SIDE_BY_SIDE, me.participant.show_norwegian ? "1" : "0");
  }
  for (const q of me.questionnaires) await keepDocument(q.slug, q.version, q.document_url);
  const queued = new Set((await db.getAll("outbox")).map((q) => q.id));
  for (const r of me.responses) {
    const local = await db.get("responses", r.id);
    if (!local || (!queued.has(r.id) && r.revision > (local.baseRevision ?? 0))) {
      await db.put("responses", { ...local, id: r.id, slug: r.questionnaire, version: r.version,
        status: r.status, answers: r.answers, baseRevision: r.revision, serverStatus: r.status,
        localRevision: local?.localRevision ?? 0, receivedAt: r.submitted_at || r.updated_at,
        savedAt: local?.savedAt ?? r.updated_at });
    }
  }
  // A draft pinned to an older version needs that version's document too.
  for (const record of await db.getAll("responses")) {
    if (!(await documentFor(record.slug, record.version))) {
      await keepDocument(record.slug, record.version,
        `/api/v1/questionnaires/${encodeURIComponent(record.slug)}/versions/${record.version}?lang=${LANG}`);
    }
  }
}

async function documentFor(slug, version) {
  const exact = await db.get("documents", `${slug}@${version}@${LANG}`);
  if (exact) return exact.body;
  const any = (await db.getAll("documents")).find((d) => d.slug === slug && d.version === version);
  return any?.body ?? null;
}

const definitions = new Map();
function definitionOf(body) {
  const key = `${body.slug}@${body.version}@${body.lang}`;
  if (!definitions.has(key)) definitions.set(key, buildDefinition(body.document));
  return definitions.get(key);
}

const codesOf = (body) => Object.fromEntries(
  Object.entries(body.names || {}).map(([kind, pairs]) => [kind, new Set(pairs.map((p) => p[0]))]));

// A questionnaire text, marked with its language when it is a fallback.
function qtext(body, pointer) {
  const found = textWithLanguage(body.document, pointer, LANG);
  if (!found) return "";
  const [value, lang] = found;
  if (lang === LANG) return value;
  return el("span", { lang: lang.replaceAll("_", "-"), dir: RTL.has(lang) ? "rtl" : "ltr" }, value);
}

// ---------------------------------------------------------------- sending

let attempt = 0;
let retryTimer = null;
let syncing = false;
let signedOut = false;

async function updateStatus() {
  const queue = await db.getAll("outbox");
  const waiting = queue.filter((q) => !q.blocked).length;
  let message;
  if (signedOut) message = S.signed_out;
  else if (syncing) message = S.sending;
  else if (!waiting) message = S.all_sent;
  else if (!navigator.onLine) message = `${S.waiting}. ${format(S.unsent, { count: waiting })}`;
  else message = format(S.unsent, { count: waiting });
  syncBar.hidden = false;
  syncBar.dataset.unsent = String(waiting);
  if (statusLine.textContent !== message) statusLine.textContent = message; // announced (aria-live)
}

async function sync() {
  if (syncing || signedOut) return;
  clearTimeout(retryTimer);
  syncing = true;
  await updateStatus();
  try {
    await flush();
    attempt = 0;
  } catch (error) {
    if (error instanceof SignedOut) signedOut = true;
    else retryTimer = setTimeout(sync, backoff(attempt++));
  } finally {
    syncing = false;
    await updateStatus();
    if (currentView === "list") await showList();
  }
}

let syncSoon = null;
function scheduleSync() {
  clearTimeout(syncSoon);
  syncSoon = setTimeout(sync, 1000);
  navigator.serviceWorker?.ready.then((reg) => reg.sync?.register("loype-outbox")).catch(() => {});
}

async function askForPersistence() {
  const note = document.getElementById("storage-note");
  if (!navigator.storage) return;
  const persisted = (await navigator.storage.persisted?.()) || (await navigator.storage.persist?.());
  const { usage = 0, quota = 1 } = (await navigator.storage.estimate?.()) ?? {};
  const warning = usage / quota > 0.9 ? S.storage_full : persisted ? "" : S.storage_warning;
  note.textContent = warning;
  note.hidden = !warning;
}

// ---------------------------------------------------------------- editing one response

let releaseEdit = null;
let editing = null; // the response whose edit lock this tab holds
function leaveEditing() {
  releaseEdit?.();
  releaseEdit = null;
  editing = null;
}

function tryLock(id) {
  return new Promise((resolve) => {
    navigator.locks.request(`loype-edit-${id}`, { ifAvailable: true }, (lock) => {
      if (lock) editing = id;
      resolve(Boolean(lock));
      return lock ? new Promise((release) => { releaseEdit = release; }) : undefined;
    });
  });
}

/** Hold the edit lock of a response, so a second tab cannot fork the same draft. */
async function lockEditing(id) {
  if (editing === id) return true; // moving between pages keeps the lock
  leaveEditing();
  if (!navigator.locks) return true;
  // A tab that was just closed may not have let go yet: ask again for a moment.
  for (let attempt = 0; attempt < 4; attempt++) {
    if (await tryLock(id)) return true;
    await new Promise((resume) => setTimeout(resume, 500));
  }
  return false;
}

let pendingSave = null;
let saveTimer = null;
function saveSoon(record, answers) {
  clearTimeout(saveTimer);
  pendingSave = { record, answers };
  saveTimer = setTimeout(saveNow, 300);
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

let editingDefinition = null;

async function saveNow() {
  clearTimeout(saveTimer);
  const pending = pendingSave;
  pendingSave = null;
  if (!pending) return null;
  // Each changed free-text answer was typed in the language the app is shown in now.
  const before = freeTexts(editingDefinition, pending.record.answers ?? {});
  const languages = { ...(pending.record.textLanguages ?? {}) };
  for (const [pointer, text] of Object.entries(freeTexts(editingDefinition, pending.answers))) {
    if (before[pointer] !== text || !languages[pointer]) languages[pointer] = LANG;
  }
  const saved = await db.saveResponse({ ...pending.record, answers: pending.answers,
    textLanguages: languages });
  Object.assign(pending.record, saved);
  await updateStatus();
  scheduleSync();
  askForPersistence();
  return saved;
}

function pagesOf(definition, answers) {
  return definition.sections.filter((s) => shownItems(definition, s, answers).length)
    .map((s) => s.index + 1);
}

async function showPage(id, page) {
  const record = await db.get("responses", id);
  const body = record && (await documentFor(record.slug, record.version));
  if (!record || !body) return go("#/");
  if (record.status !== "draft") return go(`#/r/${id}/summary`);
  if (!(await lockEditing(id))) {
    return root.replaceChildren(el("p", { class: "flash warning", role: "alert" }, S.other_tab),
      el("p", {}, el("a", { href: "#/" }, S.my_questionnaires)));
  }
  const definition = definitionOf(body);
  editingDefinition = definition;
  const pages = pagesOf(definition, record.answers);
  if (!pages.includes(page)) return go(`#/r/${id}/${pages.find((p) => p > page) ?? "summary"}`);
  const section = definition.sections[page - 1];
  const fields = el("div", { class: "questionnaire", id: "fields" });
  const sideBySide = localStorage.getItem(SIDE_BY_SIDE) === "1" && !LANG.startsWith("nb");
  const ctx = { doc: body.document, definition, section: page - 1, answers: record.answers,
    lang: LANG, names: body.names, strings: { ...S, messages: S.messages },
    sideBySide, onChange: (answers) => saveSoon(record, answers) };
  const move = async (step) => {
    const conversion = [];
    const answers = { ...record.answers, ...readSection(fields, ctx, conversion) };
    const only = section.items.filter((i) => Object.hasOwn(definition.questions, i));
    const { errors } = validateAnswers(definition, body.document, answers,
      { only, complete: step > 0, codes: codesOf(body) });
    const all = [...conversion, ...errors];
    if (all.length) return showErrors(fields, all, (e) =>
      messageFor(e, definition.questions[e.path.split("/")[1]], S.messages));
    pendingSave = { record, answers };
    await saveNow();
    const now = pagesOf(definition, answers);
    const next = step > 0 ? now.find((p) => p > page) : [...now].reverse().find((p) => p < page);
    return go(next ? `#/r/${id}/${next}` : step > 0 ? `#/r/${id}/summary` : `#/r/${id}/${page}`);
  };
  const position = pages.indexOf(page) + 1;
  root.replaceChildren(
    el("p", { class: "questionnaire-title" }, qtext(body, "/title")),
    el("div", { class: "progress" },
      el("p", { id: "progress-label" }, format(S.page, { position, count: pages.length })),
      el("progress", { max: pages.length, value: position, "aria-labelledby": "progress-label" })),
    el("h1", { tabindex: "-1" }, sectionIcon(body, section.sourceIndex),
      qtext(body, `/ui/sections/${section.sourceIndex}/title`)),
    LANG.startsWith("nb") ? null : el("p", {}, el("button", {
      type: "button", class: "secondary", id: "side-by-side", "aria-pressed": String(sideBySide),
      onclick: () => toggleSideBySide(!sideBySide).then(route) }, S.side_by_side)),
    textWithLanguage(body.document, `/ui/sections/${section.sourceIndex}/description`, LANG)
      ? el("p", { class: "lead" }, qtext(body, `/ui/sections/${section.sourceIndex}/description`))
      : null,
    el("form", { class: "questionnaire", novalidate: true,
      onsubmit: (event) => { event.preventDefault(); move(+1); } },
      fields,
      el("div", { class: "actions" },
        el("button", { type: "submit", class: "primary" }, S.next),
        position > 1 ? el("button", { type: "button", onclick: () => move(-1) }, S.back) : null)));
  renderSection(fields, ctx);
  addReadAloud([...fields.querySelectorAll(":scope > [data-item]")]
    .filter((node) => Object.hasOwn(definition.questions, node.dataset.item))
    .map((node) => ({ element: node, id: node.dataset.item })),
  { lang: LANG, audio: body.audio, label: S.listen });
  root.querySelector("h1").focus();
}

function sectionIcon(body, index) {
  const name = body.document.ui.sections[index]?.icon;
  if (!name) return null;
  return el("span", { class: `picto picto-${name}`, "aria-hidden": "true" });
}

/** Remember the choice on the phone at once and on the server when it can be reached. */
async function toggleSideBySide(on) {
  localStorage.setItem(SIDE_BY_SIDE, on ? "1" : "0");
  fetch("/api/v1/me/preferences", { method: "PUT", credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ show_norwegian: on }) }).catch(() => {});
}

function formatAnswer(body, definition, question, value) {
  if (question.widget === "group") {
    return (value || []).map((item) => question.children
      .filter((c) => !isEmpty(item[c.id]))
      .map((c) => `${textWithLanguage(body.document, c.pointer + "/title", LANG)?.[0]}: ${formatAnswer(body, definition, c, item[c.id])}`)
      .join("; ")).join(" | ");
  }
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => {
    const option = question.options.find((o) => o.value === v);
    if (option) return textWithLanguage(body.document, option.pointer, LANG)?.[0] ?? String(v);
    if (question.widget === "yesno") return v ? S.yes : S.no;
    const names = body.names?.[question.widget];
    if (names) return names.find((pair) => pair[0] === v)?.[1] ?? String(v);
    return String(v);
  }).join(", ");
}

async function showSummary(id) {
  leaveEditing();
  const record = await db.get("responses", id);
  const body = record && (await documentFor(record.slug, record.version));
  if (!record || !body) return go("#/");
  const definition = definitionOf(body);
  const visible = visibleQuestions(definition, record.answers);
  const sections = definition.sections.map((section) => {
    const rows = section.items.filter((i) => visible.has(i)).map((qid) => {
      const value = record.answers[qid];
      return el("div", { class: "answer" },
        el("dt", {}, qtext(body, definition.questions[qid].pointer + "/title")),
        el("dd", {}, isEmpty(value) ? el("span", { class: "unanswered" }, S.not_answered)
          : formatAnswer(body, definition, definition.questions[qid], value)));
    });
    if (!rows.length) return null;
    return el("section", { class: "answer-section" },
      el("h2", {}, qtext(body, `/ui/sections/${section.sourceIndex}/title`)),
      record.status === "draft" ? el("p", {}, el("a", { href: `#/r/${id}/${section.index + 1}` }, S.change)) : null,
      el("dl", { class: "answers" }, rows));
  });
  const problems = el("div", { id: "problems" });
  const send = async () => {
    const { errors } = validateAnswers(definition, body.document, record.answers,
      { complete: true, codes: codesOf(body) });
    if (errors.length) {
      problems.replaceChildren(el("div", { class: "error-summary", role: "alert", tabindex: "-1" },
        el("h2", {}, S.invalid),
        el("ul", {}, errors.map((e) => {
          const qid = e.path.split("/")[1];
          const section = definition.sections.find((s) => s.items.includes(qid));
          return el("li", {}, el("a", { href: `#/r/${id}/${(section?.index ?? 0) + 1}` },
            qtext(body, definition.questions[qid]?.pointer + "/title") || qid),
          ": ", messageFor(e, definition.questions[qid], S.messages));
        }))));
      return problems.firstChild.focus();
    }
    pendingSave = { record: { ...record, status: "submitted" }, answers: record.answers };
    await saveNow();
    await sync();
    return go("#/");
  };
  root.replaceChildren(
    el("p", { class: "questionnaire-title" }, qtext(body, "/title")),
    el("h1", { tabindex: "-1" }, record.status === "draft" ? S.check_answers : qtext(body, "/title")),
    problems,
    ...sections.filter(Boolean),
    record.status === "draft"
      ? el("p", {}, el("button", { type: "button", class: "primary", id: "send", onclick: send }, S.send))
      : null);
  root.querySelector("h1").focus();
}

// ---------------------------------------------------------------- the list

function stateOf(record, queued) {
  if (record.problem) return format(S.refused, { reason: record.problem.detail || record.problem.title });
  if (queued.has(record.id)) return navigator.onLine ? S.saved_here : S.waiting;
  if (record.status === "submitted" && record.receivedAt) {
    return format(S.sent_at, { when: new Date(record.receivedAt).toLocaleString(LANG.replace("_", "-")) });
  }
  return S.draft;
}

async function startResponse(slug, version) {
  const id = crypto.randomUUID();
  pendingSave = { record: { id, slug, version, status: "draft", baseRevision: null }, answers: {} };
  await saveNow();
  go(`#/r/${id}/1`);
}

async function showList() {
  leaveEditing();
  const me = (await db.get("meta", "me"))?.value;
  if (!me) {
    return root.replaceChildren(el("h1", {}, S.my_questionnaires), el("p", {}, S.offline_first));
  }
  const records = await db.getAll("responses");
  const queued = new Set((await db.getAll("outbox")).map((q) => q.id));
  const cards = [];
  for (const q of me.questionnaires) {
    const body = await documentFor(q.slug, q.version);
    if (!body) continue;
    const mine = records.filter((r) => r.slug === q.slug);
    const draft = mine.find((r) => r.status === "draft");
    cards.push(el("li", { class: "card", "data-slug": q.slug },
      el("h2", {}, qtext(body, "/title")),
      ...mine.filter((r) => r.status === "submitted").map((r) =>
        el("p", { class: "status", "data-response": r.id }, stateOf(r, queued), " ",
          el("a", { href: `#/r/${r.id}/summary` }, S.check_answers))),
      draft
        ? [el("p", { class: "status draft", "data-response": draft.id }, stateOf(draft, queued)),
          el("a", { class: "button primary", href: `#/r/${draft.id}/1` }, S.continue)]
        : el("button", { type: "button", class: "primary",
          onclick: () => startResponse(q.slug, q.version) },
        mine.length ? S.again : S.start)));
  }
  root.replaceChildren(el("h1", {}, S.my_questionnaires),
    cards.length ? el("ul", { class: "cards" }, cards) : el("p", {}, S.no_questionnaires));
}

// ---------------------------------------------------------------- routing and start-up

let currentView = "list";
function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function route() {
  await saveNow();
  const match = location.hash.match(/^#\/r\/([0-9a-f-]{36})\/(\d+|summary)$/);
  if (!match) {
    currentView = "list";
    return showList();
  }
  currentView = "response";
  return match[2] === "summary" ? showSummary(match[1]) : showPage(match[1], Number(match[2]));
}

function watchForUpdates() {
  if (!("serviceWorker" in navigator)) return;
  const bar = document.getElementById("update-bar");
  const offer = (worker) => {
    bar.hidden = false;
    document.getElementById("update-now").onclick = async () => {
      await saveNow(); // nothing typed is left behind when the page reloads
      worker.postMessage({ type: "SKIP_WAITING" });
    };
  };
  navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/", updateViaCache: "all" }).then((reg) => {
    if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
    reg.addEventListener("updatefound", () => {
      const worker = reg.installing;
      worker?.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
      });
    });
    setInterval(() => reg.update().catch(() => {}), 60 * 60 * 1000);
  }).catch(() => {});
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!reloading && !bar.hidden) {
      reloading = true;
      location.reload();
    }
  });
}

async function boot() {
  document.getElementById("app-loading")?.remove();
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { attempt = 0; sync(); });
  window.addEventListener("offline", updateStatus);
  window.addEventListener("pagehide", saveNow);
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) saveNow();
    else sync();
  });
  document.getElementById("send-now").addEventListener("click", () => { attempt = 0; sync(); });
  setInterval(sync, 30_000);
  watchForUpdates();
  await route();
  await updateStatus();
  try {
    await refresh();
    if (currentView === "list") await showList();
  } catch (error) {
    if (error instanceof SignedOut) signedOut = true;
  }
  await sync();
  askForPersistence();
}

boot();
