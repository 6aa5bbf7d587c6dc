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

const TOKEN = 'input[name="csrf_token"]';

async function post(form, token) {
  const body = new FormData(form);
  if (token) body.set("csrf_token", token);
  return fetch(form.action, { method: "POST", body, credentials: "same-origin", redirect: "manual" });
}

const ended = (response) => response.type === "opaqueredirect" || response.ok;

/**
 * A CSRF token of this browser's session as the server has it now, from the sign-out page
 * (GET /leave, a form and little else); null when it cannot be had. The page's own token
 * may be another session's: an app shell kept from before a sign-in, or one kept while the
 * session ended and a new one began.
 */
async function freshToken() {
  const response = await fetch("/leave", { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) return null;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  return page.querySelector(TOKEN)?.value || null;
}

/**
 * Ask the server to end the session; true only when it did (or no session was left to end).
 * A refusal of the page's CSRF token (400) is tried once more with a fresh token; anything
 * else that is not a sign-out (offline, a server error) is false: finished later
 * (finishLeaving), and never told as done.
 */
export async function endSession() {
  const form = leaveForm();
  if (!form) return false;
  try {
    let response = await post(form);
    if (response.status === 400) {
      const token = await freshToken();
      if (!token) return false;
      // The page's other forms (the language) post with it from now on too.
      for (const input of document.querySelectorAll(`form ${TOKEN}`)) input.value = token;
      response = await post(form, token);
    }
    return ended(response);
  } catch {
    return false; // offline: finished later (finishLeaving)
  }
}

/** Remove the owner cookie here, so the app opens nobody's data until the server says. */
function forgetOwnerCookie() {
  document.cookie = "__Host-loype-owner=; Max-Age=0; Path=/; Secure; SameSite=Lax";
  document.cookie = "loype-owner=; Max-Age=0; Path=/; SameSite=Lax";
}

/**
 * Sign this session out: on the server now (true), or when it can be reached (false: the
 * server still has the session, and the phone has remembered to end it).
 */
export async function signOut() {
  const session = signedInSession();
  if (session === null) return true; // the server ended it already
  await db.deviceSet("leaving", session);
  forgetOwnerCookie();
  if (!(await endSession())) {
    forgetOwnerCookie(); // an answer that refused (400) named the owner again
    return false;
  }
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
