/**
 * Plain-language messages for answer errors. webapp/rendering/messages.py is the source: the app
 * gets its sentences translated (client_strings "messages"); this English table and the rules of
 * messageFor are held to it by tests/shared/message_cases.json.
 */

/** The English sentences (the msgids of ANSWER_MESSAGES); pass translated ones keyed the same way. */
export const MESSAGES = {
  required: "Please answer this question.",
  type_number: "Please write a number, for example 3.",
  digits: "Please write a number of at most %(limit)s digits.",
  type_date: "Please give a date.",
  type: "This answer has the wrong form. Please answer again.",
  format: "Please give a real date, for example 2024-03-31.",
  minimum: "The number must be %(limit)s or more.",
  maximum: "The number must be %(limit)s or less.",
  multiple_of: "The number must be a multiple of %(limit)s.",
  min_length: "Please write at least %(limit)s characters.",
  max_length: "Please write at most %(limit)s characters.",
  min_items: "Please choose or add at least %(limit)s.",
  max_items: "Please choose or add at most %(limit)s.",
  pattern: "This answer is not in the expected form.",
  choice: "Please choose one of the options.",
  unique: "Each option can be chosen only once.",
  unknown: "This is not a question in this questionnaire.",
  invalid: "This answer is not valid. Please check it.",
};

/** Replace %(name)s placeholders, as gettext does with keyword arguments. */
export const format = (s, params = {}) =>
  s.replace(/%\((\w+)\)s/g, (m, k) => (Object.hasOwn(params, k) ? String(params[k]) : m));

/** Return one sentence telling the person what to change (question may be undefined). */
export function messageFor(error, question, strings = MESSAGES) {
  const widget = question?.widget;
  let key = error.code;
  if (key === "type" && (widget === "number" || widget === "date")) key = `type_${widget}`;
  else if (widget === "scale" && (key === "minimum" || key === "maximum")) key = "choice";
  else if (!Object.hasOwn(MESSAGES, key) || key.startsWith("type_")) key = "invalid";
  return format(strings[key] ?? MESSAGES[key], { limit: error.params?.limit });
}
