"""A draft the administrator moves to a new version reaches the phone: on the new version, with
the edits the phone had not sent yet, and a note that there are new questions."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Questionnaire, Response
from webapp.services import builder
from webapp.services import questionnaires as questionnaire_service

from ..test_builder import small_draft, staff
from .app_driver import open_app, wait_for_app, wait_until


def _stored(app, slug: str) -> list[tuple[int, dict]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Response)).all()
        return [(r.version.number, r.answers) for r in rows if r.version.questionnaire.slug == slug]


def test_a_moved_draft_reaches_the_phone_with_its_unsent_edits(app, world, context):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.publish(draft, admin, draft.revision)
        questionnaire_service.set_offer(admin, draft.questionnaire, "all")
        slug = draft.questionnaire.slug
        db.session.commit()
    page = open_app(context, world.codes["p1"])
    page.click(f'#app .card[data-slug="{slug}"] .primary')
    page.check("#vil_du_jobbe-0")
    wait_until(lambda: _stored(app, slug) == [(1, {"vil_du_jobbe": "ja"})], message="sent")
    context.set_offline(True)
    page.fill("#hvilken_jobb", "Snekker")  # typed offline: not sent yet
    page.wait_for_timeout(600)

    with app.app_context():  # meanwhile: version 2, with one new question, drafts moved
        admin = staff(world, "admin1")
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug=slug))
        draft = builder.draft_for(admin, questionnaire)
        added = {"section": "om_jobb", "widget": "text", "title": "Hvor bor du?"}
        builder.apply_operation(draft, admin, draft.revision, "add_question", added)
        builder.publish(draft, admin, draft.revision)
        assert len(builder.move_open_drafts(questionnaire, admin)) == 1
        db.session.commit()

    context.set_offline(False)
    page.goto("/app/")
    wait_for_app(page)
    wait_until(
        lambda: _stored(app, slug) == [(2, {"vil_du_jobbe": "ja", "hvilken_jobb": "Snekker"})],
        message="the unsent edit to reach the server, on version 2",
    )
    page.wait_for_selector(f'#app .card[data-slug="{slug}"] .moved')
    assert "1 new questions" in page.text_content(f'#app .card[data-slug="{slug}"] .moved')
    page.click(f'#app .card[data-slug="{slug}"] a.primary')
    page.wait_for_selector("#hvor_bor_du")  # the new question, on the phone
    assert page.input_value("#hvilken_jobb") == "Snekker"
