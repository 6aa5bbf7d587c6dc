"""The participant's record on paper: both languages side by side, audited as an export."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Questionnaire
from webapp.services import responses as response_service

from .conftest import ROOT


def _mapping(app, world) -> str:
    with app.app_context():
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        person = db.session.get(Participant, world.p1)
        person.language = "ar"
        response = response_service.start(person, kartlegging)
        response.answers = {"short_term_goal_kind": "work", "anything_else": "مرحبا"}
        response.text_languages = {"/anything_else": "ar"}
        db.session.commit()
        return response.id


def test_the_record_shows_both_languages_with_lang_and_dir(app, world, as_actor):
    _mapping(app, world)
    client = as_actor(app, "c1")
    page = client.get(f"/participants/{world.p1}/print")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'media="print"' in html and "/css/print.css" in html
    assert "Record of p1" in html
    # The question in English, and beside it in Arabic, marked as such.
    assert re.search(r'<span class="second-lang" lang="ar" dir="rtl">[^<]+</span>', html)
    assert "What is your most important goal for the next year?" in html
    assert 'lang="ar">مرحبا</span>' in html  # the free text, in the language it was written in
    assert "Not answered" not in html  # the record holds the answers, not the empty questions
    with app.app_context():
        [event] = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "participant.print")
        ).all()
        assert (event.actor, event.target) == (f"staff:{world.c1}", f"participant:{world.p1}")
    # The participant sees the print among who read their answers.
    phone = as_actor(app, "p1")
    reads = phone.get("/api/v1/me").get_json()["reads"]
    assert any(r["what"] == "export" for r in reads)


def test_the_print_stylesheet_hides_the_page_furniture():
    text = (ROOT / "static" / "css" / "print.css").read_text("utf-8")
    assert "header.site" in text and ".no-print" in text and "display: none" in text


ACCESS = [("c1", 200), ("lead1", 200), ("c2", 404), ("c3", 404), ("admin1", 404), ("p1", 404)]


@pytest.mark.parametrize(("who", "status"), ACCESS)
def test_who_may_print_the_record(app, world, as_actor, who, status):
    response = as_actor(app, who).get(f"/participants/{world.p1}/print")
    assert response.status_code == status
    with app.app_context():
        printed = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "participant.print")
        )
    assert printed == (1 if status == 200 else 0)


def test_the_participant_page_links_to_the_record(app, world, as_actor):
    html = as_actor(app, "c1").get(f"/participants/{world.p1}").get_data(as_text=True)
    assert f'href="/participants/{world.p1}/print"' in html
