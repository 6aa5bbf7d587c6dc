"""The translation view: every text with its status, filters, edits in place, PO files."""

from __future__ import annotations

import io
import json
import re

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from webapp.extensions import db
from webapp.models import AuditEvent
from webapp.questionnaires import translation
from webapp.questionnaires.editing import EditError
from webapp.services import builder

from .conftest import csrf_token, login_staff
from .test_builder import q, small_draft, staff

QUESTION = "/schema/properties/vil_du_jobbe/title"
YES = "/schema/properties/vil_du_jobbe/oneOf/0/title"
SECTION = "/ui/sections/0/title"


def _document() -> dict:
    return {
        "title": "Jobb",
        "source_language": "nb",
        "languages": ["nb", "en"],
        "schema": {"properties": {"vil_du_jobbe": {
            "title": "Vil du jobbe?", "oneOf": [{"const": "ja", "title": "Ja"}]}}},
        "ui": {"sections": [{"id": "om_jobb", "title": "Om jobb", "items": ["vil_du_jobbe"]}]},
        "translations": {"en": {
            QUESTION: "Do you want to work?",
            YES: "Yes",
        }},
        "translation_sources": {"en": {
            QUESTION: translation.source_hash("Vil du jobbe?"),
            YES: translation.source_hash("Ja, gjerne"),  # the source changed since
        }},
    }  # fmt: skip


STATUS_CASES = [
    ("/title", "missing", None),
    (QUESTION, "current", "om_jobb"),
    (YES, "outdated", "om_jobb"),
    (SECTION, "missing", "om_jobb"),
]


@pytest.mark.parametrize(("pointer", "status", "section"), STATUS_CASES)
def test_each_text_has_a_status_and_a_section(pointer, status, section):
    rows = {row.pointer: row for row in translation.text_rows(_document(), "en")}
    assert (rows[pointer].status, rows[pointer].section) == (status, section)


def test_a_translation_without_a_recorded_source_counts_as_current():
    document = _document()
    del document["translation_sources"]
    rows = {row.pointer: row.status for row in translation.text_rows(document, "en")}
    assert rows[YES] == "current"


SAVES = [
    # (texts saved, status of YES after, translation of YES after)
    ({YES: "Yes please"}, "current", "Yes please"),
    ({YES: ""}, "missing", ""),
    ({QUESTION: "  Work?  "}, "outdated", "Yes"),
]


@pytest.mark.parametrize(("texts", "status", "text"), SAVES)
def test_saving_records_the_source_text_it_was_made_from(texts, status, text):
    document, unknown = translation.set_translations(_document(), "en", texts)
    assert unknown == []
    rows = {row.pointer: row for row in translation.text_rows(document, "en")}
    assert (rows[YES].status, rows[YES].translation) == (status, text)
    if QUESTION in texts:
        assert rows[QUESTION].translation == "Work?"
        assert document["translation_sources"]["en"][QUESTION] == translation.source_hash(
            "Vil du jobbe?"
        )


def test_an_unknown_pointer_is_not_written():
    document, unknown = translation.set_translations(_document(), "en", {"/nowhere": "x"})
    assert unknown == ["/nowhere"] and "/nowhere" not in document["translations"]["en"]


# ------------------------------------------------------------------------------ the service


def _english_draft(admin):
    draft = small_draft(admin)
    builder.apply_operation(
        draft, admin, draft.revision, "set_meta", {"languages": ["nb", "en", "ar"]}
    )
    return draft


def test_the_service_saves_only_changed_texts_and_audits(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = _english_draft(admin)
        before = draft.revision
        result = builder.save_translations(draft, admin, before, "en", {QUESTION: "Work?"})
        assert result.result == [QUESTION] and draft.revision == before + 1
        again = builder.save_translations(draft, admin, draft.revision, "en", {QUESTION: "Work?"})
        assert again.result == [] and draft.revision == before + 1  # nothing changed
        with pytest.raises(builder.StaleDraft):
            builder.save_translations(draft, admin, before, "en", {QUESTION: "Job?"})
        with pytest.raises(LookupError):  # the source language is not translated into
            builder.save_translations(draft, admin, draft.revision, "nb", {QUESTION: "x"})
        with pytest.raises(LookupError):  # nor a language the questionnaire does not have
            builder.save_translations(draft, admin, draft.revision, "so", {QUESTION: "x"})
        with pytest.raises(EditError):
            builder.save_translations(draft, admin, draft.revision, "en", {"/nowhere": "x"})
        db.session.commit()
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("builder.translate%"))
        ).all()
        assert actions == ["builder.translate"]


def _po(entries: list[tuple[str, str, str]]) -> bytes:
    catalog = Catalog(locale="en")
    for pointer, source, text in entries:
        catalog.add(source, text, context=pointer)
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    return buffer.getvalue()


BAD_PO = [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not text"),
    (b'{"format": "loype-questionnaire/1"}', "JSON"),
    (b"", "empty"),
    (b'msgid "hello"\nmsgstr "hei"\n', "no pointers"),
    (b'msgctxt "/title"\nmsgid "unterminated\n', "broken"),
]


@pytest.mark.parametrize(("data", "why"), BAD_PO, ids=[w for _, w in BAD_PO])
def test_a_file_that_is_not_a_po_file_changes_nothing(app, world, data, why):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = _english_draft(admin)
        revision, document = draft.revision, draft.document
        with pytest.raises(EditError) as raised:
            builder.import_translations(draft, admin, revision, "en", data)
        assert raised.value.code == "po_unreadable"
        assert (draft.revision, draft.document) == (revision, document)


def test_a_po_file_round_trips_and_reports_what_it_skipped(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = _english_draft(admin)
        exported = read_po(io.BytesIO(builder.export_translations(draft, admin, "en")))
        assert {m.context: m.id for m in exported if m.id}[QUESTION] == "Vil du jobbe?"
        data = _po([
            (QUESTION, "Vil du jobbe?", "Do you want a job?"),
            ("/schema/properties/hvilken_jobb/title", "Hvilken jobb før?", "Which job?"),
            ("/schema/properties/gone/title", "Borte", "Gone"),
            # Longer than the page's boxes take, or not storable: skipped, never a 500.
            ("/ui/sections/0/title", "Om jobb", "About work " * 500),
            ("/schema/properties/vil_du_jobbe/oneOf/0/title", "Ja", "Y\x00es"),
        ])  # fmt: skip
        _result, warnings = builder.import_translations(draft, admin, draft.revision, "en", data)
        assert [(w.pointer, w.code) for w in warnings] == [
            ("/schema/properties/hvilken_jobb/title", "changed"),
            ("/schema/properties/gone/title", "unknown"),
            ("/ui/sections/0/title", "too_long"),
            ("/schema/properties/vil_du_jobbe/oneOf/0/title", "unreadable"),
        ]
        assert "/ui/sections/0/title" not in draft.document["translations"]["en"]
        rows = {r.pointer: r for r in translation.text_rows(draft.document, "en")}
        assert (rows[QUESTION].translation, rows[QUESTION].status) == (
            "Do you want a job?", "current"
        )  # fmt: skip


# --------------------------------------------------------------------------------- the page


def _slug(app, world) -> str:
    with app.app_context():
        draft = _english_draft(staff(world, "admin1"))
        db.session.commit()
        return draft.questionnaire.slug


def _boxes(html: str) -> dict[str, str]:
    """Return the source text of each translation box on the page, by the box's name."""
    found = {}
    for name in re.findall(r'<textarea[^>]*name="(t[0-9a-f]{16})"', html):
        source = re.search(rf'id="source-{name}">([^<]*)<', html)
        found[source.group(1)] = name
    return found


FILTERS = [
    ("", "", {"Jobb i kommunen", "Om jobb", "Vil du jobbe?", "Ja", "Nei", "Hvilken jobb?"}),
    ("", "-", {"Jobb i kommunen"}),
    ("", "om_jobb", {"Om jobb", "Vil du jobbe?", "Ja", "Nei", "Hvilken jobb?"}),
    ("current", "", {"Vil du jobbe?"}),
    ("missing", "om_jobb", {"Om jobb", "Ja", "Nei", "Hvilken jobb?"}),
    ("outdated", "", set()),
]


@pytest.mark.parametrize(("status", "section", "sources"), FILTERS)
def test_the_page_filters_by_status_and_section(app, world, status, section, sources):
    slug = _slug(app, world)
    with app.app_context():
        admin = staff(world, "admin1")
        draft = builder.draft_for(admin, q(slug))
        builder.save_translations(draft, admin, draft.revision, "en", {QUESTION: "Work?"})
        db.session.commit()
    client = app.test_client()
    login_staff(client, "admin@a.no")
    page = client.get(f"/admin/builder/{slug}/translations/en?status={status}&section={section}")
    assert page.status_code == 200
    assert set(_boxes(page.get_data(as_text=True))) == sources


def test_translations_are_edited_in_place_and_a_stale_save_keeps_the_typing(app, world):
    slug = _slug(app, world)
    client = app.test_client()
    login_staff(client, "admin@a.no")
    url = f"/admin/builder/{slug}/translations/en"
    html = client.get(url).get_data(as_text=True)
    boxes = _boxes(html)
    revision = re.search(r'name="revision"[^>]*value="(\d+)"', html).group(1)
    token = csrf_token(client, url)
    saved = client.post(url, data={"csrf_token": token, "revision": revision,
                                   boxes["Vil du jobbe?"]: "Do you want to work?"})  # fmt: skip
    assert saved.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Do you want to work?</textarea>" in page and "Translations saved: 1." in page
    # The same form sent again, on the revision it was shown with: refused, typing kept.
    stale = client.post(url, data={"csrf_token": token, "revision": revision,
                                   boxes["Ja"]: "Yes"})  # fmt: skip
    assert stale.status_code == 409
    assert "Yes</textarea>" in stale.get_data(as_text=True)


def test_po_files_from_the_page(app, world):
    slug = _slug(app, world)
    client = app.test_client()
    login_staff(client, "admin@a.no")
    url = f"/admin/builder/{slug}/translations/en"
    exported = client.get(url + "/export.po")
    assert exported.status_code == 200 and b'msgctxt "/schema/properties/vil_du_jobbe/title"' in (
        exported.data
    )
    html = client.get(url).get_data(as_text=True)
    revision = re.search(r'name="revision"[^>]*value="(\d+)"', html).group(1)
    token = csrf_token(client, url)
    uploaded = client.post(url + "/import", data={
        "csrf_token": token, "revision": revision,
        "po_file": (io.BytesIO(_po([(QUESTION, "Vil du jobbe?", "Job?"),
                                    ("/nope", "x", "y")])), "en.po"),
    }, content_type="multipart/form-data")  # fmt: skip
    body = uploaded.get_data(as_text=True)
    assert uploaded.status_code == 200 and "Job?</textarea>" in body
    assert "/nope: this text is not in the questionnaire." in body
    html = client.get(url).get_data(as_text=True)
    revision = re.search(r'name="revision"[^>]*value="(\d+)"', html).group(1)
    refused = client.post(url + "/import", data={
        "csrf_token": token, "revision": revision,
        "po_file": (io.BytesIO(b"\x00\x01 not a po file"), "en.po"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert refused.status_code == 422 and "This is not a PO file" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/translations/en", "/translations/en/export.po", "/translations/so"]
)
def test_another_municipality_and_unknown_languages_are_not_found(app, world, admin2, path):
    slug = _slug(app, world)
    other = app.test_client()
    login_staff(other, "admin@b.no")
    assert other.get(f"/admin/builder/{slug}{path}").status_code == 404
    assert other.get(f"/admin/builder/kartlegging{path}").status_code == 404  # a template


# ------------------------------------------------------------- out of date, and odd shapes


def _round_trip(document: dict, change=None) -> tuple[dict, list]:
    catalog = translation.export_catalog(document, "en")
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    back = read_po(io.BytesIO(buffer.getvalue()))
    if change is not None:
        change(back)
    return translation.import_catalog(document, "en", back)


def test_an_out_of_date_translation_goes_out_fuzzy_and_comes_back_still_out_of_date():
    """Uploading the downloaded file unchanged used to stamp every translation as made from
    today's Norwegian text: "Yes" for the changed "Ja" read as up to date, unchecked."""
    exported = translation.export_catalog(_document(), "en")
    flags = {m.context: m.fuzzy for m in exported if m.id}
    assert flags[YES] is True and flags[QUESTION] is False
    document, warnings = _round_trip(_document())
    rows = {r.pointer: r for r in translation.text_rows(document, "en")}
    assert (rows[YES].translation, rows[YES].status) == ("Yes", "outdated")
    assert (rows[QUESTION].translation, rows[QUESTION].status) == (
        "Do you want to work?",
        "current",
    )
    assert warnings == []  # the same text came back: nothing was left out


def test_a_fuzzy_entry_is_checked_when_the_translator_clears_the_mark():
    def edit(catalog):
        for message in catalog:
            if message.context == YES:
                message.string = "Yes, gladly"
                message.flags.discard("fuzzy")
            elif message.context == "/title":
                message.string = "Work"
                message.flags.add("fuzzy")  # a tool's guess, not checked

    document, warnings = _round_trip(_document(), edit)
    rows = {r.pointer: r for r in translation.text_rows(document, "en")}
    assert (rows[YES].translation, rows[YES].status) == ("Yes, gladly", "current")
    assert rows["/title"].status == "missing"  # the guess was not taken
    assert [(w.pointer, w.code) for w in warnings] == [("/title", "fuzzy")]


ODD_TRANSLATIONS = [
    {"en": "x"},
    {"en": {"/title": 5}},
    {"en": {"/title": {"t": 1}}},
    "everything",
    [],
]


@pytest.mark.parametrize("odd", ODD_TRANSLATIONS, ids=[repr(o) for o in ODD_TRANSLATIONS])
def test_translations_of_an_odd_shape_are_no_translations(odd):
    """A draft's JSON view stores any shape (the checker reports it); the translation page,
    the PO download and upload and the reports read it as no translation, never a 500."""
    # As read from a JSON text: the two fields are separate objects.
    document = {
        **_document(),
        "translations": odd,
        "translation_sources": json.loads(json.dumps(odd)),
    }
    rows = {r.pointer: r for r in translation.text_rows(document, "en")}
    assert rows[QUESTION].status == "missing" and rows[QUESTION].translation == ""
    assert {m.context: m.string for m in translation.export_catalog(document, "en") if m.id}[
        QUESTION
    ] == ""
    [report] = translation.report(document, ["en"])
    assert len(report.missing) == report.total
    updated, _unknown = translation.set_translations(document, "en", {QUESTION: "Work?"})
    assert updated["translations"]["en"] == {QUESTION: "Work?"}
    imported, _warnings = _round_trip(updated)
    assert imported["translations"]["en"] == {QUESTION: "Work?"}


def test_the_pages_open_on_a_draft_with_odd_translations(app, world):
    slug = _slug(app, world)
    client = app.test_client()
    login_staff(client, "admin@a.no")
    state = client.get(f"/admin/builder/{slug}/draft.json").get_json()
    document = {**state["document"], "translations": {"en": "x"}}
    token = csrf_token(client, f"/admin/builder/{slug}")
    body = {"revision": state["revision"], "text": json.dumps(document)}
    saved = client.post(f"/admin/builder/{slug}/json", headers={"X-CSRFToken": token}, json=body)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    url = f"/admin/builder/{slug}/translations/en"
    assert client.get(url).status_code == 200
    assert client.get(url + "/export.po").status_code == 200
