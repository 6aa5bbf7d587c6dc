"""A word longer than the phone's line (a pasted link, a long code) breaks instead of widening
the page: an exploratory run found the participant's summary, the counsellor's reading of the
answers and the printed record 2,600–3,000 px wide at 360 px, the text cut off on paper."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire
from webapp.services import responses as response_service

from .app_driver import open_app
from .conftest import PHONE
from .test_accessibility import ANSWERS, sign_in_staff

LONG = "https://example.org/" + "dokumentasjon" * 23  # 319 characters, no space


def _sent(app, world) -> str:
    with app.app_context():
        questionnaire = db.session.scalar(
            sa.select(Questionnaire).where(Questionnaire.slug == "kartlegging")
        )
        p1 = db.session.get(Participant, world.p1)
        p1.language = "ar"  # the counsellor reads in English with Arabic beside
        response = response_service.start(p1, questionnaire)
        response.answers = {**ANSWERS, "documents_other": LONG, "anything_else": LONG}
        assert response_service.submit(response, p1) == []
        db.session.commit()
        return str(response.id)


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_long_words_wrap_on_every_page_that_shows_answers(app, world, context, live_server):
    response_id = _sent(app, world)

    phone = open_app(context, world.codes["p1"])
    phone.goto(f"/app/#/r/{response_id}/summary")
    phone.wait_for_selector("#app .answer")
    assert LONG[:40] in phone.inner_text("#app")
    assert _width(phone) <= PHONE["width"]

    phone.goto(f"/r/{response_id}/summary")  # the same without JavaScript
    assert LONG[:40] in phone.inner_text("main")
    assert _width(phone) <= PHONE["width"]

    staff = context.browser.new_context(viewport=PHONE, locale="en-GB", base_url=live_server)
    try:
        page = staff.new_page()
        sign_in_staff(page, world.emails["c1"])
        page.goto(f"/responses/{response_id}")
        assert LONG[:40] in page.inner_text("main")
        assert _width(page) <= PHONE["width"]
        page.goto(f"/responses/{response_id}?beside=1")  # two languages side by side
        assert page.locator(".answer dt.two").count() > 0
        assert _width(page) <= PHONE["width"]
        page.goto(f"/participants/{world.p1}/print")
        page.emulate_media(media="print")
        assert LONG[:40] in page.inner_text("main")
        assert _width(page) <= PHONE["width"]
    finally:
        staff.close()
