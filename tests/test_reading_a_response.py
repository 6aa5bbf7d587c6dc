"""Reading a response: question by question, in two languages, skipped and unanswered apart."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire
from webapp.services import responses as response_service
from webapp.services import revisions


def _response(
    app, world, answers: dict, lang: str = "ar", slug: str = "kartlegging", who: str = "p1"
) -> str:
    """A draft of ``who`` (in ``lang``) to the questionnaire ``slug``, with ``answers``."""
    with app.app_context():
        person = db.session.get(Participant, getattr(world, who))
        person.language = lang
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug=slug))
        response = response_service.start(person, questionnaire)
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


def _minimal_response(app, world, participant_lang: str, staff_lang: str) -> str:
    """The participant answered a questionnaire written in bokmål and translated into English
    only; the counsellor reads in ``staff_lang``."""
    from webapp.models import StaffUser
    from webapp.services import questionnaires as questionnaire_service

    from .documents import minimal_document

    with app.app_context():
        questionnaire_service.import_document(minimal_document())
        db.session.get(StaffUser, world.c1).language = staff_lang
        db.session.commit()
    return _response(app, world, {"name": "Ada"}, participant_lang, slug="test")


def test_no_second_language_that_shows_the_same_texts_again(app, world, as_actor):
    """A counsellor reading in Arabic, a participant writing in Ukrainian, a questionnaire in
    bokmål and English only: both fall back to bokmål. The page offered "Show the questions in
    Ukrainian too", which showed every question twice in bokmål, and nothing said why the
    questions were not in Arabic."""
    rid = _minimal_response(app, world, participant_lang="uk", staff_lang="ar")
    client = as_actor(app, "c1")
    page = client.get(f"/responses/{rid}").get_data(as_text=True)
    assert "beside=1" not in page
    # Said in the counsellor's Arabic: no texts in Arabic, so the questions are in bokmål.
    assert "ليس لهذا الاستبيان نصوص باللغة" in page and "This questionnaire has no" not in page
    doubled = client.get(f"/responses/{rid}?beside=1").get_data(as_text=True)
    assert 'class="second-lang"' not in doubled
    assert doubled.count(">Navn<") == 1


def test_a_second_language_with_texts_of_its_own_is_offered(app, world, as_actor):
    rid = _minimal_response(app, world, participant_lang="en", staff_lang="uk")
    client = as_actor(app, "c1")
    page = client.get(f"/responses/{rid}").get_data(as_text=True)
    assert "beside=1" in page  # bokmål (the fallback for Ukrainian) beside English
    beside = client.get(f"/responses/{rid}?beside=1").get_data(as_text=True)
    assert 'class="second-lang" lang="en"' in beside and "Name" in beside
