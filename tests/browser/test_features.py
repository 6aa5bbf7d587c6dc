"""Features for participants who read little: listen, Norwegian beside, pictograms."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire, StaffUser
from webapp.services import audio

from ..test_audio_and_languages import wav
from .app_driver import open_app


def test_listen_button_plays_a_recording_or_a_voice_never_nothing(app, world, context):
    with app.app_context():
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        admin = db.session.get(StaffUser, world.admin1)
        audio.store_clip(questionnaire, "mapped_before", "en", wav(), admin)
        db.session.commit()
    page = open_app(context, world.codes["p1"])
    page.click("#app .card button.primary")
    page.wait_for_selector('[data-item="mapped_before"] .read-aloud')
    voices = page.evaluate(
        "speechSynthesis.getVoices().filter((v) => v.lang.startsWith('en')).length"
    )
    button = page.locator('[data-item="mapped_before"] .read-aloud')
    assert button.get_attribute("data-source") == "clip"
    others = page.locator('[data-item="documents_available"] .read-aloud')
    assert others.count() == (1 if voices else 0)  # no voice for the language: no button
    button.click()  # plays the clip (no error even without a sound card)
    page.wait_for_timeout(300)


def test_norwegian_beside_and_pictograms_in_the_app(app, world, context):
    with app.app_context():
        db.session.get(Participant, world.p1).language = "ar"
        db.session.commit()
    page = open_app(context, world.codes["p1"])
    assert page.get_attribute("html", "dir") == "rtl"
    page.click("#app .card button.primary")
    page.wait_for_selector("#fields")
    page.click("#app form.questionnaire > .actions button[type=submit]")  # to the goals page
    page.wait_for_selector("#short_term_goal_kind-0")
    assert page.locator("#fields .picto").count() >= 6  # option pictograms
    assert page.locator(".nb-text").count() == 0
    page.click("#side-by-side")
    page.wait_for_selector('.nb-text[lang="nb"]')
    assert page.get_attribute("#side-by-side", "aria-pressed") == "true"
    page.reload()
    page.wait_for_selector('.nb-text[lang="nb"]')  # remembered on the phone
    with app.app_context():
        assert db.session.get(Participant, world.p1).show_norwegian is True  # and the server
