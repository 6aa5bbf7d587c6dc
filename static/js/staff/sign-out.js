/**
 * A member of staff signing out: this browser's push subscription is dropped too (the server
 * ends it with the session), so whoever signs in next on a shared computer starts with
 * notifications off. Without JavaScript, or without a service worker, the form signs out
 * directly.
 */
import { dropHere } from "../app/push.js";

const form = document.querySelector("form.staff-leave");
if (form && "serviceWorker" in navigator) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await dropHere(); // never throws: no worker, or no subscription, is fine
    form.submit(); // submit() fires no submit event: no loop
  });
}
