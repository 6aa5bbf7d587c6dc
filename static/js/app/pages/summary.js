/**
 * A response's answers, to check before sending or to read after; what the server refused
 * and the ways forward (change and send again, or take the server's version).
 */
import * as records from "../records.js";
import { checkAnswers, documentFor, definitionOf, keepDocument } from "../documents.js";
import { same } from "../merge.js";
import { checkAt, go, route } from "../router.js";
import { saveNow, setPending } from "../saving.js";
import { sync } from "../sending.js";
import { updateStatus } from "../status.js";
import { LANG, S, formatDay, formatNumber, qtext, root } from "../screen.js";
import { leaveEditing } from "./editor.js";
import { followUpNote, messagesNote } from "./notes.js";
import { el, show } from "../../engine/dom.js";
import { textWithLanguage } from "../../engine/types.js";
import { visibleQuestions, isEmpty } from "../../engine/conditions.js";
import { format, messageFor } from "../../engine/messages.js";
import { errorTarget } from "../../engine/render.js";

/** A date, number or scale answer as the server's pages write it (rendering/display.py). */
function formatValue(question, v) {
  if (question.widget === "date" && /^\d{4}-\d\d-\d\d$/.test(v)) {
    const day = new Date(`${v}T00:00:00`);
    if (!Number.isNaN(day.getTime())) return formatDay(day);
  }
  if (typeof v === "number" && Number.isFinite(v)) {
    const text = formatNumber(v);
    return question.widget === "scale" && question.schema.maximum != null
      ? format(S.of_high, { value: text, high: question.schema.maximum }) : text;
  }
  return String(v);
}

/** An answer's text in the span that keeps its line breaks (app.css, as answers.html). */
const answerLine = (text) => el("span", { class: "line" }, text);

const CHOICES = ["choice", "multichoice"];
const unknownOption = (question, v) => CHOICES.includes(question.widget)
  && !question.options.some((o) => o.value === v);

/**
 * An answer in words. earlier: [{ body, definition }] of other versions of the questionnaire,
 * newest first, for an option the response's version no longer has (given on an earlier one).
 */
export function formatAnswer(body, definition, question, value, earlier = []) {
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
    for (const other of unknownOption(question, v) ? earlier : []) {
      const given = other.definition.questions[question.id]?.options.find((o) => o.value === v);
      if (given) return textWithLanguage(other.body.document, given.pointer, LANG)?.[0] ?? String(v);
    }
    if (question.widget === "yesno") return v ? S.yes : S.no;
    const names = body.names?.[question.widget];
    if (names) return names.find((pair) => pair[0] === v)?.[1] ?? String(v);
    return formatValue(question, v);
  }).join(", ");
}

/**
 * The earlier versions of the questionnaire this phone has, newest first, when an answer is an
 * option the response's version does not have (it was given on one of them); none otherwise.
 */
async function earlierVersions(record, definition) {
  const unknown = Object.entries(record.answers ?? {}).some(([qid, value]) => {
    const question = definition.questions[qid];
    return question && (Array.isArray(value) ? value : [value]).some((v) => unknownOption(question, v));
  });
  const earlier = [];
  for (let version = record.version - 1; unknown && version >= 1; version--) {
    const body = await documentFor(record.slug, version);
    if (body) earlier.push({ body, definition: definitionOf(body) });
  }
  return earlier;
}

// The response the summary shows, and on which version (main.js draws it again after a move).
let shown = null;

/** Whether the response on the summary is on another version now than when it was drawn. */
export async function summaryMoved() {
  if (!shown) return false;
  const record = await records.response(shown.id);
  return Boolean(record) && record.version !== shown.version;
}

export async function showSummary(id) {
  leaveEditing();
  shown = null;
  const record = await records.response(id);
  const body = record && (await documentFor(record.slug, record.version));
  if (!record || !body) return go("#/");
  shown = { id, version: record.version };
  const definition = definitionOf(body);
  const kept = await keptSection(record, body);
  const earlier = await earlierVersions(record, definition);
  const visible = visibleQuestions(definition, record.answers);
  const sections = definition.sections.map((section) => {
    const rows = section.items.filter((i) => visible.has(i)).map((qid) => {
      const value = record.answers[qid];
      return el("div", { class: "answer" },
        el("dt", {}, qtext(body, definition.questions[qid].pointer + "/title")),
        el("dd", {}, isEmpty(value) ? el("span", { class: "unanswered" }, S.not_answered)
          : answerLine(formatAnswer(body, definition, definition.questions[qid], value, earlier))));
    });
    if (!rows.length) return null;
    // As the server's summary (answers.html): the section named by its heading, and each
    // link a full touch target whose name says which page it changes.
    const title = () => qtext(body, `/ui/sections/${section.sourceIndex}/title`);
    return el("section", { class: "answer-section", "aria-labelledby": `section-${section.index + 1}` },
      el("h2", { id: `section-${section.index + 1}` }, title()),
      record.status === "draft"
        ? el("p", { class: "link-line" }, el("a", { href: `#/r/${id}/${section.index + 1}` },
          S.change, el("span", { class: "visually-hidden" }, ": ", title())))
        : null,
      el("dl", { class: "answers" }, rows));
  });
  const problems = el("div", { id: "problems" });
  const send = async () => {
    const { errors } = checkAnswers(definition, body, record.answers, { complete: true });
    if (errors.length) {
      show(problems, el("div", { class: "error-summary", role: "alert", tabindex: "-1" },
        el("h2", {}, S.invalid),
        el("ul", {}, errors.map((e) => {
          const qid = e.path.split("/")[1];
          return el("li", {}, el("a", { href: fieldLink(record, definition, e.path) },
            qtext(body, definition.questions[qid]?.pointer + "/title") || qid),
          ": ", messageFor(e, definition.questions[qid], S.messages));
        }))));
      return problems.firstChild.focus();
    }
    // Sent only while no other tab edits this draft (its edit lock): an answer typed there
    // after this send would be refused by the server, and that tab would not know why.
    const sent = await whileNotEdited(id, async () => {
      setPending(id, { status: "submitted" });
      return saveNow();
    });
    if (sent === null) {
      show(problems, el("p", { class: "flash warning", role: "alert", tabindex: "-1" }, S.other_tab));
      return problems.firstChild.focus();
    }
    if (!sent) return null;
    await sync();
    return go("#/");
  };
  show(root,
    record.problem ? refusal(record, definition, body) : null,
    record.followUp && record.status === "draft" ? followUpNote(record) : null,
    el("p", { class: "questionnaire-title" }, qtext(body, "/title")),
    el("h1", { tabindex: "-1" }, record.status === "draft" ? S.check_answers : qtext(body, "/title")),
    // What the counsellor wrote about this response: where its inbox entry leads (inbox.js).
    messagesNote([record], "h2"),
    problems,
    sections,
    kept,
    record.status === "draft"
      ? el("p", {}, el("button", { type: "button", class: "primary", id: "send", onclick: send }, S.send))
      : null);
  root.querySelector("h1").focus();
}

/**
 * Run ``work`` holding the response's edit lock (editor.js), or return null at once when
 * another tab holds it. Without Web Locks there is nothing to ask: it just runs.
 */
function whileNotEdited(id, work) {
  if (!navigator.locks) return work();
  return navigator.locks.request(`loype-edit-${id}`, { ifAvailable: true },
    (lock) => (lock ? work() : null));
}

function refusal(record, definition, body) {
  const again = async () => { await records.retry(record.id); await sync(); route(); };
  const refused = refusedQuestions(record, definition, body);
  const fix = async () => { // to the first page with a refused answer, which marks it
    setPending(record.id, { status: "draft" });
    if (await saveNow()) go(`#/r/${record.id}/${refused.length ? pageOf(definition, refused[0].qid) : 1}`);
  };
  const useServer = async () => { await records.takeServerVersion(record.id); await updateStatus(); route(); };
  const errors = refused.map(({ item }) => item);
  return el("div", { class: "error-summary refused", role: "alert" },
    el("h2", {}, refusedBecause(record.problem)),
    errors.length ? el("ul", {}, errors) : null,
    el("p", { class: "actions" },
      el("button", { type: "button", class: "primary", onclick: fix }, S.fix),
      el("button", { type: "button", onclick: again }, S.send_again),
      record.problem.current || record.baseRevision != null
        ? el("button", { type: "button", onclick: useServer }, S.use_server) : null));
}

/**
 * What the server said, in the language the app is shown in now (WCAG 3.1.2): the app's own
 * sentence for the problem's code when it has one; otherwise the server's words, marked with
 * the language they came in (records.refuse keeps it) and their own direction.
 */
const asReceived = (problem, text) => el("span", { lang: problem.lang || null, dir: "auto" }, text);

/** "The server could not take these answers: <why>", with the reason as said above. */
export function refusedBecause(problem) {
  const reason = S.refusals?.[problem.code] ?? asReceived(problem, problem.detail || problem.title);
  const [before, after] = S.refused.split("%(reason)s");
  return after === undefined ? [S.refused, " ", reason] : [before, reason, after];
}

/**
 * The refused answers: the phone's own check of the same answers finds the same errors (the
 * two engines agree, tests/shared), with their limits, to word in the app's language; one it
 * does not find keeps the server's words, marked.
 */
function refusedQuestions(record, definition, body) {
  const { errors } = checkAnswers(definition, body, record.answers,
    { complete: record.status === "submitted" });
  return (record.problem.errors ?? []).map((error) => {
    const same = errors.find((e) => `/answers${e.path}` === error.pointer && e.code === error.code);
    if (!same) return { qid: null, item: el("li", {}, asReceived(record.problem, error.detail)) };
    const [qid, entry, child] = same.path.split("/").slice(1);
    const question = definition.questions[qid];
    const asked = entry !== undefined ? question?.children?.find((c) => c.id === child) ?? question : question;
    // Which question, with a link to its page (where it is marked), as before sending.
    const title = question ? qtext(body, `${question.pointer}/title`) : qid;
    return { qid: question ? qid : null, item: el("li", {},
      question ? el("a", { href: fieldLink(record, definition, same.path) }, title) : title,
      ": ", messageFor(same, asked, S.messages)) };
  }).sort((a, b) => (a.qid === null) - (b.qid === null));
}

const pageOf = (definition, qid) =>
  (definition.sections.find((s) => s.items.includes(qid))?.index ?? 0) + 1;

/**
 * The link of an answer in error: its page, opened at the field with what to change marked
 * (router.checkAt), the first option of a choice (a fieldset takes no focus), as the server's
 * summary links to ?check=1#<field>. It opened the page only, and the participant looked for it.
 */
function fieldLink(record, definition, path) {
  const page = pageOf(definition, path.split("/")[1]);
  const target = errorTarget(definition, record.answers, path);
  return target ? checkAt(record.id, page, target) : `#/r/${record.id}/${page}`;
}

/**
 * The version a kept answer was given on, as the phone has it (fetched when it has it in no
 * language yet and can): an answer is worded with the texts it was given with.
 */
async function versionBody(record, version, body) {
  if (version === record.version) return body;
  const have = await documentFor(record.slug, version);
  if (have || !navigator.onLine) return have;
  await keepDocument(record.slug, version, `/api/v1/questionnaires/${encodeURIComponent(record.slug)}`
    + `/versions/${version}?lang=${encodeURIComponent(LANG)}`).catch(() => null);
  return documentFor(record.slug, version);
}

// A kept answer whose version's texts are nowhere to be had (offline, never kept): as typed.
const asTyped = (value) => (typeof value === "string" ? value : JSON.stringify(value));

/**
 * What this phone had that the server did not take (records.keptCopies): a refusal settled by
 * taking the server's answers, answers that did not fit a newer version the response moved to.
 * Each with its question and options as the version it was given on words them; an answer the
 * server has by now is not listed.
 */
async function keptSection(record, body) {
  const rows = [];
  for (const copy of records.keptCopies(record)) {
    const given = await versionBody(record, copy.version, body);
    const asked = given ? definitionOf(given) : null;
    for (const [qid, value] of Object.entries(copy.answers ?? {})) {
      if (isEmpty(value)) continue;
      if (copy.version === record.version && same(value, record.baseAnswers?.[qid])) continue;
      const question = asked?.questions[qid];
      rows.push(el("div", { class: "answer", "data-question": qid, "data-version": copy.version },
        el("dt", {}, question ? qtext(given, question.pointer + "/title") : qid),
        el("dd", {}, answerLine(question ? formatAnswer(given, asked, question, value) : asTyped(value)))));
    }
  }
  if (!rows.length) return null;
  return el("section", { class: "answer-section kept-copy" },
    el("h2", {}, S.kept_copy), el("dl", { class: "answers" }, rows));
}
