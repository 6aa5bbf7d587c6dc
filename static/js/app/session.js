/**
 * Ending the participant's session on the server from the phone, also when the phone was
 * offline at the moment of signing out: the sign-out is remembered (for that participant only)
 * and finished the next time a page of theirs reaches the server. Until then nothing of theirs
 * is shown: their data is locked or gone, and the app opens nobody's.
 */
import * as db from "./db.js";
import { signedInSession } from "./owner.js";

import { leaveForm } from "../sign-out-form.js";

export { leaveForm };

/** Ask the server to end the session; true when it did. */
export async function endSession() {
  const form = leaveForm();
  if (!form) return false;
  try {
    const response = await fetch(form.action, { method: "POST", body: new FormData(form),
      credentials: "same-origin", redirect: "manual" });
    return response.type === "opaqueredirect" || response.ok;
  } catch {
    return false; // offline: finished later (finishLeaving)
  }
}

/** Remove the owner cookie here, so the app opens nobody's data until the server says. */
function forgetOwnerCookie() {
  document.cookie = "__Host-loype-owner=; Max-Age=0; Path=/; Secure; SameSite=Lax";
  document.cookie = "loype-owner=; Max-Age=0; Path=/; SameSite=Lax";
}

/** Sign this session out: on the server now, or when it can be reached. */
export async function signOut() {
  const session = signedInSession();
  if (session === null) return true; // the server ended it already
  await db.deviceSet("leaving", session);
  forgetOwnerCookie();
  if (!(await endSession())) return false;
  await db.deviceSet("leaving", undefined);
  return true;
}

/**
 * Finish a sign-out made offline. Resolves "none" (none was waiting), "done" (finished now),
 * or "waiting" (the participant who signed out may still have the session here: the server
 * was not reached, or the page came from the phone's cache and cannot tell).
 */
export async function finishLeaving() {
  const leaving = (await db.deviceGet("leaving")) ?? null;
  if (leaving === null) return "none";
  const session = signedInSession();
  if (session !== null && session !== leaving) {
    await db.deviceSet("leaving", undefined); // a sign-in since (anyone's) ended that session
    return "none";
  }
  if (session === null) return "waiting";
  return (await signOut()) ? "done" : "waiting";
}
