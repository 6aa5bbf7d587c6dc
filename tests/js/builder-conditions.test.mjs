// The builder's condition pickers (static/js/builder/conditions.js): which conditions they can
// show, and the rule "Add a rule" starts with.
import assert from "node:assert/strict";
import { test } from "node:test";

import { buildCondition, newRule, readCondition } from "../../static/js/builder/conditions.js";

// As the builder page's config gives them (webapp/questionnaires/editing.py operators_for).
const operators = {
  text: ["equals", "answered"], textarea: ["equals", "answered"], date: ["equals", "answered"],
  country: ["equals", "answered"], number: ["equals", "in", "answered"],
  scale: ["equals", "in", "answered"], choice: ["equals", "in", "answered"],
  yesno: ["equals", "in", "answered"], multichoice: ["contains", "answered"], group: ["answered"],
};
const options = { choice: [{ const: "rod", title: "Rød" }, { const: "bla", title: "Blå" }] };
options.multichoice = options.choice;
const ctx = { C: { operators }, widgetOf: (q) => q, optionsOf: (q) => options[q] ?? [] };

test("a new rule on a typed answer asks whether it is answered", () => {
  for (const widget of ["text", "textarea", "date", "number", "scale", "country", "group"]) {
    assert.deepEqual(newRule(ctx, widget), { not: false, question: widget, operator: "answered", value: true }, widget);
  }
});

test("a new rule on a question with options starts at its first option", () => {
  assert.deepEqual(newRule(ctx, "choice"), { not: false, question: "choice", operator: "equals", value: "rod" });
  assert.deepEqual(newRule(ctx, "multichoice"), { not: false, question: "multichoice", operator: "contains", value: "rod" });
  assert.deepEqual(newRule(ctx, "yesno"), { not: false, question: "yesno", operator: "equals", value: true });
});

test("conditions the pickers can show are read and built back unchanged", () => {
  for (const condition of [
    { question: "a", equals: "x" },
    { not: { question: "a", answered: true } },
    { any: [{ question: "a", in: [1, 2] }, { question: "b", contains: "x" }] },
  ]) {
    assert.deepEqual(buildCondition(readCondition(condition)), condition);
  }
  assert.deepEqual(readCondition(undefined), { combinator: "all", rows: [] });
});

test("shapes typed into the JSON text are left to the JSON text, never a script error", () => {
  for (const condition of [
    "x", 5, [], ["x"], { all: "x" }, { any: [null] }, { all: [{ all: [] }] },
    { question: "a", in: "rod" }, { question: null, answered: true }, { question: "a" },
    { not: "x" }, { not: null }, { question: "a", answered: "yes" },
  ]) {
    assert.equal(readCondition(condition), null, JSON.stringify(condition));
  }
});
