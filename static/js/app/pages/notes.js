/** Notes shown on several pages. */
import { S } from "../screen.js";
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
