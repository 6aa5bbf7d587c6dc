/**
 * The key a participant's answers are encrypted with on this phone (AES-GCM, WebCrypto).
 *
 * The key comes from the server (/api/v1/me/phone-key) and is imported non-extractable. While
 * the participant is signed in, the phone keeps it in their own database, or, when they set a
 * PIN, only wrapped under a key derived from the PIN (PBKDF2), so nothing on the phone opens
 * their answers without it. Signing out drops the key: answers kept unsent stay encrypted until
 * the same participant signs in again and the server hands the key back.
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

export const isOpen = () => key !== null;
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

async function pinKey(pin, salt, iterations) {
  const base = await crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", salt, iterations, hash: "SHA-256" }, base,
    { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

/** Wrap raw key bytes under a PIN: what the phone keeps instead of the key itself. */
export async function wrapWithPin(raw, pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const wrapping = await pinKey(pin, salt, PIN_ITERATIONS);
  const wrapped = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, wrapping, raw);
  return { salt, iv, wrapped, iterations: PIN_ITERATIONS };
}

/** Open with a PIN; false when it is the wrong PIN (AES-GCM refuses the wrapped key). */
export async function openWithPin(lock, pin) {
  const wrapping = await pinKey(pin, lock.salt, lock.iterations);
  let raw;
  try {
    raw = await crypto.subtle.decrypt({ name: "AES-GCM", iv: lock.iv }, wrapping, lock.wrapped);
  } catch {
    return false;
  }
  key = await importRaw(raw);
  return true;
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
