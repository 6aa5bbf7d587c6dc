/**
 * On the participant's server pages: sign out through the app (/app/#/sign-out), which first
 * sends what the phone keeps, then locks away or deletes it, so the next person on a shared
 * phone finds none of it; and finish a sign-out the phone made while offline. Without
 * JavaScript the form signs out directly.
 *
 * A page that opens the app (/me/, open-app.js) leaves finishing to the app, which does it
 * before it opens anyone's data; the phone's storage modules are not loaded there, so the
 * service worker, installed from that page, downloads them once.
 */
import { leaveForm } from "./sign-out-form.js";

const form = leaveForm();
const opensTheApp = document.querySelector('meta[name="loype-app"]') !== null;
if (form && !document.getElementById("app")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.assign("/app/#/sign-out");
  });
  // Not on the sign-in pages: signing in ends the old session anyway, and a reload there could
  // race the person pressing the button.
  if (!location.pathname.startsWith("/join") && !opensTheApp) {
    import("./app/session.js")
      .then(({ finishLeaving }) => finishLeaving())
      .then((outcome) => {
        if (outcome === "done") location.reload(); // now as nobody
      })
      .catch(() => {});
  }
}
