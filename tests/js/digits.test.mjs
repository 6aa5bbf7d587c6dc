import { test } from "node:test";
import assert from "node:assert/strict";
import { asciiDigits } from "../../static/js/engine/types.js";

test("digits of Arabic, Persian and other scripts become 0-9", () => {
  assert.equal(asciiDigits("٤٧١١"), "4711"); // Arabic-Indic
  assert.equal(asciiDigits("۴۷۱۱"), "4711"); // Persian (Extended Arabic-Indic)
  assert.equal(asciiDigits("०९"), "09"); // Devanagari
  assert.equal(asciiDigits("4711"), "4711");
  assert.equal(asciiDigits("a۱b"), "a1b"); // what is no digit stays
});
