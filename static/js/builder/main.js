/**
 * The questionnaire builder: the outline, the selected element's settings and a live preview.
 *
 * Every change is one operation sent to the server (which checks and saves the draft and
 * answers with its new state); nothing is edited only here. Every operation is a button or a
 * form control, so the keyboard reaches all of them, and each is announced in #announce.
 */
import { conditionControls, readCondition } from "./conditions.js";
import { buildDefinition } from "../engine/types.js";
import { validateAnswers } from "../engine/validate.js";
import { renderPreview, unavailable } from "./preview.js";
import { el as element } from "../engine/dom.js";

const state = JSON.parse(document.getElementById("builder-state").textContent);
const C = JSON.parse(document.getElementById("builder-config").textContent);
const S = C.strings;
const $ = (id) => document.getElementById(id);
let selected = { kind: "questionnaire" };

/**
 * Make an element with engine/dom.js's el: el("button", {type: "button"}, "text", child…).
 * Form controls here also take value, checked and selected as live properties.
 */
export function el(tag, attrs = {}, ...children) {
  const live = {};
  const rest = {};
  for (const [k, v] of Object.entries(attrs)) {
    (["value", "checked", "selected"].includes(k) ? live : rest)[k] = v;
  }
  const node = element(tag, rest, ...children);
  if (live.value != null && live.value !== false) node.value = live.value;
  for (const k of ["checked", "selected"]) if (live[k]) node[k] = true;
  return node;
}
export const format = (s, params = {}) => s.replace(/%\((\w+)\)s/g, (_, k) => params[k] ?? "");

function announce(text) {
  const live = $("announce");
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 50); // a new node text is read again
}

// The JSON text may give any part of the draft another shape than the builder writes (a list
// where the questions are, a text where a section is); the check reports it under Problems.
// What is read here treats such a part as empty, so the rest of the page is still drawn.
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const objectOr = (v) => (isObject(v) ? v : {});
const listOr = (v) => (Array.isArray(v) ? v : []);
const own = (object, key) => typeof key === "string" && Object.hasOwn(object, key);
const textOr = (v, otherwise) => (typeof v === "string" && v ? v : otherwise);

const doc = () => objectOr(state.document);
const properties = () => objectOr(objectOr(doc().schema).properties);
const sections = () => listOr(objectOr(doc().ui).sections).filter(isObject);
const itemsOf = (section) => listOr(section.items);
const isQuestion = (item) => own(properties(), item);
const qui = (ref) => {
  const [parent, child] = ref.split("/");
  const ui = objectOr(objectOr(objectOr(doc().ui).questions)[parent]);
  return child ? objectOr(objectOr(ui.items)[child]) : ui;
};
const qschema = (ref) => {
  const [parent, child] = ref.split("/");
  if (!isQuestion(parent)) return undefined;
  const schema = objectOr(properties()[parent]);
  if (!child) return schema;
  const children = objectOr(objectOr(schema.items).properties);
  return own(children, child) ? objectOr(children[child]) : undefined;
};
const inferred = (s) => {
  if (!s) return null;
  if (s.type === "boolean") return "yesno";
  if (Array.isArray(s.oneOf)) return "choice";
  if (s.type === "array") return s.items?.anyOf ? "multichoice" : "group";
  if (s.type === "string") return s.format === "date" ? "date" : "text";
  return ["number", "integer"].includes(s.type) ? "number" : null;
};
export const widgetOf = (ref) => textOr(qui(ref).widget, null) ?? inferred(qschema(ref));
/** A question's answer options; an entry that is not an option (null) is null, in its place. */
export const optionsOf = (ref) => {
  const s = qschema(ref);
  return listOr(widgetOf(ref) === "choice" ? s?.oneOf : s?.items?.anyOf).map((o) => (isObject(o) ? o : null));
};
const titleOf = (ref) => textOr(qschema(ref)?.title, ref);
const childrenOf = (ref) => Object.keys(objectOr(objectOr(qschema(ref)?.items).properties));

// One operation at a time, each on the revision the one before it made. Arguments that merge
// into what is stored (a list of languages, an option's tags) are a function, called when the
// operation is sent: by then every operation before it is in the state. It is given `now`,
// which names a question of the settings it was made on by its id in that state.
let queue = Promise.resolve();
let pending = 0; // saves queued or on their way
let saveFailed = false; // the latest save was refused or did not reach the server
let reloading = false; // the Reload button after a refusal: asked for, so not asked again

/** Run task after every save queued before it; returns its result. */
function enqueue(task) {
  pending += 1;
  const next = queue.then(task);
  queue = next.catch(() => undefined).finally(() => { pending -= 1; });
  return next;
}

/** Resolve when every queued save has been answered (or has failed). */
async function settled() {
  while (pending) await queue;
}

// Questions renamed, each with the revision its rename made, in order. An operation made on
// settings drawn before a rename was stored names the question by its new id when it is sent
// (in its arguments and in a condition's questions); one made after names what it sees, so a
// new question that takes a renamed question's old id is never mistaken for it.
const renames = []; // [revision, from, to]
function current(ref, since) {
  let now = ref;
  for (const [revision, from, to] of renames) {
    if (revision <= since) continue;
    if (now === from) now = to;
    else if (now.startsWith(`${from}/`)) now = to + now.slice(from.length);
  }
  return now;
}

function send(op, args, done) {
  const since = state.revision; // the settings the operation was made on
  return enqueue(() => sendNow(op, args, done, since));
}

// Accept JSON: a refusal made before the builder's view (an expired form) says why in JSON too.
const JSON_HEADERS = { "Content-Type": "application/json", Accept: "application/json",
  "X-CSRFToken": C.csrf };
const KEEPALIVE_BYTES = 60_000; // browsers refuse keepalive requests over 64 kB

/** Send one operation; on success show the new draft and announce what happened. */
async function sendNow(op, args, done, since) {
  $("builder-error").replaceChildren();
  const now = (ref) => current(ref, since);
  const sent = named(typeof args === "function" ? args(now) : args, now);
  const request = JSON.stringify({ revision: state.revision, op, args: sent });
  let response;
  try {
    // keepalive: an operation sent as the page goes (beforeunload, below) still arrives.
    response = await fetch(C.urls.operations, {
      method: "POST",
      headers: JSON_HEADERS,
      body: request,
      keepalive: request.length < KEEPALIVE_BYTES,
    });
  } catch {
    return refused({ message: S.offline });
  }
  const body = await response.json().catch(() => ({ message: S.failed }));
  if (!response.ok) return refused(body);
  saveFailed = false;
  Object.assign(state, body);
  if (op === "rename_question") renames.push([state.revision, sent.question, body.result]);
  if (typeof done === "function") done(body.result);
  render();
  announce(typeof done === "string" ? done : S.saved);
  return body.result;
}

function named(args, now) {
  const out = { ...args };
  for (const key of ["question", "parent"]) if (typeof out[key] === "string") out[key] = now(out[key]);
  if (out.visible_if) out.visible_if = namedIn(out.visible_if, now);
  return out;
}

/** A condition with each question it names by its id now (picked before a rename was stored). */
function namedIn(condition, now) {
  if (Array.isArray(condition)) return condition.map((part) => namedIn(part, now));
  if (!condition || typeof condition !== "object") return condition;
  return Object.fromEntries(Object.entries(condition).map(([key, value]) =>
    [key, key === "question" && typeof value === "string" ? now(value) : namedIn(value, now)]));
}

/** A save was refused or never arrived: say why, and keep the page from going unasked. */
function refused(body) {
  saveFailed = true;
  reloading = false;
  return fail(body);
}

function fail(body) {
  const box = $("builder-error");
  const message = body.message ?? body.detail ?? S.failed; // the builder's, or a problem's
  const changes = (body.changes ?? []).map((c) =>
    el("li", {}, `${c.who} (${c.when}): ${c.what}`));
  box.replaceChildren(el("div", { class: "error-summary" }, el("p", {}, message),
    changes.length ? el("ul", {}, changes) : null,
    body.changes ? el("button", { type: "button", onclick: () => {
      reloading = true; // asked for: the refused change is gone anyway (typed JSON text is not)
      location.reload();
    } }, S.reload) : null));
  announce(message);
  return undefined;
}

// ---------------------------------------------------------------------------------- outline

function select(target) {
  selected = target;
  render();
  $("settings-title").focus?.();
}

function outlineButton(id, label, target, describedBy) {
  const current = JSON.stringify(target) === JSON.stringify(selected);
  return el("button", { type: "button", id, class: current ? "link current" : "link",
    "aria-current": current ? "true" : null, "aria-describedby": describedBy,
    onclick: () => select(target) }, label);
}

function renderOutline() {
  const list = el("ol", { class: "outline-list" },
    el("li", {}, outlineButton("ol-meta", textOr(doc().title, S.questionnaire), { kind: "questionnaire" })));
  for (const section of sections()) {
    const items = el("ol", {});
    for (const item of itemsOf(section)) {
      if (!isQuestion(item)) continue;
      const children = widgetOf(item) === "group"
        ? el("ol", {}, childrenOf(item).map((c) => el("li", {},
          outlineButton(`ol-q-${item}-${c}`, titleOf(`${item}/${c}`), { kind: "question", id: `${item}/${c}` }))))
        : null;
      items.append(el("li", {}, outlineButton(`ol-q-${item}`, titleOf(item), { kind: "question", id: item }), children));
    }
    list.append(el("li", {}, outlineButton(`ol-s-${section.id}`, textOr(section.title, String(section.id)),
      { kind: "section", id: section.id }), items));
  }
  $("outline").replaceChildren(list);
}

// --------------------------------------------------------------------------------- settings

let fieldCount = 0;
function field(label, control, help) {
  const id = control.id || `f-${++fieldCount}`;
  control.id = id;
  return el("div", { class: "field" }, el("label", { for: id }, label),
    help ? el("p", { class: "help", id: `${id}-help` }, help) : null, control);
}

/**
 * An empty "add" box is said next to it, above the box, and read out: the page's own error box
 * is out of sight on a phone. Drawn anew (an option's, a question's box), the box has no error;
 * the section's box, which stays, loses it once a text is given.
 */
function needsText(input, message) {
  const id = `${input.id}-error`;
  const error = $(id) ?? el("p", { class: "error", id });
  if (!error.isConnected) input.before(error);
  error.textContent = message;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", id);
  input.focus();
  announce(message);
}

function textGiven(input) {
  $(`${input.id}-error`)?.remove();
  input.removeAttribute("aria-invalid");
  input.removeAttribute("aria-describedby");
}

function textInput(id, value, onchange, attrs = {}) {
  return saving(el("input", { id, type: "text", value: value ?? "", ...attrs }), onchange);
}

function numberInput(id, value, onchange) {
  return saving(el("input", { id, type: "number", value: value ?? "", step: "any" }),
    (v) => onchange(v === "" ? null : Number(v)));
}

function selectInput(id, choices, value, onchange) {
  return el("select", { id, onchange: (e) => onchange(e.target.value) },
    choices.map(([v, label]) => el("option", { value: v, selected: v === value }, label)));
}

/**
 * The Pictogram field: the pictograms by their names in the administrator's language, and the
 * chosen one drawn beside the list (a name alone is hard to picture).
 */
function pictogramField(id, value, onchange) {
  // No class for none: .picto is drawn as a block of colour, and overrides [hidden].
  const drawn = (name) => (name ? `picto picto-${name}` : "");
  const shown = el("span", { class: drawn(value), id: `${id}-shown`, "aria-hidden": "true" });
  const select = selectInput(id, [["", S.none], ...C.pictograms], value ?? "", (v) => {
    shown.className = drawn(v);
    onchange(v || null);
  });
  const box = field(S.icon, select);
  box.append(" ", shown);
  return box;
}

function actions(kind, id, label) {
  const op = kind === "section" ? "section" : "question";
  const args = kind === "section" ? { section: id } : { question: id };
  return el("div", { class: "actions" },
    el("button", { type: "button", id: "act-up", onclick: () => send(`move_${op}`, { ...args, delta: -1 }, format(S.moved_up, { name: label })) }, S.up),
    el("button", { type: "button", id: "act-down", onclick: () => send(`move_${op}`, { ...args, delta: 1 }, format(S.moved_down, { name: label })) }, S.down),
    el("button", { type: "button", id: "act-duplicate", onclick: () => send(`duplicate_${op}`, args, (r) => { selected = { kind, id: r }; }) }, S.duplicate),
    el("button", { type: "button", id: "act-delete", class: "danger", onclick: () => {
      if (!confirm(format(S.confirm_delete, { name: label }))) return;
      send(`delete_${op}`, args, () => { selected = { kind: "questionnaire" }; }).then(() => $("ol-meta")?.focus());
    } }, S.delete));
}

function addQuestionForm(section, parent) {
  const widgets = C.widgets.filter(([w]) => !(parent && w === "group"));
  const title = el("input", { id: "new-question-title", type: "text" });
  const widget = selectInput("new-question-widget", widgets, "text", () => {});
  return el("form", { class: "add-question", onsubmit: (e) => {
    e.preventDefault();
    if (!title.value.trim()) return needsText(title, S.title_needed);
    taken(title);
    send("add_question", { section, parent, widget: widget.value, title: title.value },
      (ref) => { selected = { kind: "question", id: ref }; })
      .then((ref) => ref && $("f-title")?.focus());
  } }, el("h3", {}, parent ? S.add_to_group : S.add_question),
  field(S.type, widget), field(S.question_text, title),
  el("button", { type: "submit", id: "add-question-submit" }, S.add_question));
}

function metaSettings() {
  const set = (key) => (value) => send("set_meta", { [key]: value });
  const languages = new Set(listOr(doc().languages));
  return [
    field(S.title, textInput("f-title", doc().title, set("title"))),
    field(S.description, textInput("f-description", doc().description, set("description"))),
    el("fieldset", {}, el("legend", {}, S.languages), C.languages.map(([code, name]) => el("div", { class: "choice" },
      el("input", { type: "checkbox", id: `f-lang-${code}`, checked: languages.has(code),
        disabled: code === doc().source_language, onchange: (e) => {
          const on = e.target.checked;
          send("set_meta", () => {
            const chosen = new Set(listOr(doc().languages));
            if (on) chosen.add(code); else chosen.delete(code);
            return { languages: C.languages.map(([c]) => c).filter((c) => chosen.has(c)) };
          });
        } }), " ", el("label", { for: `f-lang-${code}`, lang: code.replace("_", "-") }, name)))),
  ];
}

function sectionSettings(id) {
  const section = sections().find((s) => s.id === id);
  if (!section) return [el("p", {}, S.gone)];
  const set = (key) => (value) => send("set_section", { section: id, [key]: value });
  // The questions before the section's first item, whatever that item is (an information
  // block too): those of the sections above it. The first section has none to depend on.
  const here = itemsOf(section);
  const earlier = questionRefs(sections().slice(0, sections().indexOf(section)))
    .filter((q) => !q.includes("/") && !here.includes(q));
  return [
    actions("section", id, section.title),
    field(S.title, textInput("f-title", section.title, set("title"))),
    field(S.description, textInput("f-description", section.description, set("description"))),
    pictogramField("f-icon", section.icon, (v) => set("icon")(v)),
    conditionControls(section.visible_if, earlier, ctxFor(), (c) => set("visible_if")(c)),
    addQuestionForm(id, null),
  ];
}

/** The questions (and a group's questions) of these sections, in the questionnaire's order. */
function questionRefs(within = sections()) {
  const refs = [];
  for (const section of within) {
    for (const item of itemsOf(section)) {
      if (!isQuestion(item)) continue;
      refs.push(item);
      if (widgetOf(item) === "group") {
        for (const c of childrenOf(item)) refs.push(`${item}/${c}`);
      }
    }
  }
  return refs;
}

const ctxFor = () => ({ S, C, el, field, widgetOf, optionsOf, titleOf });

function questionSettings(ref) {
  const schema = qschema(ref);
  if (!schema) return [el("p", {}, S.gone)];
  const ui = qui(ref);
  const widget = widgetOf(ref);
  const [parent, child] = ref.split("/");
  const set = (key) => (value) => send("set_question", { question: ref, [key]: value });
  const required = listOr(child ? objectOr(qschema(parent).items).required : objectOr(doc().schema).required);
  const published = C.published.includes(ref);
  const out = [
    actions("question", ref, schema.title),
    field(S.type, selectInput("f-widget", C.widgets, widget, set("widget")), published ? S.type_published : null),
    field(S.question_text, textInput("f-title", schema.title, set("title"))),
    field(S.help, textInput("f-help", ui.help, set("help"))),
  ];
  if (["text", "textarea", "number", "date"].includes(widget)) {
    out.push(field(S.placeholder, textInput("f-placeholder", ui.placeholder, set("placeholder"))));
  }
  out.push(el("div", { class: "choice" }, el("input", { type: "checkbox", id: "f-required",
    checked: required.includes(child ?? parent), onchange: (e) => set("required")(e.target.checked) }),
  " ", el("label", { for: "f-required" }, S.required)));
  const idInput = el("input", { id: "f-id", type: "text", value: child ?? parent, disabled: published,
    "aria-describedby": published ? "f-id-help" : null });
  out.push(el("div", { class: "field" }, el("label", { for: "f-id" }, S.name),
    published ? el("p", { class: "help", id: "f-id-help" }, S.name_published) : null, idInput,
    published ? null : el("button", { type: "button", id: "f-id-save", onclick: () => send("rename_question",
      { question: ref, new_id: idInput.value }, (r) => { selected = { kind: "question", id: r }; }) }, S.rename)));
  for (const [key, widgets] of Object.entries(C.limits)) {
    if (!widgets.includes(widget) || key === "pattern") continue;
    out.push(field(S[`limit_${key}`], numberInput(`f-${key}`, schema[key], set(key))));
  }
  if (C.limits.pattern.includes(widget) && !child) {
    const result = el("p", { id: "f-pattern-result", "aria-live": "polite" });
    out.push(field(S.pattern, textInput("f-pattern", schema.pattern, set("pattern")), S.pattern_help),
      field(S.pattern_try, el("input", { id: "f-pattern-try", type: "text", oninput: (e) => {
        result.textContent = tryPattern(ref, e.target.value);
      } })), result);
  }
  if (widget === "scale") {
    out.push(field(S.min_label, textInput("f-min_label", ui.min_label, set("min_label"))),
      field(S.max_label, textInput("f-max_label", ui.max_label, set("max_label"))));
  }
  out.push(pictogramField("f-icon", ui.icon, (v) => set("icon")(v)));
  if (widget === "choice" || widget === "multichoice") out.push(optionEditor(ref, published));
  if (widget === "yesno") out.push(tagEditor(ref, [["true", S.yes], ["false", S.no]]));
  if (!child) {
    const earlier = questionRefs().filter((q) => !q.includes("/") && questionRefs().indexOf(q) < questionRefs().indexOf(ref));
    out.push(conditionControls(ui.visible_if, earlier, ctxFor(), (c) => set("visible_if")(c)));
    const here = sections().find((s) => itemsOf(s).includes(ref))?.id;
    const target = selectInput("f-move-section", sections().map((s) => [s.id, textOr(s.title, String(s.id))]), here, () => {});
    out.push(el("div", { class: "inline-form" }, field(S.move_to, target),
      el("button", { type: "button", id: "f-move", onclick: () => send("move_question_to_section",
        { question: ref, section: target.value }) }, S.move)));
  }
  if (widget === "group") out.push(addQuestionForm(null, ref));
  return out;
}

function tryPattern(ref, value) {
  const pattern = qschema(ref)?.pattern;
  if (!pattern || value === "") return "";
  // The phone's own validation, on a one-question document, so no condition hides it.
  const mini = { source_language: doc().source_language, schema: { type: "object",
    properties: { [ref]: qschema(ref) } }, ui: { sections: [{ id: "s", title: "s", items: [ref] }] } };
  const { errors } = validateAnswers(buildDefinition(mini), mini, { [ref]: value }, { complete: false });
  return errors.some((e) => e.code === "pattern") ? S.pattern_no : S.pattern_yes;
}

/** Set one entry of a question's map (resource_tags, option_icons), merged when it is sent. */
function setEntry(ref, key, token, value) {
  return send("set_question", (now) => ({ question: ref, [key]: { ...objectOr(qui(now(ref))[key]), [token]: value } }));
}
const tagList = (v) => v.split(",").map((t) => t.trim()).filter(Boolean);

function tagEditor(ref, values) {
  const tags = objectOr(qui(ref).resource_tags);
  return el("fieldset", {}, el("legend", {}, S.resource_tags), values.map(([value, label], i) =>
    field(format(S.tags_for, { option: label }), textInput(`f-tags-${i}`, listOr(tags[value]).join(", "),
      (v) => setEntry(ref, "resource_tags", value, tagList(v))), S.tags_help)));
}

function optionEditor(ref, published) {
  const options = optionsOf(ref);
  const ui = qui(ref);
  const rows = options.map((o, i) => {
    if (!o) return null; // not an option (the JSON text's); reported under Problems
    const label = textOr(o.title, String(o.const));
    const token = typeof o.const === "string" ? o.const : JSON.stringify(o.const);
    // The option where it is when the operation is sent: one queued before may have moved it.
    const here = (now) => optionsOf(now(ref)).findIndex((x) => JSON.stringify(x?.const) === JSON.stringify(o.const));
    const opt = (op, args, said) => send(op, (now) => ({ question: ref, index: here(now), ...args }), said);
    const key = (part) => ({ "data-key": `${ref}:${JSON.stringify(o.const)}:${part}` });
    return el("li", {}, el("fieldset", { class: "option" }, el("legend", {}, format(S.option_legend, { number: i + 1, option: label })),
      field(S.option_text, textInput(`f-opt-${i}-title`, o.title, (v) => opt("set_option", { title: v }), key("title"))),
      field(S.option_value, textInput(`f-opt-${i}-value`, token,
        (v) => opt("set_option", { value: v }), { disabled: published, ...key("value") })),
      field(S.resource_tags, textInput(`f-opt-${i}-tags`, listOr(objectOr(ui.resource_tags)[token]).join(", "),
        (v) => setEntry(ref, "resource_tags", token, tagList(v)), key("tags"))),
      pictogramField(`f-opt-${i}-icon`, objectOr(ui.option_icons)[token], (v) => setEntry(ref, "option_icons", token, v)),
      el("div", { class: "actions" },
        // Focus stays with the option moved, so "Move up" pressed again moves it further.
        el("button", { type: "button", id: `f-opt-${i}-up`, ...key("up"), onclick: () => opt("move_option", { delta: -1 }, format(S.moved_up, { name: label })) }, S.up),
        el("button", { type: "button", id: `f-opt-${i}-down`, ...key("down"), onclick: () => opt("move_option", { delta: 1 }, format(S.moved_down, { name: label })) }, S.down),
        el("button", { type: "button", id: `f-opt-${i}-duplicate`, ...key("duplicate"), onclick: () => opt("duplicate_option", {}) }, S.duplicate),
        el("button", { type: "button", id: `f-opt-${i}-delete`, class: "danger", onclick: () => opt("delete_option", {}, format(S.deleted, { name: label })) }, S.delete))));
  });
  const title = el("input", { id: "f-new-option", type: "text" });
  return el("fieldset", {}, el("legend", {}, S.options), el("ol", {}, rows),
    el("div", { class: "inline-form" }, field(S.new_option, title),
      el("button", { type: "button", id: "f-add-option", onclick: () => {
        if (!title.value.trim()) return needsText(title, S.option_needed);
        taken(title);
        send("add_option", { question: ref, title: title.value }, format(S.added, { name: title.value }))
          .then(() => $("f-new-option")?.focus());
      } }, S.add_option)));
}

function renderSettings() {
  fieldCount = 0;
  let content;
  if (selected.kind === "section") content = sectionSettings(selected.id);
  else if (selected.kind === "question") content = questionSettings(selected.id);
  else content = metaSettings();
  $("settings").replaceChildren(...content);
}

// --------------------------------------------------------------------------------- problems

function renderProblems() {
  $("problems").replaceChildren(...(state.problems.length ? state.problems.map((p) => {
    const element = objectOr(p.element);
    // A section's index counts every entry of the list, as the check does.
    const section = objectOr(listOr(objectOr(doc().ui).sections)[Number(element.index)]);
    const target = element.kind === "question" && typeof element.id === "string" ? { kind: "question", id: element.id }
      : element.kind === "section" ? { kind: "section", id: section.id }
        : { kind: "questionnaire" };
    const where = target.kind === "question" ? titleOf(target.id)
      : target.kind === "section" ? textOr(section.title, "") : textOr(doc().title, "");
    // The JSON Pointer is for those editing the JSON text; the others go by the element's name.
    return el("li", {}, el("button", { type: "button", class: "link", onclick: () => select(target) },
      `${where}: `), p.message, jsonOpen()
      ? listOr(p.pointers ?? [p.pointer]).map((pointer) => [" ", el("code", {}, pointer || "/")]) : null);
  }) : [el("li", {}, S.no_problems)]));
  // Some problems hold the rest of the check back (a schema it cannot read): say more may come.
  const stopped = $("problems-stopped");
  stopped.textContent = state.stopped ? S.check_stopped : "";
  stopped.hidden = !state.stopped;
}

const jsonOpen = () => $("json-panel")?.hidden === false;

// -------------------------------------------------------------------------------- languages

const sameList = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The preview's language list and the Translate links, drawn from the draft's languages as
 * the server last answered: a language ticked in the settings is there at once.
 */
function renderLanguages() {
  const languages = listOr(state.languages).filter(Array.isArray);
  const select = $("preview-lang");
  const codes = languages.map(([code]) => code);
  if (codes.length && !sameList([...select.options].map((o) => o.value), codes)) {
    const chosen = select.value;
    select.replaceChildren(...languages.map(([code, name]) =>
      el("option", { value: code, lang: code.replace("_", "-") }, name)));
    select.value = codes.includes(chosen) ? chosen : codes[0];
  }
  const translated = listOr(state.translated).filter(Array.isArray);
  const links = $("translate-links");
  const hrefFor = (code) => C.urls.translations.replace("LANG", encodeURIComponent(code));
  if (!sameList([...links.querySelectorAll("a")].map((a) => a.getAttribute("href")), translated.map(([code]) => hrefFor(code)))) {
    links.replaceChildren(...translated.map(([code, name]) =>
      el("li", {}, el("a", { href: hrefFor(code), lang: code.replace("_", "-") }, name))));
  }
  $("translate").hidden = !translated.length;
}

// ------------------------------------------------------- typing on while a change is saved
//
// Every answer from the server draws the settings again, and someone may be typing in one of
// them by then (a slow network, a fast typist). What the settings show but the draft does not
// hold yet is put back into the new control, with the caret, and a text is saved when its
// field is left. Chromium sends "change" when a focused field is removed: that one is ignored.

let drawing = false;
let drawnFor = null; // the selection the settings were drawn for
const drawnWith = new WeakMap(); // control -> the value it was drawn with
const valueOf = (c) => (c.type === "checkbox" ? c.checked : c.value);

/**
 * A text control that saves on "change", and on leaving it when its text was put back.
 * node.sent is what it sent last and whether the server has answered (shared with the control
 * it is put back into): a text the server refused is not put back once it has answered, so
 * the field shows what is stored again.
 */
function saving(node, save) {
  const go = (event) => {
    if (drawing) return;
    const value = node.value;
    if (event.type === "blur" && (value === drawnWith.get(node) || value === node.sent?.value)) return;
    const sent = { value, answered: false };
    node.sent = sent;
    Promise.resolve(save(value)).finally(() => { sent.answered = true; });
  };
  node.addEventListener("change", go);
  node.addEventListener("blur", go);
  node.flush = () => go({ type: "blur" }); // save what is typed without leaving the field
  return node;
}

/** The text of a control is in an operation now: the new control starts empty again. */
const taken = (node) => drawnWith.set(node, valueOf(node));

function unsaved() {
  if (drawnFor !== JSON.stringify(selected)) return [];
  return [...$("settings").querySelectorAll("input, select, textarea")]
    .filter((c) => c.id && drawnWith.has(c) && valueOf(c) !== drawnWith.get(c))
    .filter((c) => !(c.sent?.answered && c.sent.value === c.value)) // refused: show what is stored
    .map((c) => ({ id: c.id, key: c.dataset.key, type: c.type, drawn: drawnWith.get(c), value: valueOf(c), sent: c.sent,
      caret: c === document.activeElement && c.type === "text" ? [c.selectionStart, c.selectionEnd] : null }));
}

function putBack(edits) {
  for (const edit of edits) {
    // An answer option's fields are found by the option (its place may have changed), other
    // controls by id; and only when the control still shows the stored value it showed.
    const c = edit.key ? $("settings").querySelector(`[data-key="${CSS.escape(edit.key)}"]`) : $(edit.id);
    if (!c || c.type !== edit.type || valueOf(c) !== edit.drawn) continue;
    if (c.type === "checkbox") c.checked = edit.value; else c.value = edit.value;
    if (valueOf(c) !== edit.value) { c.value = edit.drawn; continue; } // an option gone from a list
    c.sent = edit.sent;
    c.dispatchEvent(new Event("input")); // what reacts to typing (the pattern tester) sees it
    if (edit.caret) c.setSelectionRange(...edit.caret);
  }
}

/** The preview, or a note that there is none (a condition of a shape the engine cannot read). */
function drawPreview() {
  try {
    renderPreview(state.document, selected, ctxFor());
  } catch {
    unavailable(state.document, ctxFor());
    $("preview-page").textContent = "";
  }
}

function render() {
  const active = document.activeElement;
  const focused = active?.dataset?.key ? `[data-key="${CSS.escape(active.dataset.key)}"]`
    : active?.id ? `#${CSS.escape(active.id)}` : null;
  const edits = unsaved();
  // A file imported over the draft replaces the revision the page now shows, not an older one.
  if ($("import-revision")) $("import-revision").value = state.revision;
  drawing = true;
  try {
    // Each part on its own: one the JSON text's shapes trip up leaves the others (the
    // Problems list above all) drawn, and the page working.
    for (const part of [renderProblems, renderLanguages, renderOutline, renderSettings, drawPreview, refreshJson]) {
      try {
        part();
      } catch (error) {
        console.warn("builder: a part of the page could not be drawn", error);
      }
    }
  } finally {
    drawing = false;
  }
  for (const c of $("settings").querySelectorAll("input, select, textarea")) drawnWith.set(c, valueOf(c));
  drawnFor = JSON.stringify(selected);
  if (focused) document.querySelector(focused)?.focus();
  putBack(edits);
}

// ------------------------------------------------------------------------------ JSON view

// The JSON text is saved on the revision it was drawn from (base), not the one the page shows
// now: a change made in the settings after typing began is refused by the server, with what
// changed, rather than silently replaced by the older text. The typed text stays in the editor.
let json = null; // {view, dirty, module, base}
const jsonText = () => state.source_text ?? JSON.stringify(state.document, null, 2);

$("json-open").addEventListener("click", async () => {
  const panel = $("json-panel");
  const open = panel.hidden;
  panel.hidden = !open;
  $("json-open").setAttribute("aria-expanded", String(open));
  $("json-open").textContent = open ? S.json_hide : S.json_show;
  renderProblems(); // with the JSON Pointers while the JSON text is open
  if (open && !json) {
    try {
      const module = await import("./json-view.js");
      json = { module, dirty: false, base: state.revision };
      json.view = module.mountJsonView($("json-editor"), jsonText(), S.json_label, () => { json.dirty = true; });
    } catch {
      panel.replaceChildren(el("p", {}, S.json_unavailable));
    }
  }
});

$("json-save").addEventListener("click", () => {
  if (!json) return;
  const text = json.view.state.doc.toString();
  const base = json.base;
  enqueue(async () => {
    $("builder-error").replaceChildren();
    let response;
    try {
      response = await fetch(C.urls.json, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ revision: base, text }),
      });
    } catch {
      return refused({ message: S.offline });
    }
    const body = await response.json().catch(() => ({ message: S.failed }));
    if (!response.ok) return refused(body);
    saveFailed = false;
    Object.assign(state, body);
    // Typed on while it was saved: that text is newer than the one saved (and based on it).
    if (json.view.state.doc.toString() === text) json.dirty = false;
    json.base = state.revision;
    render();
    announce(state.problems.length ? format(S.json_saved_problems, { count: state.problems.length }) : S.saved);
  }).catch(() => refused({ message: S.failed })); // the operations after it still run
});

/** Show the draft's text in the editor, unless something typed there is not saved yet. */
function refreshJson() {
  if (!json || json.dirty) return;
  if (json.view.state.doc.toString() !== jsonText()) {
    json.module.replaceText(json.view, jsonText());
    json.dirty = false;
  }
  json.base = state.revision;
}

$("add-section").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("new-section-title");
  if (!input.value.trim()) return needsText(input, S.title_needed);
  textGiven(input);
  send("add_section", { title: input.value }, (id) => { selected = { kind: "section", id }; })
    .then((id) => { if (id) { input.value = ""; announce(format(S.added, { name: id })); } });
});

// ------------------------------------------------------------------------ leaving the page
//
// A link (Check and publish, the menu) waits for the saves on their way: the next page then
// shows them, and none is lost when the browser abandons the page's requests. Going another way
// (reload, Back, an address typed) while a save is on its way, was refused, or JSON text is
// typed but not saved asks first; what is typed in a field is sent on the way out.

let passing = null; // the link clicked again once the saves are done

/** Save the text of the field being typed in, as leaving it would. */
const flush = () => document.activeElement?.flush?.();

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!link || link === passing) { passing = null; return; }
  if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey ||
    event.shiftKey || event.altKey || (link.target && link.target !== "_self")) return;
  flush();
  if (!pending) return;
  event.preventDefault();
  settled().then(() => {
    if (saveFailed) return; // the refusal is shown: leaving now would hide it
    passing = link;
    link.click();
  });
}, { capture: true });

window.addEventListener("beforeunload", (event) => {
  flush();
  if (pending || (saveFailed && !reloading) || json?.dirty) {
    event.preventDefault();
    event.returnValue = ""; // older browsers ask only when this is set
  }
});

$("settings-title").tabIndex = -1;
export { readCondition };
render();
