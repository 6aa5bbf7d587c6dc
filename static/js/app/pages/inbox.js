/**
 * The inbox (#/inbox): every notification, read from the phone (so offline too), newest first,
 * and the switch for notifications on this phone. #/inbox/<id> is where a tapped notification
 * lands: the entry is fetched and marked read, then the page it is about opens.
 */
import { refresh } from "../documents.js";
import * as inbox from "../inbox.js";
import * as push from "../push.js";
import * as records from "../records.js";
import { currentView } from "../router.js";
import { S, formatMoment, root } from "../screen.js";
import { SignedOut } from "../sync.js";
import { el, show } from "../../engine/dom.js";

const when = formatMoment;

/**
 * The app page an entry is about: a response the phone has (its summary, which shows the
 * counsellor's messages about it above the answers), or the list of questionnaires.
 */
async function pageFor(entry) {
  if (entry?.response && (await records.response(entry.response))) return `#/r/${entry.response}/summary`;
  return "#/";
}

function entryItem(entry) {
  return el("li", { class: `card inbox-entry${entry.read_at ? "" : " unread"}`, "data-entry": entry.id },
    entry.read_at ? null : el("p", { class: "badge" }, S.inbox_new),
    el("p", {}, entry.text),
    el("p", { class: "status" }, el("time", { datetime: entry.created_at }, when(entry.created_at))),
    el("a", { class: "button", href: `#/inbox/${entry.id}` }, S.inbox_open));
}

const STATE_TEXT = { on: "push_on", off: "push_off", denied: "push_denied", unsupported: "push_unsupported" };

function pushSection(state, problem) {
  const toggle = async (event) => {
    event.target.disabled = true;
    let next = state;
    let trouble = null;
    try {
      next = state === "on" ? await push.turnOff() : await push.turnOn();
    } catch (error) {
      if (error instanceof SignedOut) return location.reload(); // main.js takes it from there
      trouble = state === "on" ? S.push_off_failed : S.push_failed;
    }
    document.getElementById("push-settings").replaceWith(pushSection(next, trouble));
    return document.getElementById("push-state").focus();
  };
  const canToggle = state === "on" || state === "off";
  return el("section", { id: "push-settings", "aria-labelledby": "push-heading" },
    el("h2", { id: "push-heading" }, S.push_heading),
    el("p", {}, S.push_explain),
    el("p", { id: "push-state", class: "flash info", role: "status", tabindex: "-1",
      "data-state": state }, S[STATE_TEXT[state]]),
    problem ? el("p", { class: "flash warning", role: "alert" }, problem) : null,
    canToggle ? el("p", {}, el("button", { type: "button", id: "push-toggle",
      class: state === "on" ? null : "primary", onclick: toggle },
    state === "on" ? S.push_turn_off : S.push_turn_on)) : null);
}

async function draw() {
  const all = await inbox.entries();
  if (currentView !== "inbox") return;
  const list = all.length ? el("ul", { class: "cards inbox" }, all.map(entryItem))
    : el("p", { class: "inbox-empty" }, S.inbox_empty);
  const existing = root.querySelector("ul.inbox, p.inbox-empty");
  if (existing) { // a redraw after a refresh: the switch and the focus stay as they are
    if (existing.outerHTML !== list.outerHTML) existing.replaceWith(list);
    return;
  }
  // The switch follows once the server has said whether this sign-in gets pushes (push.js):
  // the entries, read from the phone, do not wait for it.
  show(root, el("h1", { tabindex: "-1" }, S.inbox_title), list,
    el("section", { id: "push-settings" }),
    el("p", { class: "link-line" }, el("a", { href: "#/" }, S.my_questionnaires)));
  root.querySelector("h1").focus();
  const state = await push.pushState().catch(() => "unsupported");
  if (currentView !== "inbox") return;
  const placeholder = document.getElementById("push-settings");
  if (placeholder && !placeholder.hasChildNodes()) placeholder.replaceWith(pushSection(state));
}

export async function showInbox() {
  await draw();
  if (!navigator.onLine) return;
  try {
    await inbox.refreshInbox();
  } catch {
    return; // out of reach (or signed out: main.js finds out when it refreshes): the copy stays
  }
  await draw();
}

/**
 * A tapped notification: fetch the entry and what it is about (a message, a reopening: the
 * app may open here before it has asked the server), mark it read, open the page it is about.
 */
export async function openEntry(id) {
  if (navigator.onLine) {
    // Out of reach after all (or signed out: main.js finds out): what the phone has.
    await inbox.refreshInbox().catch(() => null);
    await refresh().catch(() => null);
  }
  const entry = await inbox.markRead(id).catch(() => null);
  if (currentView !== "inbox-entry") return;
  location.replace(entry ? await pageFor(entry) : "#/inbox");
}
