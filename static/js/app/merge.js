/**
 * The three-way merge of answer sets, question by question: the same rule as
 * webapp/services/merge.py (shared cases in tests/shared/merge_cases.json). The phone uses it
 * to replay its newer edits on top of what the server has (rebase).
 */
import { isEmpty } from "../engine/conditions.js";

const value = (answers, key) => (isEmpty(answers?.[key]) ? null : answers[key]);
// JSON with sorted keys: the server (PostgreSQL's JSONB) may return keys in another order.
const canonical = (v) => JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x));
export const same = (a, b) => canonical(a) === canonical(b);

/** Return { merged, clashes }: one side's change wins; both changed differently: mine. */
export function merge(base, theirs, mine) {
  const merged = {};
  const clashes = [];
  const keys = [...new Set([...Object.keys(base ?? {}), ...Object.keys(theirs ?? {}),
    ...Object.keys(mine ?? {})])].sort();
  for (const key of keys) {
    const [b, t, m] = [value(base, key), value(theirs, key), value(mine, key)];
    let chosen = t;
    if (!same(m, b)) {
      chosen = m;
      if (!same(t, b) && !same(t, m)) clashes.push(key);
    }
    if (chosen !== null) merged[key] = chosen;
  }
  return { merged, clashes };
}
