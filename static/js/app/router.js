/**
 * Which page the hash names: #/ (the list), #/r/<id>/<page>, #/r/<id>/summary, #/pin (the PIN
 * settings), #/sign-out, #/inbox, #/inbox/<notification id> (where a tapped notification
 * lands). The pages are registered by main.js, so this module knows no page and no page imports main.
 */
import { saveNow } from "./saving.js";

const views = {};
export let currentView = "list";

/** Register the functions that draw the list, a page, and a summary. */
export function registerViews(drawers) {
  Object.assign(views, drawers);
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

export async function route() {
  await saveNow(); // nothing typed is left behind when the page changes
  if (location.hash === "#/pin" || location.hash === "#/sign-out") {
    currentView = location.hash.slice(2);
    return views[currentView]();
  }
  if (location.hash === "#/inbox") {
    currentView = "inbox";
    return views.inbox();
  }
  const entry = location.hash.match(/^#\/inbox\/([A-Za-z0-9_-]{22})$/);
  if (entry) {
    currentView = "inbox-entry";
    return views.inboxEntry(entry[1]);
  }
  const match = location.hash.match(/^#\/r\/([0-9a-f-]{36})\/(\d+|summary)$/);
  if (!match) {
    currentView = "list";
    return views.list();
  }
  if (match[2] === "summary") {
    currentView = "summary";
    return views.summary(match[1]);
  }
  currentView = "page"; // never redrawn behind the participant's back while typing
  return views.page(match[1], Number(match[2]));
}
