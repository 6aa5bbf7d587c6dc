"""One set of publishing rules, whichever door a questionnaire comes through.

The builder's "Check and publish" refuses a changed question type and withholds languages with
missing texts; the upload "Publish as a new version if the check passes" once skipped both
(and left the draft behind, so the next publish of the draft undid the upload). A JSON text
that changed the audience was a server error at publishing. The list of changes said "None"
and keywords, and the preview of a language drew the app's texts in the administrator's.
"""

from __future__ import annotations

import html
import io
import json

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import QuestionnaireVersion
from webapp.questionnaires.editing import EditError
from webapp.questionnaires.texts import text_pointers
from webapp.services import builder

from .conftest import csrf_token, login_staff
from .test_builder import q, small_draft, staff

SLUG = "jobb-i-kommunen"


@pytest.fixture
def published(app, world) -> str:
    """The small questionnaire of admin1's municipality, published as version 1."""
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.publish(draft, admin, draft.revision)
        db.session.commit()
        return draft.questionnaire.slug


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _latest_document(app, slug: str) -> dict:
    with app.app_context():
        document = json.loads(json.dumps(q(slug).latest.document))
    document.pop("version", None)
    return document


def _versions(app, slug: str) -> list[int]:
    with app.app_context():
        return [v.number for v in q(slug).versions]


def _draft_document(app, slug: str) -> dict:
    with app.app_context():
        return json.loads(json.dumps(q(slug).draft.document))


def _upload_and_publish(client, document: dict):
    token = csrf_token(client, "/admin/questionnaires")
    data = json.dumps(document).encode()
    return client.post(
        "/admin/questionnaires",
        data={"csrf_token": token, "publish": "y", "document": (io.BytesIO(data), "q.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _publish_draft(client, app, slug: str):
    with app.app_context():
        revision = q(slug).draft.revision
    token = csrf_token(client, f"/admin/builder/{slug}/publish")
    return client.post(
        f"/admin/builder/{slug}/publish",
        data={"csrf_token": token, "revision": str(revision)},
        follow_redirects=True,
    )


# ------------------------------------------------------------------- the upload and publish


def _number_instead_of_text(document: dict) -> dict:
    """The published short text "hvilken_jobb" made a number: a type the builder refuses."""
    document["schema"]["properties"]["hvilken_jobb"] = {"type": "number", "title": "Hvor mange?"}
    document["ui"]["questions"]["hvilken_jobb"]["widget"] = "number"
    return document


def test_an_uploaded_type_change_is_refused_as_the_builder_refuses_it(app, published, as_actor):
    admin = as_actor(app, "admin1")
    document = _number_instead_of_text(_latest_document(app, published))
    draft_before = _draft_document(app, published)
    response = _upload_and_publish(admin, document)
    assert response.status_code == 422
    assert (
        "The question “hvilken_jobb” was published as Short text and is now Number. Answers "
        "already given would not fit." in _text(response)
    )
    assert _versions(app, published) == [1]
    assert _draft_document(app, published) == draft_before  # the draft is left as it was


def test_an_uploaded_version_withholds_languages_and_becomes_the_draft(app, published, as_actor):
    admin = as_actor(app, "admin1")
    document = _latest_document(app, published)
    document["languages"] = ["nb", "en"]
    document["translations"] = {
        "en": {pointer: f"EN {text}" for pointer, text in text_pointers(document)}
    }
    # A new question nobody has translated yet: English misses its text.
    document["schema"]["properties"]["lonn"] = {"type": "string", "title": "Ønsket lønn?"}
    document["ui"]["sections"][0]["items"].append("lonn")
    document["title"] = "Jobb i kommunen (fra fil)"
    response = _upload_and_publish(admin, document)
    page = _text(response)
    assert response.status_code == 200, page
    assert f"Published {published} version 2." in page
    assert "Participants will not be offered these languages in this version" in page
    with app.app_context():
        version = q(published).latest
        assert version.number == 2 and version.withheld_languages == ["en"]
    draft = _draft_document(app, published)
    assert draft["title"] == "Jobb i kommunen (fra fil)" and "lonn" in draft["schema"]["properties"]
    # "Check and publish" of the draft now publishes nothing new: it does not undo the upload.
    again = _publish_draft(admin, app, published)
    assert "Nothing changed: this is the same as the latest version." in _text(again)
    assert _versions(app, published) == [1, 2]


def test_an_upload_with_a_new_slug_starts_a_questionnaire_with_that_draft(app, world, as_actor):
    admin = as_actor(app, "admin1")
    with app.app_context():
        document = json.loads(json.dumps(q("kartlegging").latest.document))
    document.pop("version", None)
    document["slug"] = "kartlegging-fra-fil"
    response = _upload_and_publish(admin, document)
    assert "Published kartlegging-fra-fil version 1." in _text(response)
    with app.app_context():
        made = q("kartlegging-fra-fil")
        assert made.municipality_id == world.m1 and made.latest.withheld_languages == []
        assert made.draft.document["title"] == document["title"]


# ------------------------------------------------------------------------------ the audience


def test_another_audience_in_the_json_text_is_a_problem_and_never_published(
    app, published, as_actor
):
    admin = as_actor(app, "admin1")
    with app.app_context():
        revision = q(published).draft.revision
    document = _draft_document(app, published)
    document["audience"] = "counsellor"
    saved = admin.post(
        f"/admin/builder/{published}/json",
        json={"revision": revision, "text": json.dumps(document)},
        headers={"X-CSRFToken": csrf_token(admin, "/admin/questionnaires")},
    )
    assert saved.status_code == 200
    sentence = "“audience” must stay “participant”: a questionnaire cannot change who fills it in."
    assert [p["element"] for p in saved.json["problems"] if sentence in p["message"]] == [
        {"kind": "questionnaire"}
    ]
    refused = _publish_draft(admin, app, published)
    assert refused.status_code == 422 and sentence in _text(refused)
    assert _versions(app, published) == [1]
    # The upload with the same change says why, as "Replace the draft with this file" does.
    uploaded = _upload_and_publish(admin, dict(_latest_document(app, published),
                                               audience="counsellor"))  # fmt: skip
    assert uploaded.status_code == 422
    assert "The file is for the other kind of questionnaire" in _text(uploaded)
    assert _versions(app, published) == [1]


# ---------------------------------------------------------------------- the list of changes


def test_the_list_of_changes_says_limits_in_words(app, world, published, as_actor):
    admin_client = as_actor(app, "admin1")
    with app.app_context():
        admin, draft = staff(world, "admin1"), q(published).draft
        builder.apply_operation(
            draft, admin, draft.revision, "set_question",
            {"question": "hvilken_jobb", "maxLength": 10},
        )  # fmt: skip
        db.session.commit()
    page = _text(admin_client.get(f"/admin/builder/{published}/publish"))
    assert "Limit changed (Most characters: no limit → 10): hvilken_jobb" in page
    assert "None" not in page and "maxLength" not in page
    _publish_draft(admin_client, app, published)
    with app.app_context():
        admin, draft = staff(world, "admin1"), q(published).draft
        builder.apply_operation(
            draft, admin, draft.revision, "set_question",
            {"question": "hvilken_jobb", "maxLength": None},
        )  # fmt: skip
        db.session.commit()
    _publish_draft(admin_client, app, published)
    assert _versions(app, published) == [1, 2, 3]
    compared = _text(admin_client.get(f"/admin/builder/{published}/versions/2/3"))
    assert "Limit changed (Most characters: 10 → no limit): hvilken_jobb" in compared


# --------------------------------------------------------------------- a published option


def test_a_published_questions_option_values_do_not_change(app, world, published):
    with app.app_context():
        admin, draft = staff(world, "admin1"), q(published).draft
        with pytest.raises(EditError) as refused:
            builder.apply_operation(
                draft, admin, draft.revision, "set_option",
                {"question": "vil_du_jobbe", "index": 0, "value": "jepp"},
            )  # fmt: skip
        assert refused.value.code == "value_published"
        # Its text may change, and the same value again is no change.
        builder.apply_operation(
            draft, admin, draft.revision, "set_option",
            {"question": "vil_du_jobbe", "index": 0, "title": "Ja, gjerne", "value": "ja"},
        )  # fmt: skip
        # A question not published yet keeps its values free.
        builder.apply_operation(
            draft, admin, draft.revision, "add_question",
            {"section": "om_jobb", "widget": "choice", "title": "Når?", "options": ["Nå"]},
        )  # fmt: skip
        builder.apply_operation(
            draft, admin, draft.revision, "set_option",
            {"question": "nar", "index": 0, "value": "straks"},
        )  # fmt: skip
        options = draft.document["schema"]["properties"]
        assert options["vil_du_jobbe"]["oneOf"][0] == {"const": "ja", "title": "Ja, gjerne"}
        assert options["nar"]["oneOf"] == [{"const": "straks", "title": "Nå"}]


def test_the_refusal_of_a_published_value_is_said_in_words(app, published, as_actor):
    admin = as_actor(app, "admin1")
    with app.app_context():
        revision = q(published).draft.revision
    refused = admin.post(
        f"/admin/builder/{published}/operations",
        json={"revision": revision, "op": "set_option",
              "args": {"question": "vil_du_jobbe", "index": 1, "value": "nope"}},
        headers={"X-CSRFToken": csrf_token(admin, "/admin/questionnaires")},
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json["message"].startswith("This question has been published, so the values")
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(QuestionnaireVersion)
            .where(QuestionnaireVersion.questionnaire_id == q(published).id)
        ) == 1  # fmt: skip
        consts = [o["const"] for o in q(published).draft.document["schema"]["properties"][
            "vil_du_jobbe"]["oneOf"]]  # fmt: skip
        assert consts == ["ja", "nei"]


# ---------------------------------------------------------------------------- the preview


def test_the_preview_of_a_language_gets_that_languages_app_texts_and_names(
    app, world, published, as_actor, admin2
):
    admin = as_actor(app, "admin1")  # reads the builder in English
    page = admin.get(f"/admin/builder/{published}").get_data(as_text=True)
    config = json.loads(page.split('id="builder-config">')[1].split("</script>")[0])
    # The page holds the texts of the language the preview opens in (the questionnaire's
    # bokmål), not the administrator's English.
    assert config["preview"]["lang"] == "nb"
    assert config["preview"]["strings"]["optional"] == "valgfritt"
    assert "names" not in config["preview"]  # fetched when needed: the page stays light
    arabic = admin.get(config["urls"]["preview"].replace("LANG", "ar"))
    assert arabic.status_code == 200
    body = arabic.json
    assert body["strings"]["optional"] == "اختياري" and body["strings"]["yes"] == "نعم"
    assert body["strings"]["choose"] == "اختر …"
    assert dict(body["names"]["country"])["NO"] == "النرويج"
    assert dict(body["names"]["language"])["so"] not in ("Somali", "somali", "so")
    assert admin.get(f"/admin/builder/{published}/preview/klingon.json").status_code == 404
    other = as_actor(app, None)
    login_staff(other, "admin@b.no")
    assert other.get(f"/admin/builder/{published}/preview/ar.json").status_code == 404


@pytest.mark.parametrize("languages", [5, "nb", {"nb": True}, None])
def test_a_draft_with_languages_of_the_wrong_shape_still_opens_in_the_builder(
    app, published, as_actor, languages
):
    """The JSON text may save a draft the checker refuses: the builder still opens on it,
    with the problem listed, so it can be mended there."""
    admin = as_actor(app, "admin1")
    with app.app_context():
        revision = q(published).draft.revision
    document = _draft_document(app, published)
    document["languages"] = languages
    saved = admin.post(
        f"/admin/builder/{published}/json",
        json={"revision": revision, "text": json.dumps(document)},
        headers={"X-CSRFToken": csrf_token(admin, "/admin/questionnaires")},
    )
    assert saved.status_code == 200 and saved.json["problems"]
    page = admin.get(f"/admin/builder/{published}")
    assert page.status_code == 200


def _upload_and_check(client, document: dict):
    token = csrf_token(client, "/admin/questionnaires")
    return client.post(
        "/admin/questionnaires",
        data={
            "csrf_token": token,
            "document": (io.BytesIO(json.dumps(document).encode()), "q.json"),
        },
        content_type="multipart/form-data",
    )


def test_check_only_says_what_publishing_the_file_would_refuse(app, published, as_actor):
    """ "The file has no problems" promises that publishing it goes through: a changed type or
    another audience is said at the check already, and nothing is stored."""
    admin = as_actor(app, "admin1")
    document = _number_instead_of_text(_latest_document(app, published))
    draft_before = _draft_document(app, published)
    checked = _upload_and_check(admin, document)
    assert checked.status_code == 422
    assert "was published as Short text and is now Number" in _text(checked)
    assert "The file has no problems." not in _text(checked)
    other = _upload_and_check(admin, dict(_latest_document(app, published), audience="counsellor"))
    assert other.status_code == 422
    assert "The file is for the other kind of questionnaire" in _text(other)
    fine = _upload_and_check(admin, _latest_document(app, published))
    assert fine.status_code == 200 and "The file has no problems." in _text(fine)
    assert _versions(app, published) == [1]
    assert _draft_document(app, published) == draft_before
