// Where the links of an error summary lead (engine/render.js controlId and errorTarget): a
// question drawn as a set of options is a fieldset, which
// takes no focus, so its link leads to the first option, as the server's pages do
// (fields.control_id, tests/test_choice_error_links.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { asDrawn, controlId, errorTarget } from "../../static/js/engine/render.js";
import { buildDefinition } from "../../static/js/engine/types.js";

const options = (...values) => values.map((v) => ({ const: v, title: v }));
const doc = {
  format: "loype-questionnaire/1", slug: "links", title: "Links", audience: "participant",
  source_language: "nb", languages: ["nb"],
  schema: {
    $schema: "https://json-schema.org/draft/2020-12/schema", type: "object",
    additionalProperties: false,
    properties: {
      goal: { type: "string", title: "Mål", oneOf: options("work", "school", "other") },
      household: { type: "array", title: "Husstand", uniqueItems: true,
        items: { anyOf: options("partner", "children") } },
      licence: { type: "boolean", title: "Førerkort?" },
      confidence: { type: "integer", title: "Hvor sikker?", minimum: 1, maximum: 5 },
      count: { type: "integer", title: "Antall", minimum: 0 },
      country: { type: "string", title: "Land", pattern: "^[A-Z]{2}$" },
      educations: { type: "array", title: "Utdanning", items: { type: "object",
        additionalProperties: false,
        properties: {
          level: { type: "string", title: "Nivå", oneOf: options(..."abcdefghi") }, // 9: a drop-down
          completed: { type: "boolean", title: "Fullført?" },
          documentation: { type: "string", title: "Papirer?", oneOf: options("yes", "no") },
        } } },
      languages: { type: "array", title: "Språk", items: { type: "object",
        additionalProperties: false,
        properties: { spoken: { type: "boolean", title: "Snakker?" } } } },
    },
  },
  ui: {
    sections: [{ id: "main", title: "Alt", items: ["goal", "household", "licence", "confidence",
      "count", "country", "educations", "languages"] }],
    questions: {
      goal: { widget: "choice" }, household: { widget: "multichoice" }, licence: { widget: "yesno" },
      confidence: { widget: "scale" }, count: { widget: "number" }, country: { widget: "country" },
      educations: { widget: "group", items: { level: { widget: "choice" },
        completed: { widget: "yesno" }, documentation: { widget: "choice" } } },
      languages: { widget: "group", items: { spoken: { widget: "yesno" } } },
    },
  },
};
const definition = buildDefinition(doc);
const { questions } = definition;
const educations = questions.educations;
const child = (id) => educations.children.find((c) => c.id === id);

test("a set of options leads to its first option, any other field to itself", () => {
  assert.equal(controlId(questions.goal, "goal"), "goal-0"); // radio buttons
  assert.equal(controlId(questions.household, "household"), "household-0"); // check boxes
  assert.equal(controlId(questions.licence, "licence"), "licence-0"); // yes/no
  assert.equal(controlId(questions.confidence, "confidence"), "confidence-0"); // a scale
  assert.equal(controlId(questions.count, "count"), "count"); // a number
  assert.equal(controlId(questions.country, "country"), "country"); // a drop-down
  assert.equal(controlId(child("level"), "educations-2-level"), "educations-2-level"); // 9 options
  assert.equal(controlId(child("documentation"), "educations-2-documentation"), "educations-2-documentation-0");
  assert.equal(controlId(child("completed"), "educations-2-completed"), "educations-2-completed-0");
  // A whole group: the first field of its first entry.
  assert.equal(controlId(educations, "educations"), "educations-0-level");
  assert.equal(controlId(questions.languages, "languages"), "languages-0-spoken-0");
});

test("an error's path leads to the control the page draws it with", () => {
  const answers = { educations: ["junk", { level: "a" }, { completed: "maybe" }] };
  assert.equal(errorTarget(definition, answers, "/goal"), "goal-0");
  assert.equal(errorTarget(definition, answers, "/count"), "count");
  // Item 2 is the page's second entry: item 0 is no object, and is not drawn.
  assert.equal(errorTarget(definition, answers, "/educations/2/completed"), "educations-1-completed-0");
  assert.equal(errorTarget(definition, answers, "/educations/1/level"), "educations-0-level");
  // The item that is not drawn, a field the group has not, an item past the end: the group.
  for (const path of ["/educations/0/completed", "/educations/1/colour", "/educations/7/completed",
    "/educations"]) {
    assert.equal(errorTarget(definition, answers, path), "educations-0-level", path);
  }
  assert.equal(errorTarget(definition, answers, "/no_such_question"), null);
  assert.equal(errorTarget(definition, answers, "/constructor"), null);
});

test("errors in stored answers are numbered by the entries the page draws", () => {
  // The page's error summary said "entry 3" for the second entry on the screen: item 0 is no
  // object and is not drawn, and the stored item's place was taken for the entry's number.
  const answers = { educations: ["junk", { level: "a" }, { completed: "maybe" }], count: -1 };
  const errors = [
    { path: "/educations/2/completed", code: "type" },
    { path: "/educations/1/level", code: "enum" },
    { path: "/educations/0", code: "type" }, // the item not drawn: left to the group
    { path: "/count", code: "minimum" },
  ];
  assert.deepEqual(asDrawn(definition, answers, errors).map((e) => e.path),
    ["/educations/1/completed", "/educations/0/level", "/educations/0", "/count"]);
  assert.deepEqual(asDrawn(definition, answers, errors).map((e) => e.code),
    ["type", "enum", "type", "minimum"]);
  // Nothing to renumber: the same errors.
  const plain = { educations: [{ level: "a" }, { completed: "maybe" }] };
  assert.deepEqual(asDrawn(definition, plain, errors.slice(0, 2)), errors.slice(0, 2));
});
