"""Recorded questions, languages of free-text answers, and the side-by-side preference."""

from __future__ import annotations

import io
import struct
import uuid

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Participant, Questionnaire, Response, StaffUser
from webapp.services import audio
from webapp.services.audio import AudioRejected


def wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    """A tiny silent WAV file."""
    samples = b"\x00\x00" * int(rate * seconds)
    header = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + b"data" + struct.pack("<I", len(samples)) + samples


def upload(app, world, question="mapped_before", lang="en", data=None):
    with app.app_context():
        questionnaire = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        admin = db.session.get(StaffUser, world.admin1)
        clip = audio.store_clip(questionnaire, question, lang, wav() if data is None else data,
                                admin)  # fmt: skip
        db.session.commit()
        return audio.clip_url(clip)


@pytest.mark.parametrize(
    ("question", "lang", "data", "code"),
    [
        ("no_such_question", "en", None, "question"),
        ("mapped_before", "de", None, "language"),
        ("mapped_before", "en", b"", "empty"),
        ("mapped_before", "en", b"<html>not audio</html>", "type"),
        ("mapped_before", "en", b"ID3" + b"\x00" * (audio.MAX_BYTES + 1), "size"),
    ],
)
def test_bad_clips_are_refused(app, world, question, lang, data, code):
    with pytest.raises(AudioRejected) as refused:
        upload(app, world, question, lang, data)
    assert refused.value.code == code


def test_clip_is_served_immutable_and_listed_in_the_document(app, world, as_actor):
    phone = as_actor(app, "p1")
    before = phone.get("/api/v1/questionnaires/kartlegging/versions/1?lang=en")
    assert before.json["audio"] == {}
    url = upload(app, world)
    after = phone.get("/api/v1/questionnaires/kartlegging/versions/1?lang=en")
    assert after.json["audio"] == {"mapped_before": url}
    assert after.headers["ETag"] != before.headers["ETag"]  # the phone fetches the clip list
    assert phone.get("/api/v1/questionnaires/kartlegging/versions/1?lang=ar").json["audio"] == {}
    clip = phone.get(url)
    assert clip.status_code == 200 and clip.mimetype == "audio/wav"
    assert "immutable" in clip.headers["Cache-Control"]
    assert phone.get(url.replace("-", "-0", 1)).status_code == 404


def test_free_text_answers_record_their_language(app, world, as_actor):
    phone = as_actor(app, "p1")
    rid = str(uuid.uuid4())
    body = {"questionnaire": "kartlegging", "version": 1, "status": "draft",
            "answers": {"anything_else": "مرحبا", "short_term_goal": "Norsk"},
            "text_languages": {"/anything_else": "ar"}}  # fmt: skip
    phone.put(f"/api/v1/responses/{rid}", json=body)
    with app.app_context():
        stored = db.session.get(Response, rid)
        # told by the phone, or else the participant's interface language (en)
        assert stored.text_languages == {"/anything_else": "ar", "/short_term_goal": "en"}
    body.update(base_revision=1, answers={"anything_else": "مرحبا", "short_term_goal": "Jobb"})
    body["text_languages"] = {"/short_term_goal": "nb"}
    phone.put(f"/api/v1/responses/{rid}", json=body)
    with app.app_context():
        stored = db.session.get(Response, rid)
        assert stored.text_languages == {"/anything_else": "ar", "/short_term_goal": "nb"}


def test_side_by_side_preference_is_kept(app, world, as_actor):
    phone = as_actor(app, "p1")
    assert phone.get("/api/v1/me").json["participant"]["show_norwegian"] is False
    saved = phone.put("/api/v1/me/preferences", json={"show_norwegian": True})
    assert saved.status_code == 200
    assert as_actor(app, "p1").get("/api/v1/me").json["participant"]["show_norwegian"] is True
    assert phone.put("/api/v1/me/preferences", json={"show_norwegian": "yes"}).status_code == 422


def test_server_pages_show_norwegian_beside_and_pictograms(app, world, as_actor):
    from .conftest import csrf_token

    phone = as_actor(app, "p1")
    token = csrf_token(phone, "/me/")
    start = phone.post("/me/q/kartlegging/start", data={"csrf_token": token})
    rid = start.location.rsplit("/", 1)[1]
    page = phone.get(f"/r/{rid}/2").get_data(as_text=True)
    assert 'class="nb-text"' not in page and 'class="picto picto-' in page  # pictograms
    toggled = phone.post(f"/r/{rid}/2", data={"csrf_token": token, "action": "side-by-side"})
    assert toggled.status_code == 302
    page = phone.get(f"/r/{rid}/2").get_data(as_text=True)
    assert '<span class="nb-text" lang="nb" dir="ltr">Arbeid</span>' in page or (
        'class="nb-text" lang="nb"' in page
    )
    assert 'aria-pressed="true"' in page


def test_counsellor_reads_beside_the_participants_language(app, world, as_actor):
    phone = as_actor(app, "p1")
    rid = str(uuid.uuid4())
    body = {
        "questionnaire": "kartlegging",
        "version": 1,
        "status": "draft",
        "answers": {"anything_else": "مرحبا"},
        "text_languages": {"/anything_else": "ar"},
    }
    phone.put(f"/api/v1/responses/{rid}", json=body)
    with app.app_context():
        participant = db.session.get(Participant, world.p1)
        participant.language = "ar"
        db.session.commit()
    counsellor = as_actor(app, "c1")
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    assert "(written in Arabic)" in page and 'lang="ar"' in page
    assert "Show the questions in Arabic too" in page
    beside = counsellor.get(f"/responses/{rid}?beside=1").get_data(as_text=True)
    assert 'class="second-lang" lang="ar" dir="rtl"' in beside


def test_admin_sees_translation_report(app, world, as_actor):
    page = as_actor(app, "admin1").get("/admin/translations").get_data(as_text=True)
    assert "Interface" in page and "Resources" in page and "العربية" in page and "ትግርኛ" in page


def test_admin_uploads_a_recording(app, world, as_actor):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    from webapp.models import Questionnaire, StaffUser
    from webapp.services import builder
    from webapp.services import questionnaires as questionnaire_service

    from .conftest import csrf_token

    admin = as_actor(app, "admin1")
    token = csrf_token(admin, "/admin/audio")

    def send(data: bytes, slug: str = "kartlegging-kommune-a"):
        boundary, body = encode_multipart(
            {"csrf_token": token, "questionnaire": slug, "question": "mapped_before",
             "lang": "ar", "clip": FileStorage(io.BytesIO(data), "clip.wav")}
        )  # fmt: skip
        return admin.post("/admin/audio", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip

    assert send(wav()).status_code == 422  # a national template is not changed in place
    with app.app_context():  # the municipality's own copy, published
        person = db.session.get(StaffUser, world.admin1)
        template = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        draft = questionnaire_service.copy_questionnaire(person, template).draft
        builder.publish(draft, person, draft.revision)
        db.session.commit()
    refused = send(b"MZ not audio")
    assert refused.status_code == 422 and "not a recording we can play" in refused.get_data(
        as_text=True
    )
    assert send(wav()).status_code == 302
    listing = admin.get("/admin/audio").get_data(as_text=True)
    assert "<audio" in listing and "mapped_before" in listing
    phone = as_actor(app, "p1")
    assert phone.get("/admin/audio").status_code == 404


def test_one_question_per_page_on_the_server_pages(app, world, as_actor):
    import json

    from webapp.services import questionnaires as questionnaire_service

    from .conftest import FORMS, csrf_token

    document = json.loads((FORMS / "kartlegging.json").read_text())
    document["ui"]["one_question_per_page"] = True
    with app.app_context():
        questionnaire_service.import_document(document)
        db.session.commit()
    phone = as_actor(app, "p1")
    token = csrf_token(phone, "/me/")
    rid = phone.post("/me/q/kartlegging/start", data={"csrf_token": token}).location.split("/")[-1]
    page = phone.get(f"/r/{rid}/2").get_data(as_text=True)
    assert 'name="mapped_before"' in page and 'name="documents_available"' not in page
    assert "Page 2 of" in page


def _resource_rows(client) -> dict[str, tuple[int, ...]]:
    import re

    html = client.get("/admin/translations").get_data(as_text=True)
    rows = re.findall(
        r"<td>Resources</td>\s*<td lang=\"([\w-]+)\">[^<]*</td>\s*"
        r"<td>(\d+) / (\d+)</td>\s*<td>(\d+)</td>",
        html,
    )
    return {lang: tuple(map(int, figures)) for lang, *figures in rows}


def test_the_translation_report_counts_only_the_administrators_own_resources(
    app, world, as_actor, admin2
):
    """Another municipality's resources are not on this administrator's resource list, so
    they are neither counted nor listed as missing here; their own administrator sees them."""
    from webapp.models import StaffUser
    from webapp.services import resource_editing

    from .conftest import english_client, login_staff

    own, other = as_actor(app, "admin1"), english_client(app)
    assert login_staff(other, "admin@b.no").status_code == 302
    before_own, before_other = _resource_rows(own), _resource_rows(other)
    assert before_own["ar"][1] == before_other["ar"][1] > 0  # the national ones, for both
    with app.app_context():
        resource_editing.create(
            db.session.get(StaffUser, admin2),
            resource_editing.ResourceInput(
                url="https://b.kommune.no/norsk", title={"nb": "Norskkurs i B"},
                description={"nb": "Kurs"}, tags=["norwegian"], region="municipality",
                audience="participant", active=True,
            ),
        )  # fmt: skip
        db.session.commit()
    assert _resource_rows(own) == before_own
    after = _resource_rows(other)
    assert after["ar"][1] > before_other["ar"][1] and after["ar"][2] > before_other["ar"][2]
