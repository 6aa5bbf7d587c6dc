// Does the phone judge answers against a pattern as the server does? The builder's check
// (webapp/questionnaires/check.py, phone_unsafe_construct) must name exactly the patterns for
// which it does not; tests/test_builder.py checks the Python side of the same cases.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { buildDefinition } from "../../static/js/engine/types.js";
import { validateAnswers } from "../../static/js/engine/validate.js";

const { cases } = JSON.parse(readFileSync(new URL("../shared/phone_patterns.json", import.meta.url), "utf-8"));

test("the phone differs from the server exactly on the patterns the check reports", () => {
  for (const { pattern, answers, phone } of cases) {
    const doc = { source_language: "nb", schema: { type: "object",
      properties: { a: { type: "string", title: "A", pattern } } },
    ui: { sections: [{ id: "s", title: "S", items: ["a"] }] } };
    const definition = buildDefinition(doc);
    const differs = Object.entries(answers).some(([answer, accepted]) => {
      const { errors } = validateAnswers(definition, doc, { a: answer }, { complete: false });
      return !errors.some((e) => e.code === "pattern") !== accepted;
    });
    assert.equal(differs ? "differs" : "same", phone, pattern);
  }
});
