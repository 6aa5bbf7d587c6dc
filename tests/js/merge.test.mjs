// The phone's merge (static/js/app/merge.js) against the cases the server's merge passes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { merge } from "../../static/js/app/merge.js";

const { cases } = JSON.parse(readFileSync(new URL("../shared/merge_cases.json", import.meta.url), "utf-8"));

for (const c of cases) {
  test(`merge: ${c.name}`, () => {
    const { merged, clashes } = merge(c.base, c.theirs, c.mine);
    assert.deepEqual(merged, c.merged);
    assert.deepEqual(clashes, c.clashes);
  });
}
