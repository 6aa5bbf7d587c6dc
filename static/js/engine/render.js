/**
 * A section as DOM with the markup of templates/fill/question.html, and its values read back
 * like rendering/fields.py. Questionnaire texts only ever become text nodes, never HTML.
 */
import {
  conditionsOf, referencedQuestions, sectionConditions, sectionShown, shownItems, visibility,
  visibleQuestions,
} from "./conditions.js";
import { el, qtext } from "./dom.js";
import { format, messageFor } from "./messages.js";
import { isObject, own } from "./pointers.js";
import { asciiDigits, strip, textWithLanguage } from "./types.js";
import { MAX_ANSWER_TEXT } from "./validate.js";

const STRINGS = {
  yes: "Yes", no: "No", choose: "Choose …", optional: "optional", entry: "Entry %(number)s",
  remove: "Remove entry %(number)s", add: "Add another", error: "Error:",
  check: "Please check these answers", entry_field: "%(question)s (%(group)s, entry %(number)s)",
};
const NOT_A_NUMBER = Symbol("not a number");
// More digits than a phone's numbers hold exactly (webapp/digits.py MOST_DIGITS).
const MOST_DIGITS = 15;
const TOO_MANY_DIGITS = Symbol("too many digits");
// A date the browser's date field could not read (31 February): it posts "", as for none.
const NOT_A_DATE = Symbol("not a date");
const contexts = new WeakMap(); // container -> the ctx it was last rendered with
const pages = new WeakMap(); // container -> what the engine keeps of its page between inputs (see watch)

/** Return the form value of an option: strings as they are, other JSON as JSON. */
export const optionToken = (v) => (typeof v === "string" ? v : JSON.stringify(v));

/** Turn a stored answer into form data, like to_form_value. */
export function toFormValue(q, v) {
  if (v == null) return null;
  if (q.widget === "group") {
    return (Array.isArray(v) ? v : []).filter(isObject)
      .map((item) => Object.fromEntries(q.children.map((c) => [c.id, toFormValue(c, own(item, c.id))])));
  }
  if (q.widget === "multichoice") return Array.isArray(v) ? v.map(optionToken) : [];
  return ["choice", "yesno", "scale"].includes(q.widget) ? optionToken(v) : String(v);
}


// Python's \d and float() take any script's digits, e.g. Arabic-Indic ones from a phone keyboard.
function parseNumber(raw) {
  const t = strip(raw).replace(/[\u00a0 ]/g, "");
  if (!t) return null;
  if (!/^[+-]?\p{Nd}+([.,\u066b]\p{Nd}+)?$/u.test(t)) return NOT_A_NUMBER; // ٫: Arabic, Persian
  const significant = asciiDigits(t.replace(/\P{Nd}/gu, "")).replace(/^0+/, "");
  if (significant.length > MOST_DIGITS) return TOO_MANY_DIGITS;
  return Number(asciiDigits(t).replace(/[,\u066b]/, ".")) + 0; // + 0: -0 is 0
}

const lookup = (q, token) => {
  const option = q.options.find((o) => optionToken(o.value) === token);
  return option ? option.value : token; // unknown values are reported by validation
};

const given = (v) => v != null && v !== "" && !(Array.isArray(v) && !v.length);

// One entry of a group (the i-th on the page) as an answer: only its given values.
const fromEntry = (q, entry, path, i, errors) => Object.fromEntries(q.children
  .map((c) => [c.id, fromFormValue(c, own(entry, c.id), `${path}/${i}/${c.id}`, errors)])
  .filter(([, v]) => given(v)));

// A group's answer from its entries as answers: the empty ones are left out.
const filled = (entries) => entries.filter((item) => Object.keys(item).length);

/** Turn one field's form data into an answer, like from_form_value; problems go to errors. */
export function fromFormValue(q, data, path, errors) {
  const w = q.widget;
  if (w === "group") return filled((data ?? []).map((entry, i) => fromEntry(q, entry, path, i, errors)));
  if (w === "multichoice") return (data ?? []).map((t) => lookup(q, t));
  if (data === NOT_A_DATE) {
    errors.push({ path, code: "format", params: { format: "date" } }); // refused, not taken as cleared
    return null;
  }
  if (data == null || data === "") return null;
  if (w === "number") {
    const value = parseNumber(String(data));
    if (value === TOO_MANY_DIGITS) errors.push({ path, code: "digits", params: { limit: MOST_DIGITS } });
    else if (value !== NOT_A_NUMBER) return value;
    else errors.push({ path, code: "type", params: { expected: "number" } });
    return null;
  }
  if (w === "choice") return lookup(q, data);
  if (w === "yesno") return own({ true: true, false: false }, data) ?? data;
  if (w === "scale") return /^-?\d+$/.test(data) ? Number(data) : data;
  return data;
}

const plain = (ctx, pointer) => textWithLanguage(ctx.doc, pointer, ctx.lang)?.[0] ?? "";

// A text in the reader's language and, when they asked for it, the Norwegian source beside it.
function both(ctx, pointer) {
  const shown = qtext(ctx, pointer);
  if (!ctx.sideBySide || !pointer) return [shown];
  const source = ctx.doc.source_language ?? "nb";
  const original = textWithLanguage(ctx.doc, pointer, source)?.[0];
  if (!original || original === plain(ctx, pointer)) return [shown];
  return [shown, " ", el("span", { class: "nb-text", lang: source, dir: "ltr" }, original)];
}

// A pictogram beside a text: decorative, the text carries the meaning.
function picto(ctx, name) {
  if (!name) return [];
  return [el("span", { class: `picto picto-${name}`, "aria-hidden": "true" }), " "];
}
const uiPointer = (q, key) => (typeof q.ui[key] === "string" ? `${q.uiPointer}/${key}` : null);

function group(ctx, q, id, entries, head) {
  const s = ctx.strings;
  const fs = el("fieldset", { class: "field group", id }, ...head);
  entries.forEach((entry, i) => {
    const n = { number: i + 1 };
    fs.append(el("fieldset", { class: "entry", id: `${id}-${i}` },
      el("legend", {}, format(s.entry, n)),
      ...q.children.map((c) => block(ctx, c, `${id}-${i}-${c.id}`, own(entry, c.id))),
      el("button", { type: "button", class: "secondary", "data-action": "remove",
        value: `remove:${q.id}:${i}` }, format(s.remove, n))));
  });
  // No more entries than the schema allows: the server would refuse the whole response.
  if (!(entries.length >= q.schema.maxItems)) {
    fs.append(el("button", { type: "button", "data-action": "add", value: `add:${q.id}` }, s.add));
  }
  return fs;
}

function choices(ctx, q, id, data, head, describedBy) {
  const { widget, schema } = q;
  const icons = q.ui.option_icons ?? {};
  let options = q.options.map((o) => [optionToken(o.value),
    [...picto(ctx, icons[optionToken(o.value)]), ...both(ctx, o.pointer)]]);
  if (widget === "yesno") options = [["true", ctx.strings.yes], ["false", ctx.strings.no]];
  if (widget === "scale") {
    options = [];
    for (let n = schema.minimum; n <= schema.maximum; n++) options.push([String(n), String(n)]);
  }
  const multiple = widget === "multichoice";
  const chosen = multiple ? data ?? [] : [data];
  const fs = el("fieldset", { class: "field choices", id, "aria-describedby": describedBy }, ...head);
  const [low, high] = [uiPointer(q, "min_label"), uiPointer(q, "max_label")];
  if (widget === "scale" && (low || high)) {
    fs.append(el("p", { class: "scale-ends" }, el("span", {}, `${schema.minimum} = `, qtext(ctx, low)),
      " ", el("span", {}, `${schema.maximum} = `, qtext(ctx, high))));
  }
  fs.append(el("div", { class: widget === "scale" ? "scale" : "options" },
    ...options.map(([value, label], i) => el("div", { class: "choice" },
      el("input", { id: `${id}-${i}`, name: id, type: multiple ? "checkbox" : "radio", value,
        checked: chosen.includes(value) }),
      " ", el("label", { for: `${id}-${i}` }, ...[label].flat())))));
  return fs;
}

// More options than this make a single choice a drop-down (fields.MOST_RADIO_BUTTONS).
const MOST_RADIO_BUTTONS = 8;
const drawnAsSelect = (q) => q.widget === "country" || q.widget === "language" ||
  (q.widget === "choice" && q.options.length > MOST_RADIO_BUTTONS); // easier on a small screen

// How many options block draws q with (0: not a question with options).
function optionCount(q) {
  if (q.widget === "yesno") return 2;
  if (q.widget === "scale") return Math.max(0, q.schema.maximum - q.schema.minimum + 1);
  return ["choice", "multichoice"].includes(q.widget) ? q.options.length : 0;
}

/**
 * Return the id of the control a link to q's field, drawn with id, leads to (as
 * fields.control_id): a set of options is a fieldset, which takes no focus, so the first
 * option (<id>-0); a group, the first field of its first entry; any other field, itself.
 */
export function controlId(q, id) {
  if (q.widget === "group" && q.children.length) {
    return controlId(q.children[0], `${id}-0-${q.children[0].id}`);
  }
  return optionCount(q) && !drawnAsSelect(q) ? `${id}-0` : id;
}

/**
 * Return the id of the control a page drawn from the stored answers shows the error at path
 * (as fields.field_in_error), or null for a question the questionnaire does not have. A group's
 * items that are no object are not drawn (toFormValue), so item i may be an earlier entry.
 */
export function errorTarget(definition, answers, path) {
  const [qid, index, child] = path.replace(/^\/+|\/+$/g, "").split("/");
  const q = own(definition.questions, qid);
  if (!q) return null;
  const field = q.widget === "group" && child !== undefined
    ? q.children.find((c) => c.id === child) : undefined;
  const entry = drawnEntry(own(answers ?? {}, qid), index);
  return field && entry !== null ? controlId(field, `${qid}-${entry}-${field.id}`) : controlId(q, qid);
}

/** The place on the page of a group's stored item index ("2"), or null when it is not drawn. */
function drawnEntry(items, index) {
  if (!/^\d+$/.test(index ?? "") || !Array.isArray(items) || !isObject(items[Number(index)])) return null;
  return items.slice(0, Number(index)).filter(isObject).length;
}

/**
 * Return errors found in the stored answers with each path into a group's item renumbered as
 * the page draws the entries (errorTarget), for showErrors: the fields and the summary's "entry
 * n" then name the entry on the screen, not the item's place among items that are not drawn.
 */
export function asDrawn(definition, answers, errors) {
  return errors.map((error) => {
    const [qid, index, ...rest] = error.path.replace(/^\/+/, "").split("/");
    const entry = own(definition.questions, qid)?.widget === "group"
      ? drawnEntry(own(answers ?? {}, qid), index) : null;
    return entry === null ? error : { ...error, path: ["", qid, entry, ...rest].join("/") };
  });
}

// One question, as question.html's question_block; id is also the field's name.
function block(ctx, q, id, data) {
  const { widget, schema } = q;
  const title = both(ctx, q.pointer + "/title");
  if (!q.required) title.push(" ", el("span", { class: "optional" }, `(${ctx.strings.optional})`));
  const help = uiPointer(q, "help");
  const helps = help ? [el("p", { class: "help", id: `${id}-help` }, ...both(ctx, help))] : [];
  const describedBy = plain(ctx, help) ? `${id}-help` : null;
  const select = drawnAsSelect(q);
  if (widget === "group") return group(ctx, q, id, data, [el("legend", {}, ...title), ...helps]);
  if (["choice", "yesno", "scale", "multichoice"].includes(widget) && !select) {
    return choices(ctx, q, id, data, [el("legend", {}, ...title), ...helps], describedBy);
  }
  const attrs = { id, name: id, "aria-invalid": "false", "aria-describedby": describedBy,
    "aria-required": q.required ? "true" : null };
  let control;
  if (select) {
    const names = widget === "choice"
      ? q.options.map((o) => [optionToken(o.value), plain(ctx, o.pointer)]) : ctx.names?.[widget] ?? [];
    control = el("select", attrs, ...[["", ctx.strings.choose], ...names]
      .map(([value, label]) => el("option", { value, selected: value === data }, label)));
  } else {
    attrs.placeholder = plain(ctx, uiPointer(q, "placeholder")) || null;
    if (widget === "text" || widget === "textarea") {
      attrs.maxlength = Math.min(schema.maxLength || MAX_ANSWER_TEXT, MAX_ANSWER_TEXT);
    }
    if (widget === "number") attrs.inputmode = schema.type === "integer" ? "numeric" : "decimal";
    control = widget === "textarea" ? el("textarea", attrs, data ?? "")
      : el("input", { ...attrs, type: widget === "date" ? "date" : "text", value: data ?? "" });
  }
  return el("div", { class: "field" }, el("label", { for: id }, ...title), ...helps, control);
}

const byId = (root, id) => root.querySelector("#" + CSS.escape(id));

// The form controls under root by name, in document order: one walk of the page, not one per
// question (a page of 300 questions made every keystroke a long task of up to 1.7 s).
function controlsByName(root) {
  const byName = new Map();
  for (const e of root.querySelectorAll("input, select, textarea")) {
    if (byName.has(e.name)) byName.get(e.name).push(e);
    else byName.set(e.name, [e]);
  }
  return byName;
}

// The raw form data of one field, as the browser would post it.
function raw(root, q, name, byName = controlsByName(root)) {
  if (q.widget === "group") {
    const entries = byId(root, name)?.querySelectorAll(":scope > fieldset.entry") ?? [];
    return [...entries].map((_, i) => Object.fromEntries(
      q.children.map((c) => [c.id, raw(root, c, `${name}-${i}-${c.id}`, byName)])));
  }
  const controls = byName.get(name) ?? [];
  if (q.widget === "multichoice") return controls.filter((e) => e.checked).map((e) => e.value);
  if (controls[0]?.type === "radio") return controls.find((e) => e.checked)?.value ?? null;
  if (controls[0]?.type === "date" && controls[0].validity?.badInput) return NOT_A_DATE;
  return controls[0]?.value ?? null;
}

const sectionOf = (ctx) => ctx.definition.sections[ctx.section];
const questionIds = (ctx) =>
  sectionOf(ctx).items.filter((i) => Object.hasOwn(ctx.definition.questions, i));
// The stored answers to other sections: what this section's visibility may depend on.
const others = (ctx) => {
  const here = new Set(questionIds(ctx)); // once, not once per answer
  return Object.fromEntries(Object.entries(ctx.answers ?? {}).filter(([k]) => !here.has(k)));
};

/**
 * Return the answers to the section's shown questions, shown as of what is filled in now.
 * Conversion problems (a number that is not one) are pushed onto errors as {path, code, params}.
 */
export function readSection(container, ctx, errors = []) {
  const { questions } = ctx.definition;
  const found = [];
  const byName = controlsByName(container);
  const values = Object.fromEntries(questionIds(ctx).map((id) =>
    [id, fromFormValue(questions[id], raw(container, questions[id], id, byName), `/${id}`, found)]));
  const shown = new Set(shownItems(ctx.definition, sectionOf(ctx), { ...others(ctx), ...values }));
  errors.push(...found.filter((e) => shown.has(e.path.split("/")[1])));
  return Object.fromEntries(Object.entries(values).filter(([id]) => shown.has(id)));
}

/*
 * After an input the engine reads only the item it happened in (for a group, only the entry) and
 * re-evaluates only the conditions that refer to that question: a page of 300 questions has
 * about 1,000 controls, and reading them all on every keystroke made long tasks on a phone.
 * What it keeps of the page between inputs (pages.get(container)):
 *   others    the other sections' stored answers (fixed while the page is shown)
 *   answers   those and this page's read values, shown or hidden (visibility ignores answers
 *             to hidden questions): one pointer updated per input
 *   entries   per group on the page, its entries as answers in page order (empty ones included)
 *   shown     the page's shown items (null until all are evaluated after a full read)
 *   open      whether the section's own condition holds
 *   affects   question id -> the page's questions whose visibility may change with its answer
 *             (their own or their section's condition refers to it, directly or along a chain)
 *   whole     the questions the section's own condition refers to (along chains): a change to
 *             one of them may show or hide the whole page, so everything is evaluated again
 * It is built by the first full read of the page (watch), at the first input at the latest.
 */

// The questions whose answers decide, along chains of conditions, whether the given ones show.
function reach(definition, sections, conditions) {
  const { questions } = definition;
  const found = new Set();
  const stack = conditions.flatMap(referencedQuestions);
  while (stack.length) {
    const id = stack.pop();
    if (found.has(id) || !Object.hasOwn(questions, id)) continue;
    found.add(id);
    stack.push(...conditionsOf(definition, id, sections).flatMap(referencedQuestions));
  }
  return found;
}

// Once per render: which of the page's questions a change to each question may show or hide.
function dependencies(ctx) {
  const { definition } = ctx;
  const sections = sectionConditions(definition);
  const affects = new Map();
  for (const id of questionIds(ctx)) {
    for (const ref of reach(definition, sections, conditionsOf(definition, id, sections))) {
      if (!affects.has(ref)) affects.set(ref, new Set());
      affects.get(ref).add(id);
    }
  }
  return { sections, affects, whole: reach(definition, sections, [sectionOf(ctx).visibleIf]) };
}

const itemNodes = (container) => container.querySelectorAll(":scope > [data-item]");

// Read every field of the page once, and note what depends on what.
function readPage(container, ctx) {
  const { questions } = ctx.definition;
  const byName = controlsByName(container);
  const ids = questionIds(ctx);
  const rest = others(ctx);
  const page = { ctx, ids, others: rest, answers: { ...rest }, entries: new Map(), shown: null,
    open: true, ...dependencies(ctx) };
  for (const id of ids) {
    const q = questions[id];
    const data = raw(container, q, id, byName);
    if (q.widget === "group") {
      const entries = data.map((entry, i) => fromEntry(q, entry, `/${id}`, i, []));
      page.entries.set(id, entries);
      page.answers[id] = filled(entries);
    } else page.answers[id] = fromFormValue(q, data, `/${id}`, []);
  }
  pages.set(container, page);
  return page;
}

// Read again only the question (or the group entry) that control belongs to; return its id.
function readOne(container, page, control) {
  const node = control?.closest?.("[data-item]");
  const id = node?.parentElement === container ? node.dataset.item : null;
  const q = id != null ? own(page.ctx.definition.questions, id) : undefined;
  if (!q) return null;
  if (q.widget !== "group") {
    page.answers[id] = fromFormValue(q, raw(node, q, id, controlsByName(node)), `/${id}`, []);
    return id;
  }
  const entry = control.closest("fieldset.entry");
  const i = entry?.parentElement === node ? Number(entry.id.slice(id.length + 1)) : NaN;
  const entries = page.entries.get(id);
  if (!Number.isInteger(i) || !entries || i >= entries.length) return null;
  const byName = controlsByName(entry);
  const data = Object.fromEntries(q.children.map((c) => [c.id, raw(entry, c, `${id}-${i}-${c.id}`, byName)]));
  entries[i] = fromEntry(q, data, `/${id}`, i, []);
  page.answers[id] = filled(entries);
  return id;
}

// Show and hide items after question id changed: all of them after a full read (id null), or
// when id decides whether the section shows; otherwise only those whose conditions refer to id.
function reveal(container, page, id) {
  const { definition } = page.ctx;
  const section = sectionOf(page.ctx);
  const hide = (node, hidden) => {
    if (node && node.hidden !== hidden) node.hidden = hidden; // unchanged items are not touched
  };
  if (id == null || page.shown == null || page.whole.has(id)) {
    const visible = visibleQuestions(definition, page.answers);
    page.open = sectionShown(section, page.answers, visible);
    page.shown = new Set(shownItems(definition, section, page.answers, visible));
    for (const node of itemNodes(container)) hide(node, !page.shown.has(node.dataset.item));
    return;
  }
  const affected = page.affects.get(id);
  if (!affected || !page.open) return; // a hidden section stays hidden: id does not decide it
  const isShown = visibility(definition, page.answers, page.sections);
  for (const item of affected) {
    const show = isShown(item);
    if (show) page.shown.add(item);
    else page.shown.delete(item);
    hide(container.querySelector(`:scope > [data-item="${CSS.escape(item)}"]`), !show);
  }
}

// Report all answers: the other sections' and those to this page's shown questions.
function report(page) {
  const all = { ...page.others };
  for (const id of page.ids) if (page.shown.has(id)) all[id] = page.answers[id];
  page.ctx.onChange?.(all);
}

// After an input in control: read what changed, show and hide items, report all answers.
function update(container, control) {
  let page = pages.get(container);
  const id = page ? readOne(container, page, control) : null;
  if (id == null) page = readPage(container, contexts.get(container)); // all of it, once
  reveal(container, page, id);
  report(page);
}

// Read the page once the browser is idle after rendering it, so the first input is quick too.
function watch(container, ctx) {
  pages.delete(container);
  const read = () => {
    if (contexts.get(container) === ctx && !pages.has(container)) readPage(container, ctx);
  };
  if (typeof requestIdleCallback === "function") requestIdleCallback(read, { timeout: 2000 });
}

// Add or remove a group entry in place, keeping what is typed in the other entries.
function groupAction(container, button) {
  const ctx = contexts.get(container);
  const [action, qid, index] = button.value.split(":");
  const q = ctx.definition.questions[qid];
  const entries = raw(container, q, qid);
  if (action === "add" && !(entries.length >= q.schema.maxItems)) entries.push({});
  else entries.splice(Number(index), 1);
  if (!entries.length) entries.push({}); // as on the server, an empty group offers one entry
  const fresh = block(ctx, q, qid, entries);
  fresh.dataset.item = qid;
  const old = byId(container, qid);
  fresh.hidden = old.hidden;
  old.replaceWith(fresh);
  const at = action === "add" ? entries.length - 1 : Math.min(Number(index), entries.length - 1);
  byId(fresh, `${qid}-${at}`).querySelector("input, select, textarea")?.focus();
  pages.delete(container); // entries moved: read the page again
  update(container);
}

/** Render section number ctx.section into container; hidden items get the hidden attribute. */
export function renderSection(container, ctx) {
  ctx = { ...ctx, strings: { ...STRINGS, ...ctx.strings } };
  const { definition } = ctx;
  const answers = ctx.answers ?? {};
  const shown = new Set(shownItems(definition, sectionOf(ctx), answers));
  container.replaceChildren(...sectionOf(ctx).items.map((item) => {
    let node;
    if (Object.hasOwn(definition.info, item)) {
      const icon = ctx.doc.ui?.info?.[item]?.icon;
      node = el("div", { class: "info", id: item },
        el("p", {}, ...picto(ctx, icon), ...both(ctx, definition.info[item])));
    } else {
      const q = definition.questions[item];
      let data = toFormValue(q, own(answers, item));
      if (q.widget === "group" && !data?.length) data = [{}];
      node = block(ctx, q, item, data);
    }
    node.dataset.item = item;
    node.hidden = !shown.has(item);
    return node;
  }));
  if (!contexts.has(container)) {
    container.addEventListener("input", (event) => update(container, event.target));
    container.addEventListener("change", (event) => update(container, event.target));
    container.addEventListener("click", (event) => {
      const button = event.target.closest?.("button[data-action]");
      if (button && container.contains(button)) groupAction(container, button);
    });
  }
  contexts.set(container, ctx);
  watch(container, ctx);
}

function clearErrors(container) {
  container.querySelector(":scope > .error-summary")?.remove();
  for (const node of container.querySelectorAll("p.error")) node.remove();
  for (const node of container.querySelectorAll(".has-error")) node.classList.remove("has-error");
  for (const node of container.querySelectorAll('[aria-invalid="true"]')) {
    node.setAttribute("aria-invalid", "false");
  }
  for (const node of container.querySelectorAll("[aria-describedby]")) {
    const ids = node.getAttribute("aria-describedby").split(" ").filter((t) => !t.endsWith("-error"));
    if (ids.length) node.setAttribute("aria-describedby", ids.join(" "));
    else node.removeAttribute("aria-describedby");
  }
}

/**
 * Show errors [{path, code, params}] next to their fields (as fields.attach_errors places them)
 * under an error summary (role=alert) that takes the focus; return the summary or null.
 * message(error) defaults to messages.js with ctx.strings.messages.
 */
export function showErrors(container, errors, message) {
  const ctx = contexts.get(container);
  const { questions } = ctx.definition;
  message ??= (e) => messageFor(e, own(questions, e.path.split("/")[1]), ctx.strings.messages);
  clearErrors(container);
  const failing = new Map(); // the id of each field in error -> where it is (see listedErrors)
  for (const error of errors) {
    const [qid, index, child] = error.path.replace(/^\/+|\/+$/g, "").split("/");
    const item = container.querySelector(`:scope > [data-item="${CSS.escape(qid)}"]`);
    if (!item || item.hidden || !Object.hasOwn(questions, qid)) continue;
    let id = qid;
    if (questions[qid].widget === "group" && child !== undefined && /^\d+$/.test(index) &&
      byId(item, `${qid}-${index}-${child}`)) id = `${qid}-${index}-${child}`;
    const field = byId(container, id);
    const holder = field.closest(".field");
    let p = byId(holder, `${id}-error`);
    if (p) p.append(" " + message(error));
    else {
      p = el("p", { class: "error", id: `${id}-error` },
        el("span", { class: "visually-hidden" }, ctx.strings.error), " ", message(error));
      (byId(holder, `${id}-help`) ?? holder.firstElementChild).after(p);
    }
    if (!failing.has(id)) failing.set(id, { qid, child: id === qid ? null : child, entry: Number(index) });
    if (holder.matches(".group")) continue; // the template marks a group's fields, not the group
    holder.classList.add("has-error");
    const ids = (field.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    if (!ids.includes(p.id)) field.setAttribute("aria-describedby", [...ids, p.id].join(" "));
    if (field.hasAttribute("aria-invalid")) field.setAttribute("aria-invalid", "true");
  }
  const listed = listedErrors(ctx, failing);
  if (!listed.length) return null;
  // Each link leads to a control that takes focus (controlId); one not drawn, to the field.
  const target = (id, control) => (byId(container, control) ? control : id);
  const summary = el("div", { class: "error-summary", role: "alert", tabindex: "-1", id: "error-summary" },
    el("h2", {}, ctx.strings.check),
    el("ul", {}, ...listed.map(([id, control, name]) =>
      el("li", {}, el("a", { href: `#${target(id, control)}` }, name)))));
  container.prepend(summary);
  summary.focus();
  return summary;
}

/**
 * Return the error summary's links, [field id, control id, name], in page order: a field inside
 * a group's entry by itself ("How many years? (Work experience, entry 2)"), so that its link
 * leads to that field and not to the whole group (as the server's pages, fill/page.html), and
 * to the control that takes the focus (controlId: a choice's first option).
 */
function listedErrors(ctx, failing) {
  const { questions } = ctx.definition;
  const items = sectionOf(ctx).items;
  const rank = ({ qid, child, entry }) => [items.indexOf(qid), child === null ? -1 : entry,
    child === null ? -1 : questions[qid].children.findIndex((c) => c.id === child)];
  const before = (a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  };
  return [...failing].filter(([, f]) => items.includes(f.qid))
    .sort(([, a], [, b]) => before(a, b))
    .map(([id, { qid, child, entry }]) => {
      const group = questions[qid];
      const title = qtext(ctx, group.pointer + "/title");
      if (child === null) return [id, controlId(group, id), title];
      const field = group.children.find((c) => c.id === child);
      return [id, controlId(field, id), format(ctx.strings.entry_field,
        { question: qtext(ctx, field.pointer + "/title"), group: title, number: entry + 1 })];
    });
}
