"""Serve what makes Løype an installable, offline-capable app."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from ..assets import APP_BUNDLE, asset_url, release
from ..auth import current_actor, current_login
from ..config import LANGUAGES
from ..extensions import db
from ..models import Participant, QuestionAudio
from ..questionnaires.names import text_direction
from ..rendering.messages import answer_messages as translated_answer_messages

bp = Blueprint("pwa", __name__)

#: Files the service worker keeps for offline use (besides the shell and offline pages). The
#: PNG icons are for installing (the browser fetches them itself); pictograms come inlined in
#: css/pictograms.css.
PRECACHE_SUFFIXES = (".js", ".css", "icons/icon.svg")
#: Files only staff load (the builder and its code editor, the workspace's own scripts, the
#: stylesheet of the printed record): not for phones to keep.
STAFF_ONLY = ("js/builder/", "js/staff/", "vendor/", "css/print.css")


@bp.get("/manifest.webmanifest")
def manifest():
    lang = str(get_locale())
    body = {
        "name": "Løype",
        "short_name": "Løype",
        "description": _("Your questionnaires: education, work and goals."),
        "lang": lang.replace("_", "-"),
        "dir": text_direction(lang),
        "start_url": url_for(".app_shell"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {"src": asset_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": asset_url("icons/maskable-192.png"), "sizes": "192x192",
             "type": "image/png", "purpose": "maskable"},
            {"src": asset_url("icons/maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
            {"src": asset_url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }  # fmt: skip
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json"
    )
    # The URL names the language (?lang=), so the manifest may be kept for a while.
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the root so its scope is the whole site.

    It names the release it belongs to; any deploy that changes a static file changes this
    script, so browsers install the new worker (which then waits, see static/js/sw-main.js).
    """
    current = release()
    precache = [
        current.url(path)
        for path in sorted(current.assets)
        if path.endswith(PRECACHE_SUFFIXES) and not path.startswith(STAFF_ONLY)
    ]
    precache.append(url_for(".offline"))  # the app shell is kept when first visited
    bundle = {
        "url": current.url(APP_BUNDLE),
        "files": [current.url(path) for path in current.bundled],
    }
    script = render_template(
        "pwa/sw.js",
        release=current.hash,
        precache=json.dumps(precache),
        bundle=json.dumps(bundle),
        main=current.url("js/sw-main.js"),
        icon=current.url("icons/icon-192.png"),
    )
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    # The browser checks for a new worker on every navigation: while the release is the same,
    # that check is answered 304 with no body. Weak: the script is compressed after this.
    response.set_etag(hashlib.sha256(script.encode()).hexdigest()[:20], weak=True)
    response = response.make_conditional(request)
    del response.headers["Date"]  # make_conditional adds one; the server sends its own
    return response


@bp.get("/media/audio/<int:clip_id>-<digest>.<ext>")
def audio(clip_id: int, digest: str, ext: str):
    """A recorded question: public questionnaire content, cached forever under its hash."""
    clip = db.session.get(QuestionAudio, clip_id)
    if clip is None or not clip.sha256.startswith(digest) or len(digest) < 12:
        abort(404)
    response = Response(clip.data, mimetype=clip.mimetype)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.get("/offline")
def offline():
    """The page the service worker shows when a page cannot load. It is drawn in the signed-in
    participant's language, so it names their sign-in as the app shell does: the worker shows
    it to nobody else, and draws it again for the next person."""
    response = current_app.make_response(render_template("pwa/offline.html"))
    return _drawn_for_this_sign_in(response)


@bp.get("/app/")
def app_shell():
    """The participant app: renders questionnaires from what the phone keeps, online or not."""
    actor, login = current_actor(), current_login()
    if not isinstance(actor, Participant) or login is None:
        return redirect(url_for("auth.join_form"))
    # A message to show once, a query string, or a developer editing the template: as is.
    if session.get("_flashes") or request.query_string or current_app.debug:
        page = render_template("pwa/app.html", strings=client_strings())
    else:
        page = _shell(str(get_locale())).replace(_TOKEN_MARK, generate_csrf())
    return _drawn_for_this_sign_in(current_app.make_response(page))


def _drawn_for_this_sign_in(response: Response) -> Response:
    """Name the participant's sign-in a kept page is drawn for (its language; the shell also
    its session's CSRF token): the service worker keeps the page with this header and never
    shows it to another (static/js/sw-main.js). The owner cookie says the same to the app; it
    grants nothing. Nobody signed in: no header, a page for anyone."""
    actor, login = current_actor(), current_login()
    if isinstance(actor, Participant) and login is not None:
        response.headers[OWNER_HEADER] = f"{_row_id(actor)}.{_row_id(login)}"
    return response


def _row_id(row) -> int:
    """A stored row's primary key, without loading it again after a commit expired it."""
    identity = sa.inspect(row).identity
    return identity[0] if identity else row.id


#: The response header naming the sign-in a page was drawn for ("<participant>.<session>").
OWNER_HEADER = "Loype-Owner"


#: Where the request's CSRF token goes in a kept shell (letters only: escaping keeps it).
_TOKEN_MARK = "csrfTokenOfThisRequest"


def _shell(locale: str) -> str:
    """The shell in one interface language, rendered once per language, release and process.

    It holds nothing of the person (the app draws everything from the phone's store), only
    the language's texts and the sign-out and language forms, whose CSRF token is put in per
    request (issue 12: rendering it was a third of every /app/ request).
    """
    kept = current_app.extensions.setdefault("loype_shells", {})
    key = (locale, release().hash)
    if key not in kept:
        if len(kept) >= 4 * len(LANGUAGES):  # an old release's shells
            kept.clear()
        kept[key] = render_template(
            "pwa/app.html", strings=client_strings(), csrf_token=lambda: _TOKEN_MARK
        )
    return kept[key]


@lru_cache(maxsize=len(LANGUAGES) * 2)
def _client_strings(locale: str) -> dict:
    return _translated_client_strings()


def answer_messages() -> dict[str, str]:
    """The answer error sentences of rendering/messages.py, translated, for the phone."""
    return translated_answer_messages()


def client_strings() -> dict:
    """Interface texts the app needs when it renders by itself, in the participant's language.

    Translated once per interface language and process (about a hundred gettext calls that
    were a share of every /app/ page, issue 12): the dict is shared, so never change it.
    """
    return _client_strings(str(get_locale()))


def _translated_client_strings() -> dict:
    return {
        "yes": _("Yes"), "no": _("No"), "choose": _("Choose …"), "optional": _("optional"),
        "entry": _("Entry %(number)s"), "remove": _("Remove entry %(number)s"),
        "add": _("Add another"), "error": _("Error:"), "check": _("Please check these answers"),
        "entry_field": _("%(question)s (%(group)s, entry %(number)s)"),  # a field in error
        "next": _("Next"), "back": _("Back"), "send": _("Send my answers"),
        "page": _("Page %(position)s of %(count)s"),
        "of_high": _("%(value)s of %(high)s"),  # a scale's answer: 4 of 5
        "language_offline": _("Go online to change the language."),
        "start": _("Start"), "continue": _("Continue"), "again": _("Answer again"),
        "saved_here": _("Saved on this phone"),
        "sending": _("Sending …"),
        "sent_at": _("Sent %(when)s."),
        "waiting": _("Will be sent when you are online"),
        "unsent": _("Not sent yet: %(count)s"),
        "all_sent": _("Everything is sent."),
        "send_now": _("Send now"),
        "signed_out": _("You are signed out. Ask your counsellor for a new code to sign in "
                        "again. Your answers are kept on this phone."),
        "refused": _("The server could not take these answers: %(reason)s"),
        "refusals": refusal_strings(),
        "other_tab": _("This questionnaire is open in another tab or window. Close it there "
                       "to continue here."),
        "update": _("A new version of Løype is ready."),
        "update_button": _("Use the new version"),
        "storage_warning": _("This phone may delete saved answers when it runs out of space. "
                             "Send your answers when you can."),
        "storage_full": _("This phone is almost out of space. Send your answers soon."),
        "no_questionnaires": _("You have no questionnaires right now."),
        "offline_first": _("Open Løype once while online to get your questionnaires."),
        "check_answers": _("Check your answers"),
        "not_answered": _("Not answered"),
        "change": _("Change answers on this page"),
        "thanks": _("Thank you! Your answers are sent."),
        "queued": _("Your answers are saved on this phone and will be sent when you are "
                    "online."),
        "my_questionnaires": _("My questionnaires"),
        "draft": _("Started. Your answers are saved."),
        "invalid": _("Some answers are missing or need a change"),
        "messages": answer_messages(),
        "listen": _("Listen"),
        "side_by_side": _("Show Norwegian too"),
        "save_failed": _("This phone could not save your answers. Keep this page open: Løype "
                         "tries again. If it keeps happening, free up space on the phone, or "
                         "press “Send now” while you are online."),
        "not_saved": _("Not saved on this phone yet"),
        "sent_not_saved": _("Sent, but not saved on this phone yet"),
        "send_again": _("Send again"),
        "use_server": _("Use the answers on the server"),
        "fix": _("Change the answers"),
        "follow_up": _("Your counsellor opened your answers again and asks you to look at "
                       "them:"),
        "kept_copy": _("Your answers from this phone that the server did not take:"),
        "messages_heading": _("Messages from your counsellor"),
        "reads_heading": _("Who has read your answers"),
        "read_response": _("%(name)s read your answers to “%(title)s”"),
        "read_export": _("%(name)s downloaded all your data"),
        "read_page": _("%(name)s opened your page"),
        "no_reads": _("Nobody has read your answers yet."),
        "moved": _("This questionnaire was updated. Your answers are kept; there are "
                   "%(count)s new questions."),
        "moved_open": _("This questionnaire was updated while you were answering. What you "
                        "typed is kept where the question is still asked."),
        "moved_kept": _("Some answers from this phone do not fit the updated questionnaire. "
                        "They are kept on this phone, where you can read them:"),
        **phone_strings(),
        **plan_strings(),
        **inbox_strings(),
    }  # fmt: skip


def refusal_strings() -> dict[str, str]:
    """Why the server refused a phone's response, by the problem's code: the sentences the
    API writes (api/responses.py ``_titles``), so the app shows a refusal kept on the phone in
    the language it is shown in now, not the one it was received in."""
    check = _("Please check the answers marked below.")
    missing = _("This questionnaire or response does not exist.")
    return {
        "submitted": _("These answers were already sent and cannot be changed now. Your "
                       "counsellor can open them for changes."),
        "version": _("This response belongs to another questionnaire version."),
        "revision": _("The server does not know the revision you edited. Here is what it has "
                      "now."),
        "answers": check, "status": check, "questionnaire": missing, "response": missing,
    }  # fmt: skip


def plan_strings() -> dict:
    """Texts for the next steps and shared resources on the app's list (pages/plan.js); the
    same sentences as the participant's server page (participant/home.html)."""
    return {
        "steps_heading": _("Your next steps"),
        "step_you": _("You do this"),
        "step_counsellor": _("Your counsellor does this"),
        "step_other": _("Someone else does this"),
        "step_due": _("Due %(date)s"),
        "step_status": {
            "planned": _("Planned"), "in_progress": _("In progress"), "done": _("Done"),
            "cancelled": _("Cancelled"),
        },
        "shared_heading": _("From your counsellor"),
        "shared_by": _("%(name)s shared this %(when)s"),
        "new_tab": _("(opens in a new tab)"),
    }  # fmt: skip


def inbox_strings() -> dict[str, str]:
    """Texts for the inbox and the switch for notifications on the phone."""
    return {
        "inbox_title": _("Inbox"),
        "inbox_unread": _("%(count)s new"),
        "inbox_new": _("New"),
        "inbox_open": _("Open"),
        "inbox_empty": _("Nothing here yet. When something new comes in, you find it here."),
        "push_heading": _("Notifications on this phone"),
        "push_explain": _("Løype can tell you on this phone when something new comes in, for "
                          "example a new questionnaire. The notification only says “You have a "
                          "new message in Løype”: nothing about you or your answers. You can "
                          "turn it off here at any time."),
        "push_turn_on": _("Turn on notifications"),
        "push_turn_off": _("Turn off notifications"),
        "push_on": _("Notifications are on for this phone."),
        "push_off": _("Notifications are off for this phone."),
        "push_denied": _("Notifications from Løype are blocked in this browser's settings. You "
                         "can allow them there."),
        "push_unsupported": _("This browser cannot show notifications from Løype. Everything "
                              "comes to the inbox."),
        "push_failed": _("Notifications could not be turned on now. Check that you are online "
                         "and try again."),
        "push_off_failed": _("Notifications could not be turned off now. Check that you are "
                             "online and try again."),
    }  # fmt: skip


def phone_strings() -> dict[str, str]:
    """Texts for a shared phone: signing out, the PIN, and the participant's own data."""
    return {
        "sign_in": _("Sign in with your code"),
        "sign_out": _("Sign out"),
        "signed_out_title": _("You are signed out"),
        "signed_out_here": _("Nobody is signed in to Løype on this phone. To see your "
                             "questionnaires, sign in with the code from your counsellor."),
        "session_ended": _("You were signed out on this phone. Answers that were not sent yet "
                           "stay here, locked, and are sent when you sign in again. Ask your "
                           "counsellor for a new code."),
        "leaving_sending": _("Sending your answers before you sign out …"),
        "leaving_unsent": _("Some answers are not sent yet (%(count)s), and this phone cannot "
                            "reach the server now."),
        "leaving_choose": _("You can keep them on this phone, locked: nobody else can open "
                            "them, and they are sent when you sign in again. Or you can delete "
                            "them."),
        "leaving_keep": _("Keep them, locked"),
        "leaving_delete": _("Delete them"),
        "leaving_stay": _("Stay signed in"),
        "leaving_later": _("You are signed out on this phone, but Løype could not reach the "
                           "server yet. Your sign-out is finished there the next time this "
                           "phone is online."),
        "my_data": _("Download my data"),
        "pin_link": _("Protect my answers with a PIN"),
        "pin_title": _("PIN for this phone"),
        "pin_explain": _("With a PIN, nobody else who uses this phone can open your answers "
                         "in Løype. You type it every time you open Løype."),
        "pin_is_set": _("A PIN protects your answers on this phone."),
        "pin_new": _("New PIN (4 to 6 digits)"),
        "pin_again": _("Type the PIN again"),
        "pin_set": _("Set PIN"),
        "pin_change": _("Change PIN"),
        "pin_remove": _("Remove PIN"),
        "pin_format": _("A PIN has 4 to 6 digits."),
        "pin_mismatch": _("The two PINs are not the same."),
        "pin_online": _("Connect to the internet to set, change or remove the PIN."),
        "pin_saved": _("Your PIN is set."),
        "pin_removed": _("The PIN is removed."),
        "pin_enter": _("Your PIN"),
        "pin_open": _("Open"),
        "pin_wrong": _("Wrong PIN."),
        "pin_wait": _("Wait %(minutes)s min. before you try again."),
        "pin_tries_left": _("Tries left: %(count)s."),
        "pin_too_many": _("Wrong PIN too many times, so you are signed out on this phone. "
                          "Answers that were not sent yet stay here, locked, and are sent when "
                          "you sign in again. Ask your counsellor for a new code."),
        "pin_forgot": _("Forgot your PIN?"),
        "pin_forgot_explain": _("Sign out, and ask your counsellor for a new code. Answers "
                                "that were not sent yet stay on this phone, locked, and are "
                                "sent when you sign in again."),
        "pin_forgotten": _("You are signed out on this phone. Ask your counsellor for a new "
                           "code."),
    }  # fmt: skip
