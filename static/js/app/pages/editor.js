/**
 * One page of a response being filled in: rendered by the engine from the kept document,
 * every answer saved on the phone as it is given, one tab at a time (Web Locks).
 */
import * as records from "../records.js";
import { checkAnswers, documentFor, definitionOf } from "../documents.js";
import { go, route } from "../router.js";
import { typedIn, saveNow, saveSoon, setPending } from "../saving.js";
import { LANG, S, SIDE_BY_SIDE, qtext, root } from "../screen.js";
import { followUpNote, movedNote } from "./notes.js";
import { el, show } from "../../engine/dom.js";
import { textWithLanguage } from "../../engine/types.js";
import { asDrawn, readSection, renderSection, showErrors } from "../../engine/render.js";
import { shownItems } from "../../engine/conditions.js";
import { format, messageFor } from "../../engine/messages.js";
import { addReadAloud } from "../../readaloud.js";

// ---------------------------------------------------------------- editing one response

let releaseEdit = null;
let editing = null; // the response whose edit lock this tab holds
// The page on screen: { id, version, page, questions }, the version it was drawn on.
let shown = null;
export function leaveEditing() {
  releaseEdit?.();
  releaseEdit = null;
  editing = null;
  shown = null;
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

function pagesOf(definition, answers) {
  return definition.sections.filter((s) => shownItems(definition, s, answers).length)
    .map((s) => s.index + 1);
}

/**
 * The response on screen was moved to a newer version of its questionnaire since its page was
 * drawn (main.js asks after taking what the server has, and after sending): draw it again on
 * the new version, at the page asking the first of its questions the new version still asks.
 * What was typed is stored first; the store keeps what fits the new version and keeps the rest
 * readable beside it (records.saveAnswers). Returns whether it is drawn again.
 */
export async function followVersion() {
  const was = shown;
  if (!was) return false;
  const record = await records.response(was.id);
  if (!record || record.version === was.version || shown !== was) return false;
  const body = await documentFor(record.slug, record.version);
  if (!body || location.hash !== `#/r/${was.id}/${was.page}`) return false;
  const there = definitionOf(body).sections.find((s) => s.items.some((q) => was.questions.includes(q)));
  go(`#/r/${was.id}/${there ? there.index + 1 : was.page}`); // stores what is typed first
  return true;
}

/** Say that the questionnaire changed under the page, and where answers that did not fit are. */
function movedWhileOpen(record, from) {
  const kept = records.keptCopies(record)
    .some((copy) => copy.version === from && Object.keys(copy.answers ?? {}).length);
  return el("div", { class: "flash info moved-open", role: "status" },
    el("p", {}, S.moved_open),
    kept ? el("p", {}, S.moved_kept, " ", el("a", { href: `#/r/${record.id}/summary` }, S.check_answers))
      : null);
}

/**
 * Draw page number page of response id. check: the id of a field to open the page at (a link
 * from the summary, router.checkAt), with what sending would refuse marked, as the server's
 * ?check=1 page: the focus goes to that field, and the address to the page's own.
 */
export async function showPage(id, page, check = null) {
  const record = await records.response(id);
  const body = record && (await documentFor(record.slug, record.version));
  if (!record || !body) return go("#/");
  if (record.status !== "draft") return go(`#/r/${id}/summary`);
  if (!(await lockEditing(id))) {
    return show(root, el("p", { class: "flash warning", role: "alert" }, S.other_tab),
      el("p", {}, el("a", { href: "#/" }, S.my_questionnaires)));
  }
  // This response was on screen on another version (moved since): the page says so.
  const movedFrom = shown?.id === id && shown.version !== record.version ? shown.version : null;
  const definition = definitionOf(body);
  const pages = pagesOf(definition, record.answers);
  if (!pages.includes(page)) return go(`#/r/${id}/${pages.find((p) => p > page) ?? "summary"}`);
  const section = definition.sections[page - 1];
  const fields = el("div", { class: "questionnaire", id: "fields" });
  const sideBySide = localStorage.getItem(SIDE_BY_SIDE) === "1" && !LANG.startsWith("nb");
  const questions = section.items.filter((i) => Object.hasOwn(definition.questions, i));
  // The engine reports all answers after each input, read from the page once; keep this page's.
  const mine = new Set(questions);
  const thisPage = (answers) => Object.fromEntries(Object.entries(answers).filter(([q]) => mine.has(q)));
  // Only this page's questions are the page's to change: the rest stays as the store has it.
  // The version and the answers it was drawn with tell the store what was changed on it, should
  // the response move to a newer version before it is stored.
  const drawn = structuredClone(thisPage(record.answers ?? {}));
  const change = (page) => ({ page, questions, languages: typedIn(definition),
    version: record.version, drawn });
  const ctx = { doc: body.document, definition, section: page - 1, answers: record.answers,
    lang: LANG, names: body.names, strings: { ...S, messages: S.messages },
    sideBySide, onChange: (answers) => saveSoon(id, change(thisPage(answers))) };
  const move = async (step) => {
    const conversion = [];
    const values = readSection(fields, ctx, conversion);
    const answers = { ...(await records.response(id)).answers, ...values };
    for (const qid of questions) if (!Object.hasOwn(values, qid)) delete answers[qid];
    const { errors } = checkAnswers(definition, body, answers,
      { only: questions, complete: step > 0 });
    const all = [...conversion, ...errors];
    if (all.length) return showErrors(fields, all, (e) =>
      messageFor(e, definition.questions[e.path.split("/")[1]], S.messages));
    setPending(id, change(values));
    if (!(await saveNow())) return null; // not stored on the phone: stay on this page
    const now = pagesOf(definition, answers);
    const next = step > 0 ? now.find((p) => p > page) : [...now].reverse().find((p) => p < page);
    return go(next ? `#/r/${id}/${next}` : step > 0 ? `#/r/${id}/summary` : `#/r/${id}/${page}`);
  };
  const position = pages.indexOf(page) + 1;
  shown = { id, version: record.version, page, questions };
  show(root,
    movedFrom !== null ? movedWhileOpen(record, movedFrom) : null,
    record.followUp ? followUpNote(record) : null,
    page === 1 ? movedNote(record) : null,
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
  // An answer kept on the phone that its check refuses (typed, then the page left another way
  // than Next; the server refuses it too, and the list and summary say so): marked at once.
  const marked = asDrawn(definition, record.answers, checkAnswers(definition, body, record.answers,
    { only: questions, complete: check !== null }).errors);
  const summary = marked.length ? showErrors(fields, marked, (e) =>
    messageFor(e, definition.questions[e.path.split("/")[1]], S.messages)) : null;
  if (check !== null) {
    // The address names the page alone again (Back, a language change, following a newer
    // version compare it with the page's own), without drawing it again (no hashchange).
    history.replaceState(history.state, "", `#/r/${id}/${page}`);
    const field = fields.querySelector(`#${CSS.escape(check)}`);
    field?.focus();
    if (field && document.activeElement === field) return; // not hidden, and a control
  }
  if (!summary) root.querySelector("h1").focus();
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
