/**
 * What the counsellor planned and shared with the participant, from the /api/v1/me the phone
 * keeps sealed (records.js): the next steps and the shared resources, in the participant's
 * language, offline too. Resources open outside the app, in a new tab.
 */
import { S, formatDay, formatMoment } from "../screen.js";
import { el } from "../../engine/dom.js";
import { format } from "../../engine/messages.js";

// A name inside a sentence is isolated, so a right-to-left name cannot reorder the sentence.
const isolated = (text) => `\u2068${text}\u2069`;

/** A plan date (YYYY-MM-DD) as the participant reads dates; a calendar day, not an instant. */
function day(iso) {
  const [year, month, date] = iso.split("-").map(Number);
  return formatDay(new Date(year, month - 1, date));
}

const WHO = { participant: "step_you", counsellor: "step_counsellor", other: "step_other" };

function stepItem(step) {
  const who = S[WHO[step.responsible] ?? "step_other"];
  return el("li", { "data-step": step.id },
    el("p", {}, el("strong", { dir: "auto" }, step.goal), " · ",
      S.step_status?.[step.status] ?? step.status),
    step.action ? el("p", { dir: "auto" }, step.action) : null,
    el("p", { class: "muted" }, who,
      step.due_on ? [" · ", format(S.step_due, { date: day(step.due_on) })] : null));
}

function resourceItem(item) {
  return el("li", {},
    el("a", { href: item.url, target: "_blank", rel: "noopener noreferrer", dir: "auto" },
      item.title, el("span", { class: "visually-hidden" }, ` ${S.new_tab}`)),
    item.description ? [": ", el("span", { dir: "auto" }, item.description)] : null,
    item.note ? el("p", { class: "comment-body", dir: "auto" }, item.note) : null,
    el("p", { class: "muted" }, format(S.shared_by, {
      name: isolated(item.shared_by ?? ""),
      when: formatMoment(item.shared_at),
    })));
}

/** The participant's next steps, or nothing when the counsellor shows them none. */
export function stepsSection(me) {
  if (!me?.next_steps?.length) return null;
  return el("section", { class: "plan-steps", "aria-labelledby": "steps-heading" },
    el("h2", { id: "steps-heading" }, S.steps_heading),
    el("ol", { class: "plan" }, me.next_steps.map(stepItem)));
}

/** The resources the counsellor shared, newest first, each with its personal note. */
export function resourcesSection(me) {
  if (!me?.shared_resources?.length) return null;
  return el("section", { class: "shared-resources", "aria-labelledby": "shared-heading" },
    el("h2", { id: "shared-heading" }, S.shared_heading),
    el("ul", { class: "resources" }, me.shared_resources.map(resourceItem)));
}
