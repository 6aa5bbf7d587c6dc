/**
 * The visibility-condition pickers: an earlier question, an operator offered for its type,
 * one or several of its options or a value, combined with "all"/"any" and "not".
 * A condition is never typed as code; the pickers build the JSON the engine evaluates.
 */

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Split a condition into {combinator, rows: [{not, question, operator, value}]}, or null when
 * the pickers cannot show it (a shape typed into the JSON text: it is changed there).
 */
export function readCondition(condition) {
  if (condition == null) return { combinator: "all", rows: [] };
  if (!isObject(condition)) return null;
  const combinator = condition.all ? "all" : condition.any ? "any" : "all";
  const parts = condition.all ?? condition.any ?? [condition];
  if (!Array.isArray(parts)) return null;
  const rows = [];
  for (const part of parts) {
    if (!isObject(part)) return null;
    const negated = "not" in part;
    const leaf = negated ? part.not : part;
    if (!isObject(leaf) || typeof leaf.question !== "string" || !leaf.question) return null;
    const operator = ["equals", "in", "contains", "answered"].find((k) => k in leaf);
    if (!operator || (operator === "in" && !Array.isArray(leaf.in))) return null;
    if (operator === "answered" && typeof leaf.answered !== "boolean") return null;
    rows.push({ not: negated, question: leaf.question, operator, value: leaf[operator] });
  }
  return { combinator, rows };
}

/** Build the condition JSON from picker rows (null when there are none). */
export function buildCondition({ combinator, rows }) {
  const parts = rows.map((r) => {
    const leaf = { question: r.question, [r.operator]: r.value };
    return r.not ? { not: leaf } : leaf;
  });
  if (!parts.length) return null;
  return parts.length === 1 ? parts[0] : { [combinator]: parts };
}

// Questions whose answer is typed (a text, a date, a number) or picked from a long list: a new
// rule on one asks whether it is answered, which holds for someone. ("equal to" an empty text
// never holds: an empty answer is no answer.) A choice starts at its first option.
const PICKED = new Set(["choice", "multichoice", "yesno"]);

/** The operator a new rule on question starts with. */
export function defaultOperator(ctx, question) {
  const widget = ctx.widgetOf(question);
  const operators = ctx.C.operators[widget] ?? ["answered"];
  return !PICKED.has(widget) && operators.includes("answered") ? "answered" : operators[0];
}

/** A new rule on question, one that holds for some answer. */
export function newRule(ctx, question) {
  const operator = defaultOperator(ctx, question);
  return { not: false, question, operator, value: defaultValue(ctx, question, operator) };
}

function defaultValue(ctx, question, operator) {
  const widget = ctx.widgetOf(question);
  if (operator === "answered") return true;
  const first = ctx.optionsOf(question)[0]?.const;
  if (widget === "yesno") return operator === "in" ? [true] : true;
  if (widget === "choice" || widget === "multichoice") return operator === "in" ? [first] : first;
  if (widget === "number" || widget === "scale") return operator === "in" ? [0] : 0;
  return "";
}

/** Return the picker fieldset for a condition; save(condition) is called on every change. */
export function conditionControls(condition, earlier, ctx, save) {
  const { S, C, el, field } = ctx;
  const parsed = readCondition(condition);
  const box = el("fieldset", { class: "condition" }, el("legend", {}, S.condition));
  if (parsed === null) {
    box.append(el("p", {}, S.condition_json));
    return box;
  }
  if (!earlier.length) {
    box.append(el("p", {}, S.condition_none));
    if (parsed.rows.length) {
      box.append(el("button", { type: "button", id: "c-clear", onclick: () => save(null) }, S.condition_remove_all));
    }
    return box;
  }
  const commit = () => save(buildCondition(parsed));
  if (parsed.rows.length > 1) {
    box.append(field(S.condition_combine, el("select", { id: "c-combinator", onchange: (e) => { parsed.combinator = e.target.value; commit(); } },
      el("option", { value: "all", selected: parsed.combinator === "all" }, S.condition_all),
      el("option", { value: "any", selected: parsed.combinator === "any" }, S.condition_any))));
  }
  parsed.rows.forEach((row, i) => {
    const widget = ctx.widgetOf(row.question);
    const operators = C.operators[widget] ?? ["answered"];
    const options = ctx.optionsOf(row.question);
    let valueControl;
    if (row.operator === "answered") {
      valueControl = el("select", { id: `c-${i}-value`, onchange: (e) => { row.value = e.target.value === "true"; commit(); } },
        el("option", { value: "true", selected: row.value === true }, S.is_answered),
        el("option", { value: "false", selected: row.value === false }, S.is_not_answered));
    } else if (widget === "choice" || widget === "multichoice" || widget === "yesno") {
      const choices = widget === "yesno" ? [[true, S.yes], [false, S.no]]
      : options.filter(Boolean).map((o) => [o.const, typeof o.title === "string" && o.title ? o.title : String(o.const)]);
      if (row.operator === "in") {
        const chosen = new Set((row.value ?? []).map((v) => JSON.stringify(v)));
        valueControl = el("fieldset", { id: `c-${i}-value` }, el("legend", {}, S.condition_values),
          choices.map(([v, label], k) => el("div", { class: "choice" },
            el("input", { type: "checkbox", id: `c-${i}-value-${k}`, checked: chosen.has(JSON.stringify(v)), onchange: (e) => {
              if (e.target.checked) chosen.add(JSON.stringify(v)); else chosen.delete(JSON.stringify(v));
              row.value = choices.map(([x]) => x).filter((x) => chosen.has(JSON.stringify(x)));
              if (row.value.length) commit();
            } }), " ", el("label", { for: `c-${i}-value-${k}` }, label))));
      } else {
        valueControl = el("select", { id: `c-${i}-value`, onchange: (e) => { row.value = choices[Number(e.target.value)][0]; commit(); } },
          choices.map(([v, label], k) => el("option", { value: String(k), selected: JSON.stringify(v) === JSON.stringify(row.value) }, label)));
      }
    } else {
      const numeric = widget === "number" || widget === "scale";
      valueControl = el("input", { id: `c-${i}-value`, type: numeric ? "number" : "text",
        value: Array.isArray(row.value) ? row.value.join(", ") : String(row.value ?? ""), onchange: (e) => {
          const parse = (t) => (numeric ? Number(t) : t);
          row.value = row.operator === "in" ? e.target.value.split(",").map((t) => parse(t.trim())) : parse(e.target.value);
          commit();
        } });
    }
    const rowBox = el("fieldset", { class: "condition-row" }, el("legend", {}, `${S.condition_rule} ${i + 1}`),
      el("div", { class: "choice" }, el("input", { type: "checkbox", id: `c-${i}-not`, checked: row.not,
        onchange: (e) => { row.not = e.target.checked; commit(); } }), " ", el("label", { for: `c-${i}-not` }, S.condition_not)),
      field(S.condition_question, el("select", { id: `c-${i}-question`, onchange: (e) => {
        row.question = e.target.value;
        const ops = C.operators[ctx.widgetOf(row.question)] ?? ["answered"];
        // "Answered or not" carries over; another operator only to a question with options.
        const keep = ops.includes(row.operator) && (row.operator === "answered" || PICKED.has(ctx.widgetOf(row.question)));
        if (!keep) row.operator = defaultOperator(ctx, row.question);
        row.value = defaultValue(ctx, row.question, row.operator);
        commit();
      } }, earlier.map((q) => el("option", { value: q, selected: q === row.question }, ctx.titleOf(q))))),
      field(S.condition_operator, el("select", { id: `c-${i}-operator`, onchange: (e) => {
        row.operator = e.target.value;
        row.value = defaultValue(ctx, row.question, row.operator);
        commit();
      } }, operators.map((op) => el("option", { value: op, selected: op === row.operator }, S[`op_${op}`])))),
      el("div", { class: "field" }, row.operator === "in" && valueControl.tagName === "FIELDSET" ? null : el("label", { for: `c-${i}-value` }, S.condition_value), valueControl),
      el("button", { type: "button", id: `c-${i}-remove`, onclick: () => { parsed.rows.splice(i, 1); commit(); } }, format(S.condition_remove, i + 1)));
    box.append(rowBox);
  });
  box.append(el("button", { type: "button", id: "c-add", onclick: () => {
    parsed.rows.push(newRule(ctx, earlier[earlier.length - 1]));
    commit();
  } }, S.condition_add));
  return box;
}

const format = (s, n) => s.replace("%(number)s", String(n));
