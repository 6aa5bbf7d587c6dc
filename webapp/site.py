"""Pages for everyone: the front door, the language choice, and the health check."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for

from .auth import LANGUAGE_CHOSEN, current_actor
from .extensions import db
from .models import Participant
from .next_url import safe_next

bp = Blueprint("site", __name__)


def select_locale() -> str:
    """Pick the interface language: the person's own, then this browser's choice."""
    languages = current_app.config["LANGUAGES"]
    actor = current_actor()
    if actor is not None and actor.language in languages:
        return actor.language
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or languages[0]


@bp.get("/")
def index():
    actor = current_actor()
    if isinstance(actor, Participant):
        return redirect(url_for("participant.home"))
    if actor is not None:
        if actor.is_administrator:
            return redirect(url_for("admin.questionnaires"))
        return redirect(url_for("counsellor.caseload"))
    return redirect(url_for("auth.join_form"))


@bp.post("/language")
def set_language():
    """Remember the chosen language for this browser and, if signed in, for the person."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        actor = current_actor()
        if actor is not None:
            actor.language = lang
            db.session.commit()
        else:
            # Chosen on the way in (the invite or sign-in page): the person who signs in next
            # in this browser, soon, takes it as their own (auth/session.py, _start).
            session[LANGUAGE_CHOSEN] = int(time.time())
    return redirect(safe_next(request.form.get("next"), url_for(".index")))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
