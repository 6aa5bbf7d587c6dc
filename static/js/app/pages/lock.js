/**
 * The screens shown before anyone's data is open: nobody signed in, the PIN, and a phone that
 * has never had the key. None of them shows anything about a person.
 */
import * as owner from "../owner.js";
import { S, root } from "../screen.js";
import { lockAndLeave } from "../leaving.js";
import { MAX_TRIES, PIN_PATTERN } from "../vault.js";
import { el, show } from "../../engine/dom.js";
import { format } from "../../engine/messages.js";
import { asciiDigits } from "../../engine/types.js";

const joinLink = () => el("p", {}, el("a", { class: "button primary", href: "/join" }, S.sign_in));

/** Nobody is signed in on this phone (or the session ended): say so, and how to come back. */
export function showSignedOut(reason) {
  document.getElementById("sync-bar").hidden = true;
  // The page's menu and its sign-out were the signed-in person's (signed out offline, the
  // page itself stays): nothing of them is left to offer.
  for (const part of document.querySelectorAll("header.site nav, header.site form.leave")) {
    part.hidden = true;
  }
  show(root, el("h1", { tabindex: "-1" }, S.signed_out_title),
    reason ? el("p", { class: "flash warning", role: "alert" }, reason) : null,
    el("p", {}, S.signed_out_here), joinLink());
}

/** Signed in, but the key is not on the phone yet and the server is out of reach. */
export function showNeedsOnline() {
  document.getElementById("sync-bar").hidden = true;
  show(root, el("h1", {}, S.my_questionnaires), el("p", {}, S.offline_first));
}

function pinInput(id, label) {
  return [el("label", { for: id }, label),
    el("input", { id, name: id, type: "password", inputmode: "numeric", pattern: "\\p{Nd}{4,6}",
      minlength: "4", maxlength: "6", autocomplete: "off", required: "" })];
}

function explainWait(until) {
  return format(S.pin_wait, { minutes: Math.max(1, Math.ceil((until - Date.now()) / 60_000)) });
}

/** Ask for the PIN until the data opens; resolves true, or false when the phone signed out. */
export function askForPin() {
  document.getElementById("sync-bar").hidden = true;
  return new Promise((resolve) => {
    const message = el("p", { class: "flash warning", id: "pin-message", role: "alert", hidden: "" });
    const say = (text) => { message.textContent = text; message.hidden = !text; };
    const form = el("form", { class: "pin", novalidate: "" }, pinInput("pin", S.pin_enter),
      el("p", {}, el("button", { type: "submit", class: "primary" }, S.pin_open)));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const pin = asciiDigits(form.elements.pin.value.trim());
      if (!PIN_PATTERN.test(pin)) return say(S.pin_format);
      const button = form.querySelector("button");
      button.disabled = true;
      const tried = await owner.tryPin(pin);
      button.disabled = false;
      form.elements.pin.value = "";
      if (tried.outcome === "open") return resolve(true);
      if (tried.outcome === "too-many") {
        await lockAndLeave();
        showSignedOut(S.pin_too_many);
        return resolve(false);
      }
      if (tried.outcome === "signed-out") { // the session ended on the server meanwhile
        await lockAndLeave({ sessionOver: true });
        showSignedOut(S.session_ended);
        return resolve(false);
      }
      if (tried.outcome === "wait") return say(explainWait(tried.waitUntil));
      const left = format(S.pin_tries_left, { count: MAX_TRIES - tried.failures });
      return say(tried.waitUntil > Date.now() ? `${S.pin_wrong} ${explainWait(tried.waitUntil)} ${left}`
        : `${S.pin_wrong} ${left}`);
    });
    const forgot = async () => {
      await lockAndLeave();
      showSignedOut(S.pin_forgotten);
      resolve(false);
    };
    show(root, el("h1", { tabindex: "-1" }, S.pin_title), message, form,
      el("details", { class: "pin-forgot" }, el("summary", {}, S.pin_forgot),
        el("p", {}, S.pin_forgot_explain),
        el("button", { type: "button", onclick: forgot }, S.sign_out)));
    form.elements.pin.focus();
  });
}

/** The PIN settings: set one, change it, or remove it (online: the server gives the key). */
export async function showPinSettings() {
  const has = await owner.hasPin();
  const message = el("p", { class: "flash", id: "pin-message", role: "status", hidden: "" });
  const say = (text, kind = "info") => {
    message.textContent = text;
    message.className = `flash ${kind}`;
    message.hidden = !text;
  };
  const form = el("form", { class: "pin", novalidate: "" },
    pinInput("new-pin", S.pin_new), pinInput("new-pin-again", S.pin_again),
    el("p", {}, el("button", { type: "submit", class: "primary" }, has ? S.pin_change : S.pin_set)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // ۴۷۱۱ typed on a Persian keyboard is the PIN 4711: the same PIN whatever the keyboard.
    const typed = (name) => asciiDigits(form.elements[name].value.trim());
    const [pin, again] = [typed("new-pin"), typed("new-pin-again")];
    if (!PIN_PATTERN.test(pin)) return say(S.pin_format, "warning");
    if (pin !== again) return say(S.pin_mismatch, "warning");
    try {
      await owner.setPin(pin);
    } catch {
      return say(S.pin_online, "warning");
    }
    form.reset();
    await showPinSettings();
    return document.getElementById("pin-message") && sayAfterRedraw(S.pin_saved);
  });
  const remove = async () => {
    try {
      await owner.removePin();
    } catch {
      return say(S.pin_online, "warning");
    }
    await showPinSettings();
    return sayAfterRedraw(S.pin_removed);
  };
  show(root, el("h1", { tabindex: "-1" }, S.pin_title), message,
    el("p", {}, has ? S.pin_is_set : S.pin_explain), form,
    has ? el("p", {}, el("button", { type: "button", id: "remove-pin", onclick: remove }, S.pin_remove)) : null,
    el("p", { class: "link-line" }, el("a", { href: "#/" }, S.my_questionnaires)));
  root.querySelector("h1").focus();
}

function sayAfterRedraw(text) {
  const message = document.getElementById("pin-message");
  message.textContent = text;
  message.className = "flash info";
  message.hidden = false;
}
