/** My questionnaires: what to start, continue, fix, or read, with each one's sync state. */
import * as db from "../db.js";
import { unreadCount } from "../inbox.js";
import * as records from "../records.js";
import { documentFor } from "../documents.js";
import { currentView, go } from "../router.js";
import { scheduleSync } from "../sending.js";
import { showSaveProblem } from "../status.js";
import { S, formatMoment, qtext, root } from "../screen.js";
import { leaveEditing } from "./editor.js";
import { followUpNote, messagesNote, movedNote, readsNote } from "./notes.js";
import { refusedBecause } from "./summary.js";
import { resourcesSection, stepsSection } from "./plan.js";
import { el, show } from "../../engine/dom.js";
import { format } from "../../engine/messages.js";

/**
 * Answers from this phone that did not fit the newer version the draft moved to: kept on the
 * phone, and read on its summary.
 */
function keptNote(record) {
  const kept = records.keptCopies(record)
    .some((copy) => copy.version !== record.version && Object.keys(copy.answers ?? {}).length);
  if (!kept) return null;
  return el("p", { class: "flash info kept" }, S.moved_kept, " ",
    el("a", { href: `#/r/${record.id}/summary` }, S.check_answers));
}

function stateOf(record, queued) {
  if (record.problem) return refusedBecause(record.problem);
  if (queued.has(record.id)) return navigator.onLine ? S.saved_here : S.waiting;
  if (record.status === "submitted" && record.receivedAt) {
    return format(S.sent_at, { when: formatMoment(record.receivedAt) });
  }
  return S.draft;
}

/** Questionnaires being started now: a second tap on Start must not start another. */
const starting = new Set();

/**
 * Start a response to a questionnaire, or open the draft this phone already has of it (a
 * double tap on Start or "Answer again" made two drafts, one of which the list never showed).
 */
async function startResponse(slug, version) {
  if (starting.has(slug)) return undefined;
  starting.add(slug);
  try {
    const draft = (await records.responses()).find((r) => r.slug === slug && r.status === "draft");
    if (draft) return go(`#/r/${draft.id}/1`);
    const id = crypto.randomUUID();
    try {
      await records.createResponse({ id, slug, version });
    } catch {
      return showSaveProblem(true);
    }
    scheduleSync();
    return go(`#/r/${id}/1`);
  } finally {
    starting.delete(slug);
  }
}

/**
 * Draw the list unless it would look exactly as it does: it is redrawn after every refresh and
 * sync, and replacing a button the participant is about to tap loses the tap.
 */
function showIfChanged(...children) {
  if (currentView !== "list") return; // the participant went on while the list was read
  const next = document.createElement("div");
  show(next, ...children);
  if (next.innerHTML !== root.innerHTML) root.replaceChildren(...next.childNodes);
}

export async function showList() {
  leaveEditing();
  const me = await records.me();
  if (!me) {
    return show(root, el("h1", {}, S.my_questionnaires), el("p", {}, S.offline_first));
  }
  const all = await records.responses();
  const unread = await unreadCount();
  const queued = new Set((await db.getAll("outbox")).map((q) => q.id));
  const cards = [];
  const titles = new Map();
  for (const q of me.questionnaires) {
    const body = await documentFor(q.slug, q.version);
    if (!body) continue;
    const title = qtext(body, "/title");
    titles.set(q.slug, typeof title === "string" ? title : title.textContent);
    const mine = all.filter((r) => r.slug === q.slug);
    const draft = mine.find((r) => r.status === "draft");
    cards.push(el("li", { class: "card", "data-slug": q.slug },
      el("h2", {}, qtext(body, "/title")),
      messagesNote(mine),
      ...mine.filter((r) => r.status === "submitted").map((r) =>
        el("p", { class: "status", "data-response": r.id }, stateOf(r, queued), " ",
          el("a", { href: `#/r/${r.id}/summary` }, S.check_answers))),
      draft
        ? [draft.followUp ? followUpNote(draft) : null, movedNote(draft), keptNote(draft),
          el("p", { class: "status draft", "data-response": draft.id }, stateOf(draft, queued),
            draft.problem ? [" ", el("a", { href: `#/r/${draft.id}/summary` }, S.fix)] : null),
          el("a", { class: "button primary", href: `#/r/${draft.id}/1` }, S.continue)]
        : el("button", { type: "button", class: "primary",
          onclick: () => startResponse(q.slug, q.version) },
        mine.length ? S.again : S.start)));
  }
  showIfChanged(el("h1", { tabindex: "-1" }, S.my_questionnaires),
    el("p", { class: "inbox-link" }, el("a", { href: "#/inbox" }, S.inbox_title,
      unread ? el("span", { class: "badge" }, format(S.inbox_unread, { count: unread })) : null)),
    cards.length ? el("ul", { class: "cards" }, cards) : el("p", {}, S.no_questionnaires),
    stepsSection(me),
    resourcesSection(me),
    readsNote(me.reads, (id) => titles.get(all.find((r) => r.id === id)?.slug)),
    el("ul", { class: "link-list phone-settings" },
      el("li", {}, el("a", { href: "#/pin" }, S.pin_link)),
      el("li", {}, el("a", { href: "/api/v1/me/export", download: "loype-my-data.json" }, S.my_data))));
}
