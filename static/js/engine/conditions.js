/** Visibility conditions, mirroring conditions.py (both run tests/shared/conditions_cases.json). */
import { own } from "./pointers.js";

/** Return whether an answer counts as not given (null, "", [], {}). */
export const isEmpty = (v) =>
  v == null || v === "" || (typeof v === "object" && Object.keys(v).length === 0);

// Python's bool() of a JSON value.
const truthy = (v) => !isEmpty(v) && v !== false && v !== 0;

/** Compare like ===, so true is not 1 (JSON numbers make 2 and 2.0 the same); absent is null. */
export const same = (a, b) => (a ?? null) === (b ?? null);

/** Return whether condition holds for answers (absent keys are unanswered). */
export function evaluate(c, answers) {
  if (Object.hasOwn(c, "all")) return c.all.every((x) => evaluate(x, answers));
  if (Object.hasOwn(c, "any")) return c.any.some((x) => evaluate(x, answers));
  if (Object.hasOwn(c, "not")) return !evaluate(c.not, answers);
  const value = own(answers, c.question);
  if (Object.hasOwn(c, "equals")) return same(value, c.equals);
  if (Object.hasOwn(c, "in")) return c.in.some((v) => same(value, v));
  if (Object.hasOwn(c, "contains")) return Array.isArray(value) && value.some((v) => same(v, c.contains));
  if (Object.hasOwn(c, "answered")) return isEmpty(value) !== truthy(c.answered);
  throw new Error(`unknown condition ${JSON.stringify(c)}`);
}

/** Return every question id a condition refers to, in Python's order. */
export function referencedQuestions(c) {
  if (!c || typeof c !== "object" || Array.isArray(c)) return [];
  const found = [];
  for (const key of ["all", "any"]) {
    if (Array.isArray(c[key])) for (const inner of c[key]) found.push(...referencedQuestions(inner));
  }
  if (Object.hasOwn(c, "not")) found.push(...referencedQuestions(c.not));
  if (typeof c.question === "string") found.push(c.question);
  return found;
}

/** Return {question id: the visibility condition of its section}, for every item of every section. */
export function sectionConditions(definition) {
  const found = {};
  for (const s of definition.sections) for (const id of s.items) found[id] = s.visibleIf;
  return found;
}

/** Return the conditions that decide whether question id is shown: its section's and its own. */
export const conditionsOf = (definition, id, sections = sectionConditions(definition)) =>
  [own(sections, id), definition.questions[id].ui.visible_if].filter(truthy);

/**
 * Return shown(id) for answers: whether question id is shown, memoized, so asking about a few
 * questions evaluates only their conditions and those of the questions these refer to.
 */
export function visibility(definition, answers, sections = sectionConditions(definition)) {
  const { questions } = definition;
  const memo = new Map();
  const shown = (id) => {
    if (!memo.has(id)) {
      memo.set(id, false); // a cycle (rejected by the checker) must not recurse forever
      const conditions = conditionsOf(definition, id, sections);
      const effective = {};
      for (const c of conditions) {
        for (const ref of referencedQuestions(c)) {
          if (Object.hasOwn(questions, ref) && shown(ref)) effective[ref] = own(answers, ref);
        }
      }
      memo.set(id, conditions.every((c) => evaluate(c, effective)));
    }
    return memo.get(id);
  };
  return shown;
}

/**
 * Return the Set of top-level question ids shown for answers. A question is hidden when its own
 * or its section's condition is false; answers to hidden questions count as not given, so hiding
 * cascades along chains of conditions.
 */
export function visibleQuestions(definition, answers) {
  return new Set(Object.keys(definition.questions).filter(visibility(definition, answers)));
}

/** Return whether a section is shown for answers, given the Set of shown questions. */
export function sectionShown(section, answers, visible) {
  if (!truthy(section.visibleIf)) return true;
  const effective = Object.fromEntries(Object.entries(answers).filter(([k]) => visible.has(k)));
  return evaluate(section.visibleIf, effective);
}

/** Return a section's shown items (questions and info blocks) in order, like fill/pages.py. */
export function shownItems(definition, section, answers, visible = visibleQuestions(definition, answers)) {
  if (!sectionShown(section, answers, visible)) return [];
  return section.items.filter((i) => visible.has(i) || Object.hasOwn(definition.info, i));
}
