/**
 * A counsellor's notifications in this browser (the inbox page): the same opt-in as on a
 * participant's phone (app/push.js), from their tap only, never on load. The service worker
 * is registered when they turn notifications on: it shows the pushes and opens the inbox when
 * one is clicked. The server says whether this sign-in has a subscription (data-server): a
 * browser still subscribed from an earlier sign-in is "off" until it is handed over again.
 * The texts come translated from the page.
 */
import { register } from "../install.js";
import { supported, turnOff, turnOn } from "../app/push.js";

const section = document.getElementById("push-settings");
const state = document.getElementById("push-state");
const problem = document.getElementById("push-problem");
const button = document.getElementById("push-toggle");
const count = document.getElementById("push-count");

async function browserSubscribed() {
  const registration = await navigator.serviceWorker.getRegistration("/");
  return Boolean(await registration?.pushManager.getSubscription());
}

async function stateNow() {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  const onServer = section.dataset.server === "on";
  return onServer && Notification.permission === "granted" && (await browserSubscribed())
    ? "on" : "off";
}

function show(current) {
  section.dataset.server = current === "on" ? "on" : "off";
  state.dataset.state = current;
  state.textContent = section.dataset[`text${current[0].toUpperCase()}${current.slice(1)}`];
  const canToggle = current === "on" || current === "off";
  button.hidden = !canToggle;
  button.disabled = false;
  button.textContent = current === "on" ? section.dataset.turnOff : section.dataset.turnOn;
  button.classList.toggle("primary", current !== "on");
}

async function toggle() {
  const before = state.dataset.state;
  button.disabled = true;
  problem.hidden = true;
  let after = before;
  try {
    if (before === "on") {
      after = await turnOff();
    } else {
      await register();
      after = await turnOn();
    }
  } catch {
    problem.textContent = before === "on" ? section.dataset.failedOff : section.dataset.failedOn;
    problem.hidden = false;
  }
  if (count && before !== after && (before === "on" || after === "on")) {
    count.textContent = String(Math.max(0, Number(count.textContent) + (after === "on" ? 1 : -1)));
  }
  show(after);
  state.focus();
}

if (section && state && button) {
  button.addEventListener("click", toggle);
  stateNow().catch(() => "unsupported").then(show);
}
