"""The question bank: search every published version an administrator sees, and copy a
question (texts, translations, options, recordings) into a draft under a unique id."""

from __future__ import annotations

import copy
import re

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, QuestionAudio, StaffUser
from webapp.questionnaires import bank, check_document
from webapp.services import builder
from webapp.services import questionnaires as questionnaire_service

from .conftest import csrf_token, login_staff
from .test_builder import q, small_draft, staff


def _template() -> dict:
    return copy.deepcopy(q("kartlegging").latest.document)


COPIES = [
    # (question, languages of the draft, new id, required after, translations carried)
    ("mapped_before", ["nb", "en"], "mapped_before", False, {"en"}),
    ("short_term_goal_kind", ["nb"], "short_term_goal_kind", True, set()),
    ("previous_mapping_where", ["nb", "en", "ar"], "previous_mapping_where", False, {"en", "ar"}),
    ("educations", ["nb", "so"], "educations", False, {"so"}),
]


@pytest.mark.parametrize(("question", "languages", "new", "required", "langs"), COPIES)
def test_a_copied_question_keeps_its_texts_and_options(app, world, question, languages, new,
                                                       required, langs):  # fmt: skip
    with app.app_context():
        draft = small_draft(staff(world, "admin1")).document
        draft["languages"] = languages
        source = _template()
        got = bank.copy_question(draft, source, question, "om_jobb")
        assert got == new and draft["ui"]["sections"][0]["items"][-1] == new
        assert draft["schema"]["properties"][new] == source["schema"]["properties"][question]
        assert "visible_if" not in draft["ui"]["questions"].get(new, {})
        assert (new in draft["schema"].get("required", [])) == required
        assert set(draft.get("translations", {})) == langs
        for lang in langs:
            assert (
                draft["translations"][lang][f"/schema/properties/{new}/title"]
                == (source["translations"][lang][f"/schema/properties/{question}/title"])
            )
        assert check_document(draft) == []


def test_a_second_copy_gets_its_own_id(app, world):
    with app.app_context():
        draft = small_draft(staff(world, "admin1")).document
        source = _template()
        assert bank.copy_question(draft, source, "economy", "om_jobb") == "economy"
        assert bank.copy_question(draft, source, "economy", "om_jobb") == "economy_2"
        # a question named like an existing one of the draft
        draft["schema"]["properties"]["vil_du_jobbe"]["title"] = "x"
        assert check_document(draft) == []


def _publish_own(app, world, title: str, admin_id: int | None = None) -> str:
    with app.app_context():
        admin = db.session.get(StaffUser, admin_id) if admin_id else staff(world, "admin1")
        draft = small_draft(admin)
        builder.apply_operation(draft, admin, draft.revision, "set_meta", {"title": title})
        builder.publish(draft, admin, draft.revision)
        db.session.commit()
        return draft.questionnaire.slug


SEARCHES = [
    ("førerkort", {("kartlegging", "driving_licence"), ("kartlegging", "driving_licence_country")}),
    ("driving licence country", {("kartlegging", "driving_licence_country")}),  # in English
    ("hvilken jobb", {("own", "hvilken_jobb")}),
    ("other town", set()),
]


@pytest.mark.parametrize(("words", "expected"), SEARCHES)
def test_the_bank_finds_questions_the_administrator_sees(app, world, admin2, words, expected):
    own = _publish_own(app, world, "Jobb i kommunen")
    _publish_own(app, world, "Other town", admin2)  # another municipality's
    with app.app_context():
        hits = builder.search_bank(staff(world, "admin1"), words, "nb")
        found = {("own" if h.slug == own else h.slug, h.question) for h in hits}
        assert found == expected


def test_copying_from_the_bank_brings_recordings_and_is_audited(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        template = q("kartlegging")
        db.session.add_all([
            QuestionAudio(questionnaire=template, question_id="economy", lang=lang,
                          mimetype="audio/ogg", data=b"OggS" + lang.encode(), sha256="0" * 64)
            for lang in ("nb", "ar")
        ])  # fmt: skip
        draft = small_draft(admin)
        seen = draft.revision
        result = builder.copy_from_bank(draft, admin, seen, template.latest, "economy", "om_jobb")
        assert result.result == "economy" and result.problems == []
        clips = db.session.scalars(sa.select(QuestionAudio.lang).where(
            QuestionAudio.questionnaire_id == draft.questionnaire_id)).all()  # fmt: skip
        assert clips == ["nb"]  # the draft is not in Arabic
        with pytest.raises(builder.StaleDraft):
            builder.copy_from_bank(draft, admin, seen, template.latest, "economy", "om_jobb")
        db.session.commit()
        audited = sa.select(AuditEvent.target).where(AuditEvent.action == "builder.bank_copy")
        assert db.session.scalar(audited) == f"jobb-i-kommunen@r{seen + 1}"
        assert draft.changes[-1].summary == {"op": "bank_copy", "target": "kartlegging:economy"}


def test_another_municipalitys_version_cannot_be_copied(app, world, admin2):
    with app.app_context():
        other = db.session.get(StaffUser, admin2)
        draft = small_draft(other)
        builder.publish(draft, other, draft.revision)
        db.session.commit()
        version = questionnaire_service.find_version(draft.questionnaire.slug)
        mine = small_draft(staff(world, "admin1"))
        with pytest.raises(LookupError):
            builder.copy_from_bank(mine, staff(world, "admin1"), mine.revision, version,
                                   "vil_du_jobbe", "om_jobb")  # fmt: skip


def _copy(client, slug: str, html: str, question: str, follow: bool = True):
    """Press "Copy into the draft" on the bank page ``html`` for a mapping question."""
    revision = re.search(r'name="revision" value="(\d+)"', html).group(1)
    token = csrf_token(client, f"/admin/builder/{slug}/bank")
    return client.post(f"/admin/builder/{slug}/bank?q=x", data={
        "csrf_token": token, "revision": revision, "slug": "kartlegging", "number": "1",
        "question": question, "section": "om_jobb",
    }, follow_redirects=follow)  # fmt: skip


def test_the_bank_page_searches_and_copies(app, world):
    with app.app_context():
        slug = small_draft(staff(world, "admin1")).questionnaire.slug
        db.session.commit()
    client = app.test_client()
    login_staff(client, "admin@a.no")
    page = client.get(f"/admin/builder/{slug}/bank?q=driving+licence+country")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Questions found: 1" in html
    copied = _copy(client, slug, html, "driving_licence_country")
    assert "Copied into the draft as “driving_licence_country”." in copied.get_data(as_text=True)
    again = _copy(client, slug, html, "driving_licence_country", follow=False)
    assert again.status_code == 409


def _odd(document: dict, where: str) -> dict:
    odd = copy.deepcopy(document)
    if where == "required":
        odd["schema"]["required"] = "x"
    elif where == "properties":
        odd["schema"]["properties"] = []
    elif where == "ui questions":
        odd["ui"]["questions"] = []
    elif where == "schema":
        odd["schema"] = []
    else:
        odd["ui"]["sections"][0]["items"] = "abc"
    return odd


@pytest.mark.parametrize("where", ["required", "properties", "ui questions", "schema", "items"])
def test_copying_into_a_draft_of_an_odd_shape_says_what_to_do(app, world, where):
    """A draft's JSON view stores any shape (the checker lists it as problems); copying a
    question into one was a 500. It is refused with a sentence, and the draft is unchanged."""
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        draft.document = _odd(draft.document, where)
        db.session.commit()
        slug, before = draft.questionnaire.slug, copy.deepcopy(draft.document)
    client = app.test_client()
    login_staff(client, "admin@a.no")
    html = client.get(f"/admin/builder/{slug}/bank?q=driving").get_data(as_text=True)
    refused = _copy(client, slug, html, "short_term_goal_kind")
    assert refused.status_code < 500
    assert "are not of the kind the builder can change" in refused.get_data(as_text=True)
    with app.app_context():
        assert q(slug).draft.document == before
