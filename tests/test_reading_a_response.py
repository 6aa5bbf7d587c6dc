"""Reading a response: question by question, in two languages, skipped and unanswered apart."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire
from webapp.services import responses as response_service
from webapp.services import revisions


def _response(app, world, answers: dict, lang: str = "ar") -> str:
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.language = lang
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response = response_service.start(person, kartlegging)
        revisions.write(
            response, revisions.Author("web", person), base=response.revision,
            answers=answers, status="draft", lang=lang,
        )  # fmt: skip
        db.session.commit()
        return response.id


def test_answered_first_unanswered_folded_skipped_left_out(app, world, as_actor):
    rid = _response(app, world, {"mapped_before": "no", "anything_else": "شكرا"})
    client = as_actor(app, "c1")
    html = client.get(f"/responses/{rid}").get_data(as_text=True)
    assert "Have you been through a mapping before?" in html
    assert "Where were you mapped?" not in html  # hidden by the answer "no"
    folded = html.split('<details class="unanswered-list">')
    assert len(folded) > 1 and "Not answered or skipped" in folded[1]
    first_section = html.split('<section class="answer-section"')[1]
    answered, _sep, unanswered = first_section.partition("<details")
    assert "Have you been through a mapping before?" in answered
    assert "Have you been through a mapping before?" not in unanswered

    html = client.get(f"/responses/{rid}?hidden=1").get_data(as_text=True)
    assert "Where were you mapped?" in html
    assert "Skipped: the answers above hide this question" in html
    assert "Leave out skipped questions" in html


def test_side_by_side_with_the_participants_language(app, world, as_actor):
    rid = _response(app, world, {"anything_else": "شكرا"})
    html = as_actor(app, "c1").get(f"/responses/{rid}?beside=1").get_data(as_text=True)
    assert re.search(
        r'<dt class="two"><span>[^<]*</span> <span class="second-lang" lang="ar" dir="rtl">', html
    )
    # The free-text answer is marked with the language it was written in.
    assert '<span class="line" dir="auto" lang="ar">شكرا</span>' in html
    assert "(written in Arabic)" in html
