/**
 * Answer validation, mirroring validate.py: normalize, drop hidden answers, then check the
 * documented JSON Schema subset the way Python's jsonschema does (keywords in schema order,
 * depth first), so the first error per path is the same on the phone and on the server.
 */
import { isEmpty, visibleQuestions } from "./conditions.js";
import { escape, isObject, own, resolvePointer } from "./pointers.js";
import { SPACE, strip } from "./types.js";

const CODES = {
  minimum: "minimum", maximum: "maximum", exclusiveMinimum: "minimum", exclusiveMaximum: "maximum",
  minLength: "min_length", maxLength: "max_length", minItems: "min_items", maxItems: "max_items",
};
const TYPES = {
  string: (v) => typeof v === "string",
  number: (v) => typeof v === "number",
  integer: Number.isInteger, // JSON 4.0 is an integer, as in jsonschema
  boolean: (v) => typeof v === "boolean",
  null: (v) => v === null,
  array: Array.isArray,
  object: isObject,
};

/** Strip text and drop empty answers, recursively, so "" and [] mean not answered. */
export function normalize(v) {
  if (typeof v === "string") return strip(v);
  if (Array.isArray(v)) return v.map(normalize).filter((x) => !isEmpty(x));
  if (isObject(v)) {
    // fromEntries keeps a "__proto__" key as data, as Python would.
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, normalize(x)]).filter(([, x]) => !isEmpty(x)));
  }
  return v;
}

// jsonschema's equal(): deep, and a boolean is never equal to a number.
const equal = (a, b) =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => equal(x, b[i]))
  : isObject(a) && isObject(b) ? Object.keys(a).length === Object.keys(b).length &&
    Object.keys(a).every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]))
  : a === b;

const isDate = (s) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = m.slice(1).map(Number);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return y >= 1 && d >= 1 && d <= days; // Python's date has no year 0
};

// The server matches a pattern with Python's re.search. Python gives \d, \w, \s, . and $ Unicode
// (and its own) meanings that a "u" RegExp lacks: translate them. The checker
// (webapp/questionnaires/patterns.py) accepts only patterns whose every construct this
// translation renders with the same meaning (and without lookbehind, which Safari before 16.4
// lacks); tests/shared/pattern_cases.json proves it.
const PY = { d: "\\p{Nd}", w: "\\p{L}\\p{N}_", s: SPACE };
const END = "(?=\\n?$)"; // Python's $ also matches before a final \n

/** Return Python's pattern as an equivalent "u" RegExp source; throw where it cannot be. */
export function translatePattern(p) {
  let out = "";
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      const n = p[++i] ?? "";
      const k = n.toLowerCase();
      if (PY[n]) out += inClass ? PY[n] : `[${PY[n]}]`;
      else if (PY[k] && inClass) throw new SyntaxError(`\\${n} inside [...] has no translation`);
      else if (PY[k]) out += `[^${PY[k]}]`;
      else if (k === "b" && !inClass) throw new SyntaxError(`\\${n} has no translation without lookbehind`);
      else out += c + n;
      continue;
    }
    out += c === "." && !inClass ? "[^\\n]" : c === "$" && !inClass ? END : c;
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
  }
  return out;
}

const regexes = new Map();
/**
 * Return the RegExp for a pattern. A pattern that does not compile is an error, never skipped:
 * `flask forms check` refuses such a document, so it can only come from an unchecked one.
 */
export function patternRegExp(p) {
  if (!regexes.has(p)) {
    try {
      regexes.set(p, new RegExp(translatePattern(p), "u"));
    } catch (error) {
      throw new SyntaxError(`pattern ${JSON.stringify(p)} cannot be used here: ${error.message}`);
    }
  }
  return regexes.get(p);
}

// A finite double as [BigInt, exponent]: the double is that integer times 2 ** exponent.
function dyadic(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const mantissa = (bits & ((1n << 52n) - 1n)) | (biased ? 1n << 52n : 0n);
  return [bits >> 63n ? -mantissa : mantissa, Math.max(biased, 1) - 1075];
}

/** Return whether a / b is a whole number, computed exactly. */
function exactMultiple(a, b) {
  const [ma, ea] = dyadic(a);
  const [mb, eb] = dyadic(b);
  return ea >= eb ? (ma << BigInt(ea - eb)) % mb === 0n : ma % (mb << BigInt(eb - ea)) === 0n;
}

const length = (s) => [...s].length; // code points, as Python's len()
/** The longest text an answer may be (webapp/questionnaires/validate.py MAX_ANSWER_TEXT). */
export const MAX_ANSWER_TEXT = 20_000;

function longTexts(value, where, out) {
  if (typeof value === "string") {
    if (value.length > MAX_ANSWER_TEXT && length(value) > MAX_ANSWER_TEXT) {
      out.push({ path: path(where), code: "max_length", params: { limit: MAX_ANSWER_TEXT } });
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => longTexts(v, [...where, i], out));
  else if (isObject(value)) for (const k of Object.keys(value)) longTexts(value[k], [...where, k], out);
}
const path = (parts) => parts.map((p) => "/" + escape(p)).join("");

/** Push [path, code, params] for every error of value against schema, like jsonschema's iter_errors. */
function check(schema, value, at, root, out) {
  const add = (code, params = {}, where = at) => out.push({ path: path(where), code, params });
  if (schema === false) return add("invalid");
  if (!isObject(schema)) return;
  for (const [k, v] of Object.entries(schema)) {
    const isNum = typeof value === "number";
    if (k === "$ref" && v.startsWith("#")) {
      check(resolvePointer(root, v.slice(1)), value, at, root, out);
    } else if (k === "type") {
      if (![v].flat().some((t) => own(TYPES, t)?.(value))) add("type", { expected: v });
    } else if (k === "properties" && isObject(value)) {
      for (const [p, s] of Object.entries(v)) {
        if (Object.hasOwn(value, p)) check(s, value[p], [...at, p], root, out);
      }
    } else if (k === "required" && isObject(value)) {
      for (const p of v) if (!Object.hasOwn(value, p)) add("required", {}, [...at, p]);
    } else if (k === "additionalProperties" && isObject(value)) {
      const extra = Object.keys(value).filter((p) => !Object.hasOwn(schema.properties ?? {}, p));
      if (v === false) for (const p of extra) add("unknown", {}, [...at, p]);
    } else if (k === "items" && Array.isArray(value)) {
      if (v === false) { if (value.length) add("invalid"); } // jsonschema: one error, at the array
      else value.forEach((item, i) => check(v, item, [...at, i], root, out));
    } else if (k === "uniqueItems" && v && Array.isArray(value)) {
      if (value.some((x, i) => value.slice(0, i).some((y) => equal(x, y)))) add("unique");
    } else if (k === "oneOf" || k === "anyOf") {
      const valid = v.filter((s) => { const e = []; check(s, value, at, root, e); return !e.length; });
      if (k === "oneOf" ? valid.length !== 1 : !valid.length) add("choice");
    } else if (k === "const" && !equal(value, v)) add("choice");
    else if (k === "enum" && !v.some((x) => equal(x, value))) add("choice");
    else if (isNum && ((k === "minimum" && value < v) || (k === "maximum" && value > v) ||
      (k === "exclusiveMinimum" && value <= v) || (k === "exclusiveMaximum" && value >= v))) {
      add(CODES[k], { limit: v });
    } else if (k === "multipleOf" && isNum) {
      // jsonschema divides by a float divisor and takes the remainder of an integer one (the
      // checker refuses 3.0, which JavaScript cannot tell from 3); a quotient too large for a
      // double is decided exactly, as Python's Fraction does.
      const q = value / v;
      const whole = Number.isInteger(v) ? value % v === 0
        : Number.isFinite(q) ? Math.trunc(q) === q : exactMultiple(value, v);
      if (!whole) add("multiple_of", { limit: v });
    } else if (typeof value === "string") {
      if ((k === "minLength" && length(value) < v) || (k === "maxLength" && length(value) > v)) {
        add(CODES[k], { limit: v });
      } else if (k === "pattern" && !patternRegExp(v).test(value)) add("pattern");
      else if (k === "format" && v === "date" && !isDate(value)) add("format", { format: v });
    } else if (Array.isArray(value) && ((k === "minItems" && value.length < v) ||
      (k === "maxItems" && value.length > v))) {
      add(CODES[k], { limit: v });
    }
  }
}

/** Return [{path, code, params}] for every error of value against schema, in jsonschema's order. */
export function schemaErrors(schema, value) {
  const errors = [];
  check(schema, value, [], schema, errors);
  return errors;
}

// Country and language answers must be codes the server knows (the schema checks only shape).
function codeErrors(definition, answers, codes, out) {
  const bad = (widget, v) => typeof v === "string" && own(codes, widget) && !codes[widget].has(v);
  for (const [qid, q] of Object.entries(definition.questions)) {
    const value = own(answers, qid);
    if (bad(q.widget, value)) out.push({ path: path([qid]), code: "choice", params: {} });
    if (q.widget !== "group" || !Array.isArray(value)) continue;
    value.forEach((item, i) => {
      if (!isObject(item)) return;
      for (const c of q.children) {
        const where = path([qid, i, c.id]);
        if (bad(c.widget, own(item, c.id))) out.push({ path: where, code: "choice", params: {} });
      }
    });
  }
}

/** Return the answers normalized, with those to hidden questions removed. */
export function cleanAnswers(definition, answers) {
  const normalized = normalize(answers);
  const visible = visibleQuestions(definition, normalized);
  return Object.fromEntries(Object.entries(normalized)
    .filter(([k]) => visible.has(k) || !Object.hasOwn(definition.questions, k)));
}

/**
 * Return {cleaned, errors: [{path, code, params}]}. only limits errors to some questions (a page);
 * complete=false checks a draft (nothing required); codes = {country: Set, language: Set}, when
 * given, checks country and language codes (the server always does).
 */
/**
 * An answer is only ever to a question of this version, whatever the schema's
 * additionalProperties says (validate.py _unknown_errors): after the schema's own errors.
 */
function unknownAnswers(definition, cleaned, errors) {
  for (const [qid, value] of Object.entries(cleaned)) {
    const question = own(definition.questions, qid);
    if (!question) {
      errors.push({ path: path([qid]), code: "unknown", params: {} });
    } else if (question.widget === "group" && Array.isArray(value)) {
      const children = new Set(question.children.map((child) => child.id));
      value.forEach((entry, index) => {
        if (!isObject(entry)) return;
        for (const key of Object.keys(entry)) {
          if (!children.has(key)) {
            errors.push({ path: path([qid, index, key]), code: "unknown", params: {} });
          }
        }
      });
    }
  }
}

export function validateAnswers(definition, doc, answers, { only, complete = true, codes } = {}) {
  if (!isObject(answers)) {
    return { cleaned: {}, errors: [{ path: "", code: "type", params: { expected: "object" } }] };
  }
  const cleaned = cleanAnswers(definition, answers);
  const visible = visibleQuestions(definition, cleaned);
  const required = complete ? (doc.schema.required ?? []).filter((q) => visible.has(q)) : [];
  const schema = { ...doc.schema, required };
  let errors = [];
  check(schema, cleaned, [], schema, errors);
  longTexts(cleaned, [], errors);
  codeErrors(definition, cleaned, codes, errors);
  unknownAnswers(definition, cleaned, errors);
  if (only != null) {
    const wanted = new Set(only);
    errors = errors.filter((e) => wanted.has(e.path.split("/")[1] ?? ""));
  }
  // One error per answer path is enough to act on; the first is the most basic one.
  const unique = new Map();
  for (const e of errors) if (!unique.has(e.path)) unique.set(e.path, e);
  return { cleaned, errors: [...unique.values()] };
}
