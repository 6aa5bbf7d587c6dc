"""A right-to-left override (U+202E) in a name or an answer cannot reverse the text around it:
names are in <bdi>, answers in elements with dir="auto" (both isolate their content)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire
from webapp.services import responses

RLO = "\u202e"
NAME = f"Ali {RLO}gnp.exe"
ANSWER = f"Lære {RLO}norsk"


def _isolated(html: str, text: str) -> bool:
    """Return whether every occurrence of ``text`` sits directly in an isolating element."""
    occurrences = [m.start() for m in re.finditer(re.escape(text), html)]
    if not occurrences:
        return False
    for start in occurrences:
        before = html[:start]
        opening = before[before.rfind("<") :]
        plain_isolate = before.endswith("\u2068")  # in a <title>: FSI ... PDI
        if not (opening.startswith("<bdi") or 'dir="auto"' in opening or plain_isolate):
            return False
    return True


def test_names_and_answers_are_isolated(app, world, as_actor):
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.display_name = NAME
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response = responses.start(person, kartlegging)
        response.answers = {"short_term_goal_kind": "norwegian", "short_term_goal": ANSWER}
        db.session.commit()
        response_id = response.id
    counsellor = as_actor(app, "c1")
    for url in ("/caseload", f"/participants/{world.p1}", f"/responses/{response_id}"):
        html = counsellor.get(url).get_data(as_text=True)
        assert _isolated(html, NAME), url
    review = counsellor.get(f"/responses/{response_id}").get_data(as_text=True)
    assert _isolated(review, ANSWER)
    phone = as_actor(app, "p1")
    assert _isolated(phone.get("/me/").get_data(as_text=True), NAME)
    assert _isolated(phone.get(f"/r/{response_id}/summary").get_data(as_text=True), ANSWER)


def test_the_check_can_fail():
    assert not _isolated(f"<p>Hello {NAME}</p>", NAME)
    assert _isolated(f"<p>Hello <bdi>{NAME}</bdi></p>", NAME)
