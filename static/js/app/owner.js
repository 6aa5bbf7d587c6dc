/**
 * Whose data the phone shows. The server names the signed-in participant in a cookie the app
 * can read (the session cookie itself is HttpOnly, and a cached app shell cannot say who is
 * signed in); the app opens that participant's database and nobody else's, locks away the data
 * of whoever was open before, and opens the key their answers are encrypted with.
 */
import * as db from "./db.js";
import * as vault from "./vault.js";

// The "show Norwegian too" setting (screen.js SIDE_BY_SIDE; screen.js reads the page, which the
// service worker, importing this module, does not have).
const SIDE_BY_SIDE = "loype-side-by-side";

const OWNER = /(?:^|;\s*)(?:__Host-)?loype-owner=((\d+)\.\d+)/;

/** The participant signed in on this browser, from the owner cookie; null when nobody is. */
export function signedIn() {
  const match = OWNER.exec(document.cookie);
  return match ? Number(match[2]) : null;
}

/** Which session of theirs it is ("<participant>.<session>"): a new sign-in is another. */
export function signedInSession() {
  return OWNER.exec(document.cookie)?.[1] ?? null;
}

/**
 * Show only participant `id`'s data from now on (null: nobody's). Whoever was open before is
 * locked away: their unsent answers stay encrypted, the rest of their data goes, and so do
 * the browser's settings that were theirs: "show Norwegian too" and the push subscription
 * (whoever comes next starts with their own setting and with notifications off, as after a
 * sign-out: leaving.js). The same person in a new session (a new invite; this phone had not
 * noticed the old one end) keeps notifications they turned on: the browser's subscription is
 * handed to the new session, whose server has none (push.js handOver).
 */
export async function takeOver(id) {
  // Loaded here, not with this module: the server pages that finish a sign-out (session.js,
  // leave.js) need none of it, and the app has it already.
  const { dropHere, handOver } = await import("./push.js");
  const previous = (await db.deviceGet("owner")) ?? null;
  if (previous !== id) {
    if (previous !== null) await db.lockAway(previous);
    localStorage.removeItem(SIDE_BY_SIDE);
    await dropHere();
  }
  vault.close();
  db.use(id);
  await db.deviceSet("owner", id ?? undefined);
  const session = id === null ? null : signedInSession();
  if (previous !== id || session === null) {
    await db.deviceSet("session", session ?? undefined);
  } else if ((await db.deviceGet("session")) !== session) {
    // Only ever the same person's, never to another. Not awaited: the app opens meanwhile;
    // the inbox's switch waits for it (push.pushState).
    handOver().then((done) => (done ? db.deviceSet("session", session) : null)).catch(() => {});
  }
}

/**
 * Open the key of the participant in use. Resolves "open", "pin" (a PIN protects it: ask for
 * it), "offline" (no key on the phone and the server out of reach) or "signed-out".
 */
export async function unlock() {
  const kept = await db.get("meta", "vault");
  if (kept?.cryptoKey) {
    vault.openWithKey(kept.cryptoKey);
    return "open";
  }
  if (kept?.pin) return "pin";
  let fetched;
  try {
    fetched = await vault.fetchKey();
  } catch (error) {
    return error.status === 401 ? "signed-out" : "offline";
  }
  if (fetched.participant !== db.currentOwner()) return "signed-out";
  await db.put("meta", { key: "vault", cryptoKey: await vault.openWithRaw(fetched.raw) });
  return "open";
}

/**
 * For the service worker: open the data of the participant last in use, if no PIN guards it.
 * It never makes a participant's database (see db.use): only the app does, at the sign-in.
 */
export async function openForBackground() {
  const id = (await db.deviceGet("owner")) ?? null;
  db.use(id, { create: false });
  if (id === null) return false;
  const kept = await db.get("meta", "vault");
  if (!kept?.cryptoKey) return false;
  vault.openWithKey(kept.cryptoKey);
  return true;
}

/**
 * How many wrong PINs were typed in a row, since when, and when the server last said wait, for
 * how long (serverAt, serverSeconds; serverWaitUntil in what older apps kept).
 */
export async function pinTries() {
  return (await db.get("meta", "pin-tries")) ?? { key: "pin-tries", failures: 0, at: 0 };
}

/**
 * Until when to wait before the next try, by the phone's count and by what the server said,
 * measured from now at the longest: a time kept from a clock that has since gone back (a
 * flat battery, a clock set by hand or by the network) counts as now, and is kept so, so the
 * right PIN is never refused for longer than the wait itself. The server still counts every
 * try online (a clock set forward shortens only the phone's own wait, offline).
 */
async function waitingUntil(tries, now) {
  const kept = { ...tries };
  if (kept.at > now) kept.at = now;
  if (kept.serverAt > now) kept.serverAt = now;
  if (kept.serverWaitUntil != null && kept.serverAt == null) {
    // Kept by an older app: the server's wait is never longer than an hour (vault.pinDelay's).
    kept.serverWaitUntil = Math.min(kept.serverWaitUntil, now + vault.pinDelay(Infinity));
  }
  if (kept.at !== tries.at || kept.serverAt !== tries.serverAt
    || kept.serverWaitUntil !== tries.serverWaitUntil) await db.put("meta", kept).catch(() => {});
  const server = kept.serverAt != null ? kept.serverAt + (kept.serverSeconds ?? 0) * 1000
    : kept.serverWaitUntil ?? 0;
  return Math.max(kept.at + vault.pinDelay(kept.failures), server);
}

/**
 * Try a PIN: "open", "wrong" (with tries counted), "wait" (too soon after wrong ones, as the
 * phone or the server counts them), "too-many" (the phone signs the participant out; unsent
 * answers stay locked) or "signed-out" (the server ended this phone's session).
 *
 * Online, the server checks the PIN first and counts wrong ones in its database; offline (or
 * when the server cannot answer), only the phone's own count applies.
 */
export async function tryPin(pin) {
  const tries = await pinTries();
  const waitUntil = await waitingUntil(tries, Date.now());
  if (Date.now() < waitUntil) return { outcome: "wait", waitUntil, failures: tries.failures };
  const kept = await db.get("meta", "vault");
  if (!kept?.pin) return { outcome: "too-many", failures: tries.failures };
  const secrets = await vault.derivePin(pin, kept.pin);
  const server = await vault.checkPin(secrets.proof);
  if (server.outcome === "signed-out") return { outcome: "signed-out", failures: tries.failures };
  if (server.outcome === "wait") {
    const now = Date.now();
    const { serverWaitUntil, ...counted } = tries; // (as an older app kept it)
    await db.put("meta", { ...counted, serverAt: now, serverSeconds: server.seconds });
    return { outcome: "wait", waitUntil: now + server.seconds * 1000, failures: tries.failures };
  }
  if (server.outcome !== "wrong" && await vault.openWithPin(kept.pin, secrets)) {
    await db.remove("meta", "pin-tries");
    // A PIN set before the server checked PINs: let it check this one from now on.
    if (server.outcome === "no-pin") vault.registerPin(secrets.proof).catch(() => {});
    return { outcome: "open", failures: 0 };
  }
  const failures = tries.failures + 1;
  await db.put("meta", { key: "pin-tries", failures, at: Date.now() });
  if (failures >= vault.MAX_TRIES) return { outcome: "too-many", failures };
  return { outcome: "wrong", failures, waitUntil: Date.now() + vault.pinDelay(failures) };
}

/** Protect the key with a PIN (the server gives the key again to wrap it: online only). */
export async function setPin(pin) {
  const { participant, raw } = await vault.fetchKey();
  if (participant !== db.currentOwner()) throw new Error("another participant is signed in");
  const { lock, proof } = await vault.wrapWithPin(raw, pin);
  await vault.registerPin(proof);
  await vault.openWithRaw(raw);
  await db.put("meta", { key: "vault", pin: lock });
  await db.remove("meta", "pin-tries");
}

/** Keep the key on the phone again without a PIN (online only, like setting one). */
export async function removePin() {
  const { participant, raw } = await vault.fetchKey();
  if (participant !== db.currentOwner()) throw new Error("another participant is signed in");
  await vault.registerPin(null);
  await db.put("meta", { key: "vault", cryptoKey: await vault.openWithRaw(raw) });
  await db.remove("meta", "pin-tries");
}

/** Does a PIN protect the open participant's data? */
export async function hasPin() {
  return Boolean((await db.get("meta", "vault"))?.pin);
}
