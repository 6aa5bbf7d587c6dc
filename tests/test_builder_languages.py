"""Publishing per language: a language with missing texts is published only as not offered to
participants for that version, and participants who use it read the nearest offered one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, QuestionnaireVersion
from webapp.questionnaires import translation
from webapp.services import builder
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service

from .conftest import join, login_staff
from .test_builder import small_draft, staff

QUESTION = "/schema/properties/vil_du_jobbe/title"


def _translated(draft, admin, lang: str, leave_out: int = 0, outdated: int = 0) -> None:
    """Translate every text of the draft into ``lang`` but the last ``leave_out``."""
    rows = translation.text_rows(draft.document, lang)
    texts = {row.pointer: f"[{lang}] {row.source}" for row in rows[: len(rows) - leave_out]}
    builder.save_translations(draft, admin, draft.revision, lang, texts)
    if outdated:
        sources = draft.document["translation_sources"][lang]
        document = dict(draft.document, translation_sources={
            **draft.document["translation_sources"],
            lang: {**sources, **{p: "0" * 12 for p in list(sources)[:outdated]}}})  # fmt: skip
        draft.document = document


STATES = [
    # (texts left out, outdated texts, offered)
    (0, 0, True),
    (0, 2, True),  # out of date is still offered: the texts are there
    (1, 0, False),
    (6, 0, False),
]


@pytest.mark.parametrize(("leave_out", "outdated", "offered"), STATES)
def test_each_language_says_whether_it_is_offered(app, world, leave_out, outdated, offered):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.apply_operation(
            draft, admin, draft.revision, "set_meta", {"languages": ["nb", "en"]}
        )
        _translated(draft, admin, "en", leave_out, outdated)
        [state] = builder.language_states(draft.document)
        assert (state.lang, state.missing, state.outdated, state.offered) == (
            "en", leave_out, outdated, offered
        )  # fmt: skip


def _published(app, world) -> str:
    """Publish a questionnaire with complete English, Arabic missing a text, Dari complete."""
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.apply_operation(
            draft, admin, draft.revision, "set_meta", {"languages": ["nb", "en", "ar", "fa_AF"]}
        )
        _translated(draft, admin, "en")
        _translated(draft, admin, "ar", leave_out=1)
        _translated(draft, admin, "fa_AF")
        result = builder.publish(draft, admin, draft.revision)
        questionnaire_service.set_offer(admin, draft.questionnaire, "all")
        db.session.commit()
        assert result.version.withheld_languages == ["ar"]
        assert result.version.offered_languages == ["nb", "en", "fa_AF"]
        return result.slug


def test_publishing_withholds_a_language_with_missing_texts(app, world):
    slug = _published(app, world)
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent.target).where(AuditEvent.action == "builder.withhold_language")
        ).all()
        assert events == [f"{slug}@1:ar"]


def test_the_publish_page_says_so_per_language_before_confirming(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.apply_operation(
            draft, admin, draft.revision, "set_meta", {"languages": ["nb", "en", "ar"]}
        )
        _translated(draft, admin, "en")
        _translated(draft, admin, "ar", leave_out=2)
        slug = draft.questionnaire.slug
        db.session.commit()
    client = app.test_client()
    login_staff(client, "admin@a.no")
    html = client.get(f"/admin/builder/{slug}/publish").get_data(as_text=True)
    assert html.count("Offered to participants") == 1
    assert html.count("Not offered: texts are missing") == 1
    assert "because texts are missing: العربية" in html
    assert "Publish without these languages" in html


LANGUAGE_CASES = [
    # (withheld, the participant's language, what they read)
    ([], "ar", "ar"),
    (["ar"], "ar", "nb"),
    (["ar"], "en", "en"),
    (["fa_AF"], "fa_AF", "fa"),
    (["fa_AF", "fa"], "fa_AF", "nb"),
    (["so"], "so", "nb"),
]


@pytest.mark.parametrize(("withheld", "lang", "expected"), LANGUAGE_CASES)
def test_a_withheld_language_falls_back_to_an_offered_one(withheld, lang, expected):
    version = QuestionnaireVersion(
        document={"source_language": "nb", "languages": ["nb", "ar", "fa", "fa_AF", "so"]},
        withheld_languages=withheld,
    )
    assert questionnaire_service.participant_language(version, lang) == expected


@pytest.mark.parametrize(("lang", "served", "title"), [
    ("ar", "nb", "Jobb i kommunen"),
    ("en", "en", "[en] Jobb i kommunen"),
])  # fmt: skip
def test_the_phone_gets_the_nearest_offered_language(app, world, lang, served, title):
    slug = _published(app, world)
    with app.app_context():
        db.session.get(Participant, world.p1).language = lang
        db.session.commit()
    client = app.test_client()
    join(client, world.codes["p1"])
    me = client.get("/api/v1/me").get_json()
    [ref] = [r for r in me["questionnaires"] if r["slug"] == slug]
    assert ref["languages"] == ["nb", "en", "fa_AF"] and ref["title"] == title
    assert ref["document_url"].endswith(f"lang={served}")
    body = client.get(f"/api/v1/questionnaires/{slug}/versions/1?lang={lang}").get_json()
    assert body["lang"] == served and "ar" not in body["document"]["translations"]


def test_the_server_pages_show_the_nearest_offered_language(app, world):
    slug = _published(app, world)
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        person.language = "ar"
        response = response_service.start(
            person, questionnaire_service.find_version(slug).questionnaire
        )
        db.session.commit()
        response_id = response.id
    client = app.test_client()
    join(client, world.codes["p1"])
    html = client.get(f"/r/{response_id}/1").get_data(as_text=True)
    assert "Vil du jobbe?" in html and "[ar]" not in html


def test_the_home_page_names_it_in_the_nearest_offered_language(app, world):
    """/me/ wrote the withheld Arabic title ("[ar] Jobb i kommunen": Arabic missed a text, but
    not the title) while the app and the questionnaire's pages showed bokmål."""
    _published(app, world)
    with app.app_context():
        db.session.get(Participant, world.p1).language = "ar"
        db.session.commit()
    client = app.test_client()
    join(client, world.codes["p1"])
    html = client.get("/me/").get_data(as_text=True)
    assert "<h2>Jobb i kommunen</h2>" in html and "[ar]" not in html
