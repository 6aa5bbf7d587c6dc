/** The question-type registry and the document index, mirroring types.py and definition.py. */
import { deref, escape, isObject, own, resolvePointer } from "./pointers.js";

const options = (schema, key) => {
  const list = schema[key];
  return Array.isArray(list) && list.every((o) => isObject(o) && "const" in o) ? list : null;
};
const isString = (s) => s.type === "string";
const isNumber = (s) => s.type === "number" || s.type === "integer";
const isChoice = (s) => options(s, "oneOf") !== null;
const isMulti = (s) => s.type === "array" && isObject(s.items) && options(s.items, "anyOf") !== null;
const isGroup = (s) =>
  s.type === "array" && isObject(s.items) && s.items.type === "object" && isObject(s.items.properties);
// JSON cannot tell 1.0 from 1 here, while Python sees a float and refuses the scale.
const isScale = (s) =>
  s.type === "integer" && Number.isInteger(s.minimum) && Number.isInteger(s.maximum) &&
  s.maximum - s.minimum > 0 && s.maximum - s.minimum <= 10;

/** Widget name -> whether it accepts an answer schema. */
export const WIDGETS = {
  text: isString,
  textarea: isString,
  number: isNumber,
  date: (s) => isString(s) && s.format === "date",
  choice: isChoice,
  multichoice: isMulti,
  yesno: (s) => s.type === "boolean",
  scale: isScale,
  country: isString,
  language: isString,
  group: isGroup,
};

/** Return whether widget exists and accepts schema. */
export const accepts = (widget, schema) => Object.hasOwn(WIDGETS, widget) && WIDGETS[widget](schema);

/** Return the default widget for a schema, or null when it must be named. */
export function inferWidget(s) {
  if (s.type === "boolean") return "yesno";
  if (isChoice(s)) return "choice";
  if (isMulti(s)) return "multichoice";
  if (isGroup(s)) return "group";
  if (isString(s)) return s.format === "date" ? "date" : "text";
  return isNumber(s) ? "number" : null;
}

/** Return the option values of a choice or multichoice question. */
export function optionValues(schema, widget) {
  if (widget === "choice") return (schema.oneOf ?? []).map((o) => o.const);
  if (widget === "multichoice") return (schema.items?.anyOf ?? []).map((o) => o.const);
  return [];
}

function question(root, id, schema, pointer, ui, uiPointer, required) {
  [schema, pointer] = deref(root, schema, pointer);
  const widget = ui.widget || inferWidget(schema) || "text";
  let opts = [];
  let children = [];
  if (widget === "choice") {
    opts = schema.oneOf.map((o, i) => ({ value: o.const, pointer: `${pointer}/oneOf/${i}/title` }));
  } else if (widget === "multichoice" || widget === "group") {
    const [items, at] = deref(root, schema.items, pointer + "/items");
    if (widget === "multichoice") {
      opts = items.anyOf.map((o, i) => ({ value: o.const, pointer: `${at}/anyOf/${i}/title` }));
    } else {
      const childUi = ui.items || {};
      const need = new Set(items.required || []);
      children = Object.entries(items.properties).map(([cid, cschema]) =>
        question(root, cid, cschema, `${at}/properties/${escape(cid)}`, own(childUi, cid) || {},
          `${uiPointer}/items/${escape(cid)}`, need.has(cid)));
    }
  }
  return { id, pointer, schema, widget, ui, uiPointer, required, options: opts, children };
}

/** Index a checked document: {document, sections, questions: {id: question}, info: {id: pointer}}. */
export function buildDefinition(doc) {
  const document = structuredClone(doc);
  const { schema, ui } = document;
  const need = new Set(schema.required || []);
  const questions = {};
  for (const [id, qschema] of Object.entries(schema.properties)) {
    questions[id] = question(document, id, qschema, `/schema/properties/${escape(id)}`,
      own(ui.questions, id) || {}, `/ui/questions/${escape(id)}`, need.has(id));
  }
  const info = {};
  for (const id of Object.keys(ui.info || {})) info[id] = `/ui/info/${escape(id)}/text`;
  // One question per page: each item its own page, sharing its section's title.
  const sections = [];
  ui.sections.forEach((s, sourceIndex) => {
    const pages = ui.one_question_per_page ? s.items.map((item) => [item]) : [s.items];
    pages.forEach((items, n) => sections.push({
      id: pages.length === 1 ? s.id : `${s.id}-${n + 1}`, index: sections.length,
      items: [...items], visibleIf: s.visible_if ?? null, sourceIndex }));
  });
  return { document, sections, questions, info };
}

/** Return the languages to try for lang, most specific first, ending in the source language. */
export function fallbackChain(lang, source, fallbacks) {
  const chain = [];
  for (const c of [lang, lang.split("_")[0], ...(own(fallbacks, lang) || []), source]) {
    if (c && !chain.includes(c)) chain.push(c);
  }
  return chain;
}

// Python's str.strip() whitespace (not JS trim(): Python also strips U+001C-1F and U+0085, not U+FEFF).
export const SPACE = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const EDGES = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, "g");
/** Strip like Python's str.strip(). */
export const strip = (s) => s.replace(EDGES, "");

// The value of one Unicode decimal digit: they come in runs of ten, starting at zero.
function digitValue(ch) {
  let n = 0;
  while (/\p{Nd}/u.test(String.fromCodePoint(ch.codePointAt(0) - n - 1))) n++;
  return String(n % 10);
}

/**
 * The text with every decimal digit, of whatever script, as 0–9. A phone keyboard in Arabic or
 * Persian types its own (٤, ۴), and the server takes them as Python's \d and int() do.
 */
export const asciiDigits = (text) => text.replace(/\p{Nd}/gu, digitValue);

/** Return [text, language it is in] along the fallback chain, or null. */
export function textWithLanguage(doc, pointer, lang) {
  if (pointer == null) return null;
  const source = doc.source_language;
  for (const c of fallbackChain(lang, source, doc.fallbacks)) {
    if (c === source) {
      let value;
      try {
        value = resolvePointer(doc, pointer);
      } catch {
        return null;
      }
      return typeof value === "string" ? [value, c] : null;
    }
    const value = own(own(doc.translations, c), pointer);
    if (typeof value === "string" && strip(value)) return [value, c];
  }
  return null;
}

/** Return the text at pointer in lang (following the fallback chain), or null. */
export const text = (doc, pointer, lang) => textWithLanguage(doc, pointer, lang)?.[0] ?? null;
