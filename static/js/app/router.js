/**
 * Which page the hash names: #/ (the list), #/r/<id>/<page>, #/r/<id>/<page>?check=<field> (the
 * page with what sending would refuse marked and the focus on that field: a link from the
 * summary, as the server's ?check=1#<field>), #/r/<id>/summary, #/pin (the PIN
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

/** Whether a hash names a page of the app (#/...), or the list (none). */
const isRoute = (hash) => hash === "" || hash === "#" || hash.startsWith("#/");

/**
 * Draw the page the hash names, unless it names a place on the page (see followInPageLink).
 * The other pages take the focus to their heading themselves; the list, redrawn after every
 * sync, does not, so it is done here, where the participant went to it (after sending, the
 * list stayed scrolled down with its heading off the screen).
 */
export async function hashChanged() {
  if (!isRoute(location.hash)) return;
  await route();
  if (currentView === "list") {
    window.scrollTo(0, 0);
    document.querySelector("#app h1")?.focus({ preventScroll: true });
  }
}

const FOCUSABLE = "input, select, textarea, button, [tabindex]";

/**
 * A link to a place on the page (the skip link's #main, the error summary's #<question>)
 * moves focus there and leaves the address as it is: the address names the app's page, and
 * a hash that names none would draw the list, out of the questionnaire.
 */
export function followInPageLink(event) {
  const link = event.target.closest?.("a[href^='#']");
  const href = link?.getAttribute("href") ?? "";
  if (!link || isRoute(href)) return;
  event.preventDefault();
  const target = document.getElementById(decodeURIComponent(href.slice(1)));
  if (!target) return;
  const focus = target.matches(FOCUSABLE) ? target : target.querySelector(FOCUSABLE) ?? target;
  if (!focus.matches(FOCUSABLE)) focus.setAttribute("tabindex", "-1");
  focus.focus();
}

/** The address of a response's page opened at a field (its control's id), see route. */
export const checkAt = (id, page, field) => `#/r/${id}/${page}?check=${encodeURIComponent(field)}`;

// The field a page's address names to check (checkAt), or null.
function checked(query) {
  try {
    return query ? decodeURIComponent(query) : null;
  } catch {
    return null; // not encoded as checkAt does: the page without a field
  }
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
  const match = location.hash.match(/^#\/r\/([0-9a-f-]{36})\/(\d+|summary)(?:\?check=([^?#]+))?$/);
  if (!match) {
    currentView = "list";
    return views.list();
  }
  if (match[2] === "summary") {
    currentView = "summary";
    return views.summary(match[1]);
  }
  currentView = "page"; // never redrawn behind the participant's back while typing
  return views.page(match[1], Number(match[2]), checked(match[3]));
}
