/** Notes shown on several pages. */
import { S } from "../screen.js";
import { el } from "../../engine/dom.js";

export function followUpNote(record) {
  return el("div", { class: "flash info follow-up" },
    el("p", {}, S.follow_up), el("p", {}, el("bdi", {}, record.followUp)));
}

/** What the server said, and the ways forward: change and send again, or take its version. */
