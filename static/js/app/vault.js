/**
 * The key a participant's answers are encrypted with on this phone (AES-GCM, WebCrypto).
 *
 * The key comes from the server (/api/v1/me/phone-key) and is imported non-extractable. While
 * the participant is signed in, the phone keeps it in their own database, or, when they set a
 * PIN, only wrapped under a key derived from the PIN (PBKDF2), so nothing on the phone opens
 * their answers without it. Signing out drops the key: answers kept unsent stay encrypted until
 * the same participant signs in again and the server hands the key back.
 *
 * The PIN also gives a proof (a hash of the wrapping key) that the server checks whenever it
 * can be reached, counting wrong PINs in its database (/api/v1/me/pin/check): clearing what the
 * phone counts gives no extra tries while online. The server never sees the PIN itself.
 */

const PIN_ITERATIONS = 600_000; // PBKDF2-HMAC-SHA256, as OWASP advises (2023)
export const PIN_PATTERN = /^\d{4,6}$/;
/** Wrong PINs in a row before waiting starts, and before the phone signs the person out. */
export const FREE_TRIES = 3;
export const MAX_TRIES = 10;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Locked extends Error {}

let key = null; // the open participant's CryptoKey, or null while locked

export function close() {
  key = null;
}

function fromBase64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
}

function importRaw(raw) {
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/** Fetch the participant's key from the server: { participant, raw }. */
export async function fetchKey() {
  const response = await fetch("/api/v1/me/phone-key", { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
  const body = await response.json();
  return { participant: body.participant, raw: fromBase64url(body.key) };
}

/** Open with raw key bytes; return the non-extractable key to keep (when there is no PIN). */
export async function openWithRaw(raw) {
  key = await importRaw(raw);
  return key;
}

/** Open with a key kept on the phone. */
export function openWithKey(cryptoKey) {
  key = cryptoKey;
}

function toBase64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Derive what a PIN gives: the key that wraps the answers' key (the first 256 bits of PBKDF2,
 * as deriveKey makes them) and the proof the server checks (SHA-256 of those bits, labelled).
 */
export async function derivePin(pin, { salt, iterations }) {
  const base = await crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveBits"]);
  const bits = new Uint8Array(await crypto.subtle.deriveBits(
    { name: "PBKDF2", salt, iterations, hash: "SHA-256" }, base, 256));
  const wrapping = await crypto.subtle.importKey("raw", bits, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  const label = encoder.encode("loype-pin-proof:");
  const labelled = new Uint8Array(label.length + bits.length);
  labelled.set(label);
  labelled.set(bits, label.length);
  const proof = toBase64url(new Uint8Array(await crypto.subtle.digest("SHA-256", labelled)));
  bits.fill(0);
  labelled.fill(0);
  return { wrapping, proof };
}

/** Wrap raw key bytes under a PIN: { lock } the phone keeps instead of the key, { proof }. */
export async function wrapWithPin(raw, pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const { wrapping, proof } = await derivePin(pin, { salt, iterations: PIN_ITERATIONS });
  const wrapped = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, wrapping, raw);
  return { lock: { salt, iv, wrapped, iterations: PIN_ITERATIONS }, proof };
}

/** Open with what derivePin gave; false when it is the wrong PIN (AES-GCM refuses it). */
export async function openWithPin(lock, { wrapping }) {
  let raw;
  try {
    raw = await crypto.subtle.decrypt({ name: "AES-GCM", iv: lock.iv }, wrapping, lock.wrapped);
  } catch {
    return false;
  }
  key = await importRaw(raw);
  return true;
}

async function pinRequest(method, path, proof) {
  return fetch(`/api/v1/me/pin${path}`, {
    method, credentials: "same-origin", cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: proof === undefined ? undefined : JSON.stringify({ proof }),
  });
}

/** Tell the server this phone's PIN (its proof), or that it has none; throws when offline. */
export async function registerPin(proof) {
  const response = await pinRequest(proof === null ? "DELETE" : "PUT", "", proof ?? undefined);
  if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
}

/**
 * Ask the server whether the PIN is right. Resolves { outcome }: "right", "wrong", "wait" (with
 * `seconds`), "no-pin" (the server has none for this phone), "signed-out" or "unreachable".
 */
export async function checkPin(proof) {
  let response;
  try {
    response = await pinRequest("POST", "/check", proof);
  } catch {
    return { outcome: "unreachable" };
  }
  if (response.ok) return { outcome: "right" };
  const outcomes = { 401: "signed-out", 403: "wrong", 404: "no-pin" };
  if (response.status === 429) {
    return { outcome: "wait", seconds: Number(response.headers.get("Retry-After")) || 60 };
  }
  return { outcome: outcomes[response.status] ?? "unreachable" };
}

/** How long to wait before the next PIN try after `failures` wrong ones (ms). */
export function pinDelay(failures) {
  if (failures < FREE_TRIES) return 0;
  return Math.min(3_600_000, 30_000 * 2 ** (failures - FREE_TRIES));
}

/** Encrypt a value for the record `context` names (it must be named the same to decrypt). */
export async function seal(value, context) {
  if (!key) throw new Locked("the participant's data is locked");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    key, encoder.encode(JSON.stringify(value)));
  return { iv, data };
}

/** Decrypt what seal() made for the same context. */
export async function unseal(sealed, context) {
  if (!key) throw new Locked("the participant's data is locked");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.iv, additionalData: encoder.encode(context) }, key, sealed.data);
  return JSON.parse(decoder.decode(plain));
}
