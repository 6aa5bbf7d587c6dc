/**
 * Notifications on this phone (Web Push), only when the participant asks for them: the
 * browser's permission prompt comes from their button, never on its own. Subscribing uses the
 * server's key (GET /api/v1/push/key) and hands the subscription to the server, tied to this
 * sign-in; turning them off removes it on both sides. Signing out ends it on the server, and
 * leaving.js drops the phone's side with dropHere().
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

/** "unsupported", "denied" (blocked in the browser's settings), "on" or "off". */
export async function pushState() {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  const subscription = await currentSubscription();
  return subscription && Notification.permission === "granted" ? "on" : "off";
}

async function call(url, options) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store", ...options });
  if (response.status === 401) throw new SignedOut();
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response;
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
    await call("/api/v1/push/subscriptions", { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(subscription.toJSON()) });
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
  await call("/api/v1/push/subscriptions", { method: "DELETE" });
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
