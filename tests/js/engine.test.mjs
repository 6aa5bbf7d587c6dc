// The JavaScript questionnaire engine against the cases the Python core passes
// (tests/test_shared_cases.py runs this file with a snapshot of Python's definitions).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { evaluate, referencedQuestions, visibleQuestions } from "../../static/js/engine/conditions.js";
import { MESSAGES, messageFor } from "../../static/js/engine/messages.js";
import { deref, escape, resolvePointer } from "../../static/js/engine/pointers.js";
import { fromFormValue, optionToken, toFormValue } from "../../static/js/engine/render.js";
import { accepts, buildDefinition, inferWidget, optionValues, text, textWithLanguage } from "../../static/js/engine/types.js";
import { patternRegExp, schemaErrors, validateAnswers } from "../../static/js/engine/validate.js";

const read = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf-8"));
const conditions = read("../shared/conditions_cases.json");
const validation = read("../shared/validation_cases.json");
const codeLists = read("../shared/codes.json");
const patterns = read("../shared/pattern_cases.json");
const messages = read("../shared/message_cases.json");
const codes = { country: new Set(codeLists.country), language: new Set(codeLists.language) };
const definitions = Object.fromEntries(
  Object.entries(validation.documents).map(([name, doc]) => [name, buildDefinition(doc)]));

for (const c of conditions.cases) {
  test(`condition: ${c.name}`, () => assert.equal(evaluate(c.condition, c.answers), c.expected));
}

for (const c of validation.cases) {
  test(`validation: ${c.name}`, () => {
    const doc = validation.documents[c.document];
    const { cleaned, errors } = validateAnswers(definitions[c.document], doc, c.answers, { ...c.options, codes });
    assert.deepEqual(cleaned, c.expected.cleaned);
    assert.deepEqual(errors.map((e) => [e.path, e.code, e.params]), c.expected.errors.map(([p, code, params]) => [p, code, params ?? {}]));
  });
}

test("validation without code lists leaves codes to the server", () => {
  const doc = validation.documents.minimal;
  const { errors } = validateAnswers(definitions.minimal, doc, { name: "A", work: "no", country: "QQ" });
  assert.deepEqual(errors, []);
});

test("pointers", () => {
  const doc = { "a/b": { "m~n": [10, 20] }, schema: { $defs: { x: { $ref: "#/$defs/y" }, y: { type: "string" } } } };
  assert.equal(escape("a/b~c"), "a~1b~0c");
  assert.equal(resolvePointer(doc, "/a~1b/m~0n/1"), 20);
  assert.equal(resolvePointer(doc, ""), doc);
  for (const bad of ["a", "/a~1b/m~0n/2", "/a~1b/m~0n/-1", "/constructor", "/a~1b/m~0n/length"]) {
    assert.throws(() => resolvePointer(doc, bad), RangeError, bad);
  }
  assert.deepEqual(deref(doc, { $ref: "#/$defs/x" }, "/schema/properties/q"), [{ type: "string" }, "/schema/$defs/y"]);
  const loop = { schema: { $defs: { x: { $ref: "#/$defs/x" } } } };
  assert.deepEqual(deref(loop, { $ref: "#/$defs/x" }, "/p"), [{ $ref: "#/$defs/x" }, "/schema/$defs/x"]);
});

test("widget registry", () => {
  assert.equal(inferWidget({ type: "boolean" }), "yesno");
  assert.equal(inferWidget({ type: "string", format: "date" }), "date");
  assert.equal(inferWidget({ type: "integer", minimum: 1, maximum: 5 }), "number");
  assert.equal(inferWidget({ type: "array", items: { anyOf: [{ const: 1 }] } }), "multichoice");
  assert.equal(inferWidget({ type: "array", items: { type: "object", properties: {} } }), "group");
  assert.equal(inferWidget({ enum: ["a"] }), null);
  assert.ok(accepts("scale", { type: "integer", minimum: 1, maximum: 11 }));
  assert.ok(!accepts("scale", { type: "integer", minimum: 1, maximum: 12 }));
  assert.ok(!accepts("scale", { type: "integer", minimum: 1, maximum: 1 }));
  assert.ok(accepts("country", { type: "string" }));
  assert.ok(!accepts("info", { type: "string" }));
  assert.ok(!accepts("constructor", { type: "string" }));
  assert.deepEqual(optionValues({ oneOf: [{ const: "a" }, { const: 2 }] }, "choice"), ["a", 2]);
  assert.deepEqual(optionValues({ items: { anyOf: [{ const: true }] } }, "multichoice"), [true]);
  assert.deepEqual(optionValues({ type: "string" }, "text"), []);
});

test("text fallback chain", () => {
  const doc = validation.documents.extras;
  assert.deepEqual(textWithLanguage(doc, "/schema/$defs/yn/title", "en"), ["Agree?", "en"]);
  assert.deepEqual(textWithLanguage(doc, "/schema/$defs/yn/title", "fa_AF"), ["Agree?", "en"]); // via fallbacks
  assert.deepEqual(textWithLanguage(doc, "/schema/properties/word/title", "fa_AF"), ["واژه", "fa_AF"]);
  assert.deepEqual(textWithLanguage(doc, "/schema/properties/temp/title", "en"), ["Temperatur", "nb"]); // blank
  assert.deepEqual(textWithLanguage(doc, "/title", "en_GB"), ["Extras", "en"]); // base language
  assert.equal(text(doc, "/nowhere", "en"), null);
  assert.equal(text(doc, "/schema", "nb"), null);
  assert.equal(text(doc, null, "nb"), null);
});

test("visible questions cascade", () => {
  const def = definitions.extras;
  const shown = (answers) => [...visibleQuestions(def, answers)].filter((q) => ["flag", "why", "later"].includes(q));
  assert.deepEqual(shown({ agree: "ja", flag: true }), ["flag", "why", "later"]);
  assert.deepEqual(shown({ agree: "nei", flag: true }), []);
  assert.deepEqual(shown({ agree: "ja", flag: false }), ["flag", "later"]);
  assert.deepEqual(referencedQuestions({ all: [{ not: { question: "b", equals: 1 } }, { question: "a", answered: true }] }), ["b", "a"]);
});

test("form values convert like rendering/fields.py", () => {
  const q = definitions.extras.questions;
  const errors = [];
  const number = (raw) => fromFormValue(q.temp, raw, "/temp", errors);
  assert.equal(number(" 3,5 "), 3.5);
  assert.equal(number("1\u00a0000"), 1000);
  assert.equal(number("+7"), 7);
  assert.ok(Object.is(number("-0"), 0));
  assert.equal(number("٣٫٥"), 3.5); // the Arabic decimal separator, as Python reads it...
  assert.equal(number("۲٫۰"), 2); // (Persian digits)
  assert.equal(number("٣,٥"), 3.5); // ...and Arabic-Indic digits, as for Python's float()
  assert.equal(number("٣٫٥٫١"), null);
  assert.equal(number("𝟗"), 9);
  assert.equal(number(""), null);
  assert.equal(number("1e3"), null);
  assert.deepEqual(errors.map((e) => [e.path, e.code]), [["/temp", "type"], ["/temp", "type"]]);
  // More digits than a phone's numbers hold exactly: refused, never stored rounded.
  errors.length = 0;
  assert.equal(number("999999999999999"), 999999999999999);
  assert.equal(number("000123456789012345"), 123456789012345); // leading zeros do not count
  assert.equal(number("0,000000000000000001"), 1e-18);
  assert.equal(number("12345678901234567890"), null);
  assert.equal(number("1234567890,123456"), null);
  assert.equal(number("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦"), null); // 16 Arabic-Indic digits
  assert.equal(number("1".repeat(400)), null);
  assert.deepEqual(errors.map((e) => [e.code, e.params.limit]), Array(4).fill(["digits", 15]));
  assert.equal(fromFormValue(q.level, "3", "/level", errors), 3);
  assert.equal(fromFormValue(q.flag, "true", "/flag", errors), true);
  assert.equal(fromFormValue(q.flag, "false", "/flag", errors), false);
  assert.deepEqual(fromFormValue(q.numbers, ["1", "3", "9"], "/numbers", errors), [1, 3, "9"]);
  assert.equal(fromFormValue(q.agree, "ja", "/agree", errors), "ja");
  assert.equal(fromFormValue(q.nick, "", "/nick", errors), null);
  const jobs = fromFormValue(q.jobs, [{ role: "", land: "", tongue: "" }, { role: "x ", land: "NO", tongue: "" }], "/jobs", errors);
  assert.deepEqual(jobs, [{ role: "x ", land: "NO" }]);
  assert.deepEqual(toFormValue(q.jobs, [{ role: "x" }, "junk"]), [{ role: "x", land: null, tongue: null }]);
  assert.deepEqual(toFormValue(q.numbers, [1, 2]), ["1", "2"]);
  assert.equal(toFormValue(q.flag, false), "false");
  assert.equal(toFormValue(q.temp, 2.5), "2.5");
  assert.equal(optionToken("a"), "a");
  assert.equal(optionToken(null), "null");
});

test("the English messages are rendering/messages.py's ANSWER_MESSAGES", () => {
  assert.deepEqual(MESSAGES, messages.messages);
});

for (const c of messages.cases) {
  test(`message: ${c.code || "(no code)"} on ${c.widget ?? "no question"}`, () => {
    assert.equal(messageFor({ code: c.code, params: c.params }, c.widget ? { widget: c.widget } : undefined), c.expected);
  });
}

test("messages", () => {
  const q = definitions.extras.questions;
  assert.equal(messageFor({ code: "type", params: {} }, q.temp), MESSAGES.type_number);
  assert.equal(messageFor({ code: "type", params: {} }, q.nick), MESSAGES.type);
  assert.equal(messageFor({ code: "minimum", params: { limit: 1 } }, q.level), MESSAGES.choice);
  assert.equal(messageFor({ code: "minimum", params: { limit: 0.5 } }, q.temp), "The number must be 0.5 or more.");
  assert.equal(messageFor({ code: "surprise", params: {} }), MESSAGES.invalid);
  assert.equal(messageFor({ code: "max_length", params: { limit: 3 } }, q.nick, { max_length: "Høyst %(limit)s tegn." }), "Høyst 3 tegn.");
});

const snapshotPath = process.env.LOYPE_DEFINITION_SNAPSHOT;
test("definitions equal Python's", { skip: !snapshotPath && "LOYPE_DEFINITION_SNAPSHOT is not set" }, () => {
  const snapshot = JSON.parse(readFileSync(snapshotPath, "utf-8"));
  const view = (q) => ({
    id: q.id, pointer: q.pointer, widget: q.widget, uiPointer: q.uiPointer, required: q.required,
    options: q.options, children: q.children.map(view),
  });
  for (const [name, expected] of Object.entries(snapshot.documents)) {
    const def = buildDefinition(expected.document);
    assert.deepEqual(def.sections, expected.sections, name);
    assert.deepEqual(Object.keys(def.questions), Object.keys(expected.questions), name);
    assert.deepEqual(Object.fromEntries(Object.entries(def.questions).map(([k, q]) => [k, view(q)])), expected.questions, name);
    assert.deepEqual(def.info, expected.info, name);
    for (const [i, set] of expected.answer_sets.entries()) {
      const where = `${name} answer set ${i}`;
      assert.deepEqual([...visibleQuestions(def, set.answers)].sort(), set.visible, where);
      const { cleaned, errors } = validateAnswers(def, expected.document, set.answers, { ...set.options, codes });
      assert.deepEqual(cleaned, set.cleaned, where);
      assert.deepEqual(errors.map((e) => [e.path, e.code, e.params]), set.errors, where);
    }
    for (const [pointer, lang, found] of expected.texts) {
      assert.deepEqual(textWithLanguage(expected.document, pointer, lang), found, `${name} ${pointer} ${lang}`);
    }
  }
});

for (const c of patterns.accepted) {
  test(`pattern accepted: ${c.pattern}`, () => {
    const re = patternRegExp(c.pattern);
    assert.deepEqual(patterns.samples.filter((s) => re.test(s)), c.matches);
  });
}

// The browser's half of why the checker refuses each construct (Python's is in pytest).
for (const c of patterns.refused) {
  test(`pattern refused: ${c.pattern}`, () => {
    if (c.javascript === "error") assert.throws(() => patternRegExp(c.pattern), SyntaxError);
    else if (c.javascript === "compiles") assert.ok(patternRegExp(c.pattern));
    else assert.notEqual(patternRegExp(c.pattern).test(c.sample), c.python_matches);
  });
}

test("a pattern the browser cannot compile is an error, not skipped", () => {
  const definition = { sections: [], questions: { x: { ui: {}, widget: "text" } }, info: {} };
  const doc = { schema: { type: "object", properties: { x: { type: "string", pattern: "(?i)^x$" } } } };
  assert.throws(() => validateAnswers(definition, doc, { x: "X" }), /cannot be used here/);
});

test("random accepted patterns match like Python's re", { skip: !snapshotPath && "LOYPE_DEFINITION_SNAPSHOT is not set" }, () => {
  const { patterns: random } = JSON.parse(readFileSync(snapshotPath, "utf-8"));
  for (const [pattern, matches] of random) {
    const re = patternRegExp(pattern);
    const found = patterns.samples.flatMap((s, i) => (re.test(s) ? [i] : []));
    assert.deepEqual(found, matches, pattern);
  }
});

test("random schemas give Python's errors", { skip: !snapshotPath && "LOYPE_DEFINITION_SNAPSHOT is not set" }, () => {
  const { schemas } = JSON.parse(readFileSync(snapshotPath, "utf-8"));
  for (const [schema, value, errors] of schemas) {
    const found = schemaErrors(schema, value).map((e) => [e.path, e.code, e.params]);
    assert.deepEqual(found, errors, JSON.stringify([schema, value]));
  }
});

test("an answer text over 20,000 characters is refused, counted as Python counts", () => {
  const doc = validation.documents.minimal;
  const long = "å".repeat(20_001);
  const answers = { name: "A", work: "yes", employer: long, educations: [{ field: long }] };
  const { errors } = validateAnswers(definitions.minimal, doc, answers);
  assert.deepEqual(errors.map((e) => [e.path, e.code, e.params]), [
    ["/employer", "max_length", { limit: 20_000 }],
    ["/educations/0/field", "max_length", { limit: 20_000 }],
  ]);
  const emoji = "😀".repeat(20_000); // 40,000 UTF-16 units, 20,000 characters
  assert.deepEqual(validateAnswers(definitions.minimal, doc, { ...answers, employer: emoji,
    educations: [] }).errors, []);
});
