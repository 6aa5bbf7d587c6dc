"""Pages and API answers that list a participant's records (the participant and response
pages, what the phone restores from, the complete data, the inbox), and the administration's
lists of questionnaires (the questionnaires, translations and recordings pages), send as many
SQL statements for a few records as for hundreds: what they list is loaded in a fixed number
of queries, never one per row."""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Comment,
    NextStep,
    Participant,
    Questionnaire,
    Resource,
    Response,
    Review,
    SharedResource,
    StaffUser,
)
from webapp.questionnaires import translation
from webapp.questionnaires.published import published_versions
from webapp.services import builder, notifications
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service

from .test_caseload import FORMS, _statements


def _add_records_to_p1(app, world, count: int) -> None:
    """Give p1 ``count`` more responses, next steps and shared resources."""
    with app.app_context():
        counsellor = db.session.get(StaffUser, world.c1)
        versions = [
            db.session.scalar(sa.select(Questionnaire).filter_by(slug=slug)).latest
            for slug in ("kartlegging", "muligheter")
        ]
        resources = db.session.scalars(
            sa.select(Resource).where(Resource.audience == "participant")
        ).all()
        shared = set(
            db.session.scalars(
                sa.select(SharedResource.resource_id).filter_by(participant_id=world.p1)
            )
        )
        for n in range(count):
            response = Response(
                id=str(uuid.uuid4()), participant_id=world.p1, version=versions[n % 2],
                status="submitted" if n % 2 else "draft", answers={},
            )  # fmt: skip
            db.session.add(response)
            if n % 2:
                db.session.add(Review(response=response, reviewer=counsellor, status="in_review"))
            db.session.add(
                NextStep(
                    participant_id=world.p1, goal=f"Mål {n}", responsible="participant",
                    due_on=date(2026, 12, 1) + timedelta(days=n % 40 - 20), status="planned",
                    created_by_id=counsellor.id,
                )
            )  # fmt: skip
        for resource in resources[:count]:
            if resource.id not in shared:
                db.session.add(
                    SharedResource(
                        participant_id=world.p1, resource_id=resource.id, note="Les",
                        shared_by_id=counsellor.id,
                    )
                )  # fmt: skip
        db.session.commit()


def test_the_participant_page_does_not_grow_with_responses_steps_and_shares(app, world, as_actor):
    _add_records_to_p1(app, world, 10)
    client = as_actor(app, "c1")
    url = f"/participants/{world.p1}"
    few, html = _statements(app, client, url)
    assert html.count("/responses/") == 10 and html.count('id="step-') == 10
    _add_records_to_p1(app, world, 490)
    many, html = _statements(app, client, url)
    assert html.count("/responses/") == 500 and html.count('id="step-') == 500
    assert many == few, f"{few} statements for 10 responses, {many} for 500"


def _response_with_answers(app, world, name: str, jobs: int) -> str:
    """Return participant ``name``'s mapping with ``jobs`` jobs (4 answers each) and as many
    comments by their counsellor."""
    with app.app_context():
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        person = db.session.get(Participant, getattr(world, name))
        response = response_service.start(person, kartlegging)
        response.answers = {
            "has_work_experience": True,
            "jobs": [
                {"occupation": f"Jobb {n}", "country": "SY", "years": 1, "description": "Bra"}
                for n in range(jobs)
            ],
        }
        for n in range(jobs):
            db.session.add(
                Comment(
                    response=response, author_id=person.counsellor_id, kind="note",
                    body=f"Notat {n}",
                )
            )  # fmt: skip
        db.session.commit()
        return response.id


@pytest.mark.parametrize("query", ["", "?beside=1&hidden=1"])
def test_the_response_page_does_not_grow_with_the_answers(app, world, as_actor, query):
    with app.app_context():  # the participant's language beside the counsellor's
        db.session.execute(sa.update(Participant).values(language="ar"))
        db.session.commit()
    small = _response_with_answers(app, world, "p1", 3)  # 12 answers, 3 comments
    large = _response_with_answers(app, world, "p2", 125)  # 500 answers, 125 comments
    client = as_actor(app, "lead1")  # the lead sees both participants
    few, html = _statements(app, client, f"/responses/{small}{query}")
    assert "Jobb 2" in html and "Notat 2" in html
    many, html = _statements(app, client, f"/responses/{large}{query}")
    assert "Jobb 124" in html and "Notat 124" in html
    assert many == few, f"{few} statements for 12 answers, {many} for 500"


@pytest.mark.parametrize(
    ("who", "url"),
    [("p1", "/api/v1/me"), ("p1", "/me/"), ("p1", "/api/v1/me/export"),
     ("c1", "/participants/{p1}/export.json")],
)  # fmt: skip
def test_a_participants_own_data_does_not_grow_the_statements(app, world, as_actor, who, url):
    """What the phone restores from (every response with its review state and follow-up), the
    participant's home page, and their complete data (the participant's own download and the
    counsellor's): a fixed number of statements, however many responses."""
    _add_records_to_p1(app, world, 10)
    client = as_actor(app, who)
    url = url.format(p1=world.p1)
    few, body = _statements(app, client, url)
    _add_records_to_p1(app, world, 90)
    many, body = _statements(app, client, url)
    if url in ("/api/v1/me", "/api/v1/me/export"):  # the counsellor's questionnaire is not theirs
        assert len(json.loads(body)["responses"]) == 50
    if url.endswith("export.json"):  # the counsellor's download has both
        assert len(json.loads(body)["responses"]) == 100
    assert many == few, f"{few} statements for 10 responses, {many} for 100"


def _notify_p1(app, world, count: int) -> None:
    """Give p1 ``count`` more inbox entries, each about a response or a questionnaire."""
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response = response_service.start(person, kartlegging)
        for n in range(count):
            if n % 2:
                notifications.notify(person, "questionnaire_offered", questionnaire=kartlegging)
            else:
                notifications.notify(person, "message", response)
        db.session.commit()


def test_the_phones_inbox_does_not_grow_the_statements(app, world, as_actor):
    """Each entry names its questionnaire (its own, or its response's): read one by one, that
    was three statements an entry."""
    _notify_p1(app, world, 4)
    client = as_actor(app, "p1")
    few, body = _statements(app, client, "/api/v1/inbox")
    assert len(json.loads(body)["entries"]) == 4
    _notify_p1(app, world, 36)
    many, body = _statements(app, client, "/api/v1/inbox")
    entries = json.loads(body)["entries"]
    assert len(entries) == 40 and {e["questionnaire"] for e in entries} == {"kartlegging"}
    assert many == few, f"{few} statements for 4 entries, {many} for 40"


def _own_questionnaires(app, world, first: int, count: int) -> None:
    """Give the first municipality ``count`` more questionnaires of its own, each published
    twice (two versions), and one more never published (only a draft)."""
    document = json.loads((FORMS / "kartlegging.json").read_text("utf-8"))
    with app.app_context():
        admin = db.session.get(StaffUser, world.admin1)
        for n in range(first, first + count):
            for edition in ("første", "andre"):
                extra = copy.deepcopy(document)
                extra["slug"] = f"egen-{n}"
                for texts in extra["translations"].values():
                    texts["/title"] = f"Egen {n}, {edition} utgave"
                questionnaire_service.import_document(extra, admin.municipality)
        builder.new_questionnaire(admin, f"Uferdig {first}", "participant", "nb")
        db.session.commit()


@pytest.mark.parametrize("url", ["/admin/questionnaires", "/admin/translations", "/admin/audio"])
def test_the_administrations_lists_do_not_grow_with_the_questionnaires(app, world, as_actor, url):
    """Each lists every questionnaire the administrator sees with its latest version's title
    (and, for translations, how complete each language of it is): the versions and the
    documents come in one statement each, not one per questionnaire."""
    _own_questionnaires(app, world, 0, 1)
    client = as_actor(app, "admin1")
    few, html = _statements(app, client, url)
    _own_questionnaires(app, world, 1, 7)
    published_versions.clear()  # a new worker: no document read yet
    many, html = _statements(app, client, url)
    assert "Egen 7, andre utgave" in html and "Egen 7, første" not in html
    if url == "/admin/questionnaires":  # the ones never published, under their draft's title
        assert "Uferdig 0" in html and "Uferdig 1" in html
    assert many == few, f"{few} statements with 3 own questionnaires, {many} with 10"


def test_the_translations_page_counts_what_the_latest_version_lacks(app, world, as_actor):
    """Read from the cached definition's document, each language's figures are those of the
    stored document: here Arabic lacks five texts of the latest version."""
    document = json.loads((FORMS / "kartlegging.json").read_text("utf-8"))
    document["slug"] = "egen"
    for texts in document["translations"].values():
        texts["/title"] = "Egen kartlegging"
    for pointer in list(document["translations"]["ar"])[1:6]:
        del document["translations"]["ar"][pointer]
    with app.app_context():
        admin = db.session.get(StaffUser, world.admin1)
        questionnaire_service.import_document(document, admin.municipality)
        db.session.commit()
        stored = {
            stats.lang: stats
            for stats in translation.report(
                questionnaire_service.find_version("egen").document, app.config["LANGUAGES"]
            )
        }
    assert len(stored["ar"].missing) == len(stored["nn"].missing) + 5
    published_versions.clear()
    html = as_actor(app, "admin1").get("/admin/translations").get_data(as_text=True)
    rows = re.findall(
        r"<td>Egen kartlegging</td>\s*<td lang=\"([\w-]+)\">[^<]*</td>\s*"
        r"<td>(\d+) / (\d+)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>",
        html,
    )
    shown = {lang.replace("-", "_"): tuple(map(int, figures)) for lang, *figures in rows}
    assert shown == {
        lang: (stats.done, stats.total, len(stats.missing), len(stats.outdated))
        for lang, stats in stored.items()
    }


def _notify_c1(app, world, count: int) -> None:
    """Give c1 ``count`` more inbox entries about p1's responses to both questionnaires."""
    with app.app_context():
        counsellor = db.session.get(StaffUser, world.c1)
        versions = [
            db.session.scalar(sa.select(Questionnaire).filter_by(slug=slug)).latest
            for slug in ("kartlegging", "muligheter")
        ]
        for n in range(count):
            response = Response(
                id=str(uuid.uuid4()), participant_id=world.p1, version=versions[n % 2],
                status="submitted", answers={},
            )  # fmt: skip
            db.session.add(response)
            db.session.flush()
            notifications.notify(counsellor, "submission", response)
        db.session.commit()


def test_the_counsellors_inbox_names_whom_without_growing_the_statements(app, world, as_actor):
    """Each entry about a response names its participant and questionnaire (an exploratory
    tester read "A participant sent in their answers." four times, with four "Open" buttons)."""
    _notify_c1(app, world, 4)
    client = as_actor(app, "c1")
    few, body = _statements(app, client, "/inbox")
    with app.app_context():
        name = db.session.get(Participant, world.p1).display_name
    about = re.findall(r'<p class="about">(.*?)</p>', body)
    assert sorted(about) == sorted(
        [f"<bdi>{name}</bdi>: <bdi>Mapping: who are you, and what do you want?</bdi>",
         f"<bdi>{name}</bdi>: <bdi>Opportunities locally, regionally and nationally</bdi>"] * 2
    )  # fmt: skip
    # Each "Open" is named by whom it opens, for a screen reader's list of buttons.
    opens = r'action="/inbox/[^"]+">.*?<button type="submit">(.*?)</button>'
    buttons = re.findall(opens, body, re.S)
    assert buttons == [f'Open<span class="visually-hidden"> <bdi>{name}</bdi></span>'] * 4
    _notify_c1(app, world, 36)
    many, body = _statements(app, client, "/inbox")
    assert len(re.findall(r'<p class="about">', body)) == 40
    assert many == few, f"{few} statements for 4 entries, {many} for 40"
