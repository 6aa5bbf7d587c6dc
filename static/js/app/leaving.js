/**
 * Signing out on a shared phone: what is unsent is sent first; what still cannot be sent is
 * kept on the phone, locked, or deleted, as the participant chooses; everything else of theirs
 * is wiped, and the session ends on the server (session.js). The next person sees none of it.
 */
import * as db from "./db.js";
import { dropHere } from "./push.js";
import { saveNow } from "./saving.js";
import { S, SIDE_BY_SIDE, root } from "./screen.js";
import { signOut } from "./session.js";
import { flush, SignedOut } from "./sync.js";
import * as vault from "./vault.js";
import { el, show } from "../engine/dom.js";
import { format } from "../engine/messages.js";

async function wipe(keepUnsent) {
  const id = db.currentOwner();
  // Nobody's data is open first, so nothing (a status line, the service worker) opens the
  // database again while it is being deleted.
  db.use(null);
  vault.close();
  await db.deviceSet("owner", undefined);
  await db.deviceSet("session", undefined);
  localStorage.removeItem(SIDE_BY_SIDE);
  // The server ends the push subscription with the session; the browser's side goes too, so
  // the next person on this phone starts with notifications off.
  await dropHere();
  if (id != null) {
    if (keepUnsent) await db.lockAway(id);
    else await db.forget(id);
  }
  return id;
}

/**
 * Lock this participant's data away and end the session (the page stays); when the server
 * has ended it already (401), only the phone's side is left to do.
 */
export async function lockAndLeave({ sessionOver = false } = {}) {
  await wipe(true);
  if (!sessionOver) await signOut();
}

async function leave(keepUnsent, showSignedOut) {
  await wipe(keepUnsent);
  if (await signOut()) location.assign("/join"); // the server says it is done
  // Offline, or the server could not end it now: signed out on this phone, and said so; the
  // server's side is finished when it can be reached (session.js finishLeaving).
  else showSignedOut(S.leaving_later);
}

/**
 * The sign-out page: send, then ask what to do with what could not be sent. showSignedOut()
 * draws the screen for nobody signed in (pages/lock.js).
 */
export async function showSignOut(showSignedOut) {
  show(root, el("h1", { tabindex: "-1" }, S.sign_out), el("p", { role: "status" }, S.leaving_sending));
  await saveNow();
  let sessionEnded = false;
  try {
    await flush();
  } catch (error) {
    sessionEnded = error instanceof SignedOut; // offline or server trouble: asked below
  }
  const waiting = (await db.getAll("outbox")).length;
  if (!waiting) return leave(false, showSignedOut);
  show(root, el("h1", { tabindex: "-1" }, S.sign_out),
    el("p", { class: "flash warning", role: "alert" }, format(S.leaving_unsent, { count: waiting })),
    el("p", {}, S.leaving_choose),
    el("p", { class: "actions leave-choices" },
      el("button", { type: "button", class: "primary", id: "leave-keep",
        onclick: () => leave(true, showSignedOut) }, S.leaving_keep),
      el("button", { type: "button", id: "leave-delete", onclick: () => leave(false, showSignedOut) },
        S.leaving_delete),
      sessionEnded ? null : el("button", { type: "button", onclick: () => showSignOut(showSignedOut) },
        S.send_again)),
    el("p", { class: "link-line" }, el("a", { href: "#/" }, S.leaving_stay)));
  return root.querySelector("h1").focus();
}
