/** Notes shown on several pages. */
import { S, formatMoment } from "../screen.js";
import { el } from "../../engine/dom.js";
import { format } from "../../engine/messages.js";

export function followUpNote(record) {
  return el("div", { class: "flash info follow-up" },
    el("p", {}, S.follow_up), el("p", {}, el("bdi", {}, record.followUp)));
}

/** What the server said, and the ways forward: change and send again, or take its version. */

/** A draft the server moved to a newer version: say so, and how many questions are new. */
export function movedNote(record) {
  if (!record.newQuestions?.length || record.status !== "draft") return null;
  return el("p", { class: "flash info moved" }, format(S.moved, { count: record.newQuestions.length }));
}

const when = formatMoment;

/**
 * What the counsellor wrote to the participant about these responses, oldest first: on the
 * list under a questionnaire's heading (h3), on a response's summary under its page's (h2).
 */
export function messagesNote(records, heading = "h3") {
  const messages = records.flatMap((r) => r.messages ?? [])
    .sort((a, b) => a.at.localeCompare(b.at));
  if (!messages.length) return null;
  return el("section", { class: "messages" },
    el(heading, {}, S.messages_heading),
    el("ul", { class: "thread" }, messages.map((m) => el("li", { class: "comment message" },
      el("p", { class: "comment-meta" }, el("bdi", {}, m.author), " · ", when(m.at)),
      el("p", { class: "comment-body", dir: "auto" }, m.body)))));
}

/** Who of the staff read the participant's data, and when (from /api/v1/me). */
export function readsNote(reads, titleOf) {
  const line = (read) => {
    if (read.what === "response") {
      const title = titleOf(read.response);
      if (title) return format(S.read_response, { name: read.by, title });
    }
    return format(read.what === "export" ? S.read_export : S.read_page, { name: read.by });
  };
  return el("section", { class: "reads", "aria-labelledby": "reads-heading" },
    el("h2", { id: "reads-heading" }, S.reads_heading),
    reads?.length
      ? el("ul", {}, reads.map((read) => el("li", {}, `${when(read.at)}: `, line(read))))
      : el("p", {}, S.no_reads));
}
