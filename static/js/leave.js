/**
 * On the participant's server pages: sign out through the app (/app/#/sign-out), which first
 * sends what the phone keeps, then locks away or deletes it, so the next person on a shared
 * phone finds none of it; and finish a sign-out the phone made while offline. Without
 * JavaScript the form signs out directly.
 */
import { finishLeaving, leaveForm } from "./app/session.js";

const form = leaveForm();
if (form && !document.getElementById("app")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.assign("/app/#/sign-out");
  });
  // Not on the sign-in pages: signing in ends the old session anyway, and a reload there could
  // race the person pressing the button.
  if (!location.pathname.startsWith("/join")) {
    finishLeaving().then((outcome) => {
      if (outcome === "done") location.reload(); // now as nobody
    }).catch(() => {});
  }
}
