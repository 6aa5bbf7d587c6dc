/**
 * Notifications on this phone (Web Push), only when the participant asks for them: the
 * browser's permission prompt comes from their button, never on its own. Subscribing uses the
 * server's key (GET /api/v1/push/key) and hands the subscription to the server, tied to this
 * sign-in; turning them off removes it on both sides. Signing out ends it on the server, and
 * leaving.js drops the phone's side with dropHere(); so does owner.js when another person's
 * data opens, and it hands the subscription to a new session of the same person (handOver).
 * Whether they are on is the server's word for this sign-in, not the browser's alone.
 */
import { SignedOut } from "./sync.js";

/** The bytes of a base64url text (the server's key). */
export function fromBase64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
}

export const supported = () => "serviceWorker" in navigator && "PushManager" in window
  && "Notification" in window;

async function currentSubscription() {
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

const SUBSCRIPTIONS = "/api/v1/push/subscriptions";

// A hand-over of the browser's subscription to this sign-in that is under way (handOver).
let handing = Promise.resolve(true);

/**
 * "unsupported", "denied" (blocked in the browser's settings), "on" or "off". On only when the
 * server has this browser's subscription for this sign-in: a browser subscribed under another
 * session (a new invite signed the old one out, and the server deleted its subscription), or
 * whose subscription the push service replaced without the server hearing of it, is off.
 */
export async function pushState() {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  await handing;
  const subscription = await currentSubscription();
  if (!subscription || Notification.permission !== "granted") return "off";
  return (await serverHas(subscription)) ? "on" : "off";
}

/**
 * Does the server send this sign-in's pushes to this subscription? It answers with a digest
 * of the endpoint it has (SHA-256, hex), so the endpoint never travels back. Out of reach:
 * the browser's word, as the phone knows nothing newer.
 */
async function serverHas(subscription) {
  let answer;
  try {
    answer = await fetch(SUBSCRIPTIONS, { credentials: "same-origin", cache: "no-store" });
  } catch {
    return true;
  }
  if (answer.status === 401) return false; // signed out: no pushes for anyone here
  if (!answer.ok) return true;
  const { endpoint_sha256: digest } = await answer.json();
  return digest === await sha256(subscription.endpoint);
}

async function sha256(text) {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function call(url, options) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store", ...options });
  if (response.status === 401) throw new SignedOut();
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response;
}

const post = (subscription) => fetch(SUBSCRIPTIONS, { method: "POST", credentials: "same-origin",
  cache: "no-store", headers: { "Content-Type": "application/json" },
  body: JSON.stringify(subscription.toJSON()) });

/**
 * The same participant signed in again on this phone (owner.js): hand the browser's
 * subscription, which they turned on and never turned off, to this sign-in; the server ended
 * the old one's with its session. Resolves true when the server has it (or there is none to
 * hand), false when it could not be sent (offline: tried again the next time the app opens).
 */
export function handOver() {
  handing = (async () => {
    if (!supported() || Notification.permission !== "granted") return true;
    const registration = await navigator.serviceWorker.getRegistration("/");
    const subscription = await registration?.pushManager.getSubscription();
    if (!subscription) return true;
    const answer = await post(subscription);
    if (answer.ok) return true;
    // Signed out, or "not now" (a server error, too many requests, a timeout): tried later.
    if (answer.status === 401 || answer.status >= 500 || [408, 425, 429].includes(answer.status)) {
      return false;
    }
    await subscription.unsubscribe(); // a subscription the server refuses: nothing half on
    return true;
  })().catch(() => false);
  return handing;
}

/**
 * Turn pushes on (call it from the participant's tap: the browser asks for permission then).
 * Resolves the new state; throws when the server or the push service could not be reached.
 */
export async function turnOn() {
  if (!supported()) return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return permission === "denied" ? "denied" : "off";
  const { public_key: key } = await (await call("/api/v1/push/key")).json();
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made with another key (the server's key changed) cannot be sent to.
  if (subscription && !sameKey(subscription.options?.applicationServerKey, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true,
    applicationServerKey: fromBase64url(key) });
  try {
    const answer = await post(subscription);
    if (answer.status === 401) throw new SignedOut();
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
  } catch (error) {
    await subscription.unsubscribe(); // the server does not know it: nothing half on
    throw error;
  }
  return "on";
}

function sameKey(buffer, key) {
  if (!buffer) return true; // the browser does not say: keep it
  const have = new Uint8Array(buffer);
  const want = fromBase64url(key);
  return have.length === want.length && have.every((byte, i) => byte === want[i]);
}

/** Turn pushes off: the server forgets this device's subscription, then the browser does. */
export async function turnOff() {
  await call(SUBSCRIPTIONS, { method: "DELETE" });
  await dropHere();
  return "off";
}

/** Forget the subscription on the phone only (signing out: the server ends it with the session). */
export async function dropHere() {
  if (!supported()) return;
  try {
    // getRegistration, not ready: with no service worker, sign-out must not wait for one.
    const registration = await navigator.serviceWorker.getRegistration("/");
    await (await registration?.pushManager.getSubscription())?.unsubscribe();
  } catch {
    // no service worker yet, or the browser dropped it already
  }
}
