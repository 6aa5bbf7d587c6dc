"""A counsellor shares suggested resources with a personal note; the participant sees them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Participant,
    Questionnaire,
    Resource,
    SharedResource,
    StaffUser,
)
from webapp.services import resource_editing, sharing
from webapp.services import responses as response_service
from webapp.services.resource_editing import ResourceInput

from .conftest import csrf_token


def _response(app, world, name: str = "p1") -> str:
    with app.app_context():
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        person = db.session.get(Participant, getattr(world, name))
        response = response_service.start(person, kartlegging)
        response.answers = {"norwegian_training_need": "yes", "wants_career_guidance": True}
        db.session.commit()
        return response.id


def _resource(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Resource.id).where(Resource.slug == slug))


def _shared(app) -> list[tuple]:
    with app.app_context():
        return [
            (s.participant_id, s.resource_id, s.note)
            for s in db.session.scalars(sa.select(SharedResource).order_by(SharedResource.id))
        ]


def _share(client, rid: str, resource_id, note: str = ""):
    page = f"/responses/{rid}"
    token = csrf_token(client, page)
    return client.post(
        f"{page}/share", data={"csrf_token": token, "resource_id": resource_id, "note": note}
    )


def test_the_counsellor_shares_a_suggestion_and_the_participant_sees_it(app, world, as_actor):
    rid = _response(app, world)
    counsellor = as_actor(app, "c1")
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    assert "Karriereveiledning.no" in page and "Share with the participant" in page
    guidance = _resource(app, "karriereveiledning-no")
    response = _share(counsellor, rid, guidance, "Ring dem før neste møte")
    assert response.status_code == 302
    assert "Shared with the participant" in counsellor.get(f"/responses/{rid}").get_data(
        as_text=True
    )
    phone = as_actor(app, "p1")
    home = phone.get("/me/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "From your counsellor" in home and "Ring dem før neste møte" in home
    assert "national career guidance service" in home  # in the participant's language (en)
    me = phone.get("/api/v1/me").get_json()
    [item] = me["shared_resources"]
    assert item["url"] == "https://karriereveiledning.no/"
    assert item["note"] == "Ring dem før neste møte"
    assert item["title"].startswith("Karriereveiledning.no (national")
    assert set(item) == {"title", "url", "description", "note", "shared_at", "shared_by"}
    assert item["shared_by"] == "Counsellor One"
    # Sharing again replaces the note: one entry per resource.
    assert _share(counsellor, rid, guidance, "Ny lapp").status_code == 302
    assert _shared(app) == [(world.p1, guidance, "Ny lapp")]
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action == "resource.share")
        ).all()
    assert len(actions) == 2


def test_a_missing_language_falls_back_to_bokmaal(app, world):
    with app.app_context():
        admin = db.session.get(StaffUser, world.admin1)
        resource = resource_editing.create(
            admin,
            ResourceInput(
                "https://a.example/",
                {"nb": "Bare bokmål"},
                {"nb": "Tekst"},
                ["norwegian-training"],
                "municipality",
                "participant",
                True,
            ),
        )
        person = db.session.get(Participant, world.p1)
        sharing.share(db.session.get(StaffUser, world.c1), person, resource.id, "")
        [item] = sharing.shared_with(person, "ti")
        assert (item.title, item.description, item.note) == ("Bare bokmål", "Tekst", "")


@pytest.fixture
def others(app, world, admin2):
    """Resources that must not be shared with p1: inactive, staff-only, another place."""
    with app.app_context():
        a1 = db.session.get(StaffUser, world.admin1)
        b1 = db.session.get(StaffUser, admin2)

        def make(admin, audience, active, region="municipality"):
            return resource_editing.create(
                admin,
                ResourceInput(
                    "https://x.example/",
                    {"nb": "X"},
                    {"nb": "X"},
                    ["norwegian-training"],
                    region,
                    audience,
                    active,
                ),
            ).id

        made = {
            "inactive": make(a1, "participant", False),
            "staff_only": make(a1, "counsellor", True),
            "other_municipality": make(b1, "participant", True),
            "missing": 999999,
        }
        db.session.commit()
        return made


BAD = [
    ("note_too_long", "x" * 501, "The note is too long: 501 characters, at most 500."),
    ("inactive", "", "This resource cannot be shared with the participant."),
    ("staff_only", "", "This resource cannot be shared with the participant."),
    ("other_municipality", "", "This resource cannot be shared with the participant."),
    ("missing", "", "This resource cannot be shared with the participant."),
    ("not_a_number", "", "This resource cannot be shared with the participant."),
]


@pytest.mark.parametrize(("which", "note", "message"), BAD, ids=[b[0] for b in BAD])
def test_illegal_shares_are_refused_and_nothing_is_stored(
    app, world, as_actor, others, which, note, message
):
    rid = _response(app, world)
    resource_id = {
        **others,
        "note_too_long": _resource(app, "karriereveiledning-no"),
        "not_a_number": "x",
    }[which]
    counsellor = as_actor(app, "c1")
    response = _share(counsellor, rid, resource_id, note)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _shared(app) == []


# (who, whose response) -> status. Another counsellor's or municipality's participant: 404.
ACCESS = [
    ("c1", "p1", 302),
    ("lead1", "p1", 302),
    ("c2", "p1", 404),
    ("c3", "p1", 404),
    ("admin1", "p1", 404),
    ("c3", "p3", 302),
    ("c1", "p3", 404),
]


@pytest.mark.parametrize(("who", "whose", "status"), ACCESS)
def test_who_may_share_with_whom(app, world, as_actor, who, whose, status):
    rid = _response(app, world, whose)
    guidance = _resource(app, "karriereveiledning-no")
    client = as_actor(app, who)
    token = csrf_token(client, "/caseload" if who != "admin1" else "/admin/resources")
    response = client.post(
        f"/responses/{rid}/share",
        data={"csrf_token": token, "resource_id": guidance, "note": "n"},
    )
    assert response.status_code == status
    assert bool(_shared(app)) == (status == 302)


def test_the_participant_may_not_share_nor_anyone_see_it_in_openapi_without_the_field(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    me = spec["components"]["schemas"]["Me"]
    assert "shared_resources" in me["required"]
    shared = spec["components"]["schemas"]["SharedResource"]
    assert set(shared["properties"]) == {
        "title",
        "url",
        "description",
        "note",
        "shared_at",
        "shared_by",
    }


def _withdraw(client, participant_id: int, resource_id):
    token = csrf_token(client, "/caseload")
    return client.post(
        f"/participants/{participant_id}/shared/{resource_id}/withdraw",
        data={"csrf_token": token},
    )


def test_the_counsellor_withdraws_a_share_and_the_app_no_longer_lists_it(app, world, as_actor):
    rid = _response(app, world)
    guidance = _resource(app, "karriereveiledning-no")
    counsellor = as_actor(app, "c1")
    assert _share(counsellor, rid, guidance, "Ring dem").status_code == 302
    page = counsellor.get(f"/participants/{world.p1}").get_data(as_text=True)
    assert "Resources shared with the participant" in page and "Ring dem" in page
    phone = as_actor(app, "p1")
    assert len(phone.get("/api/v1/me").get_json()["shared_resources"]) == 1

    response = _withdraw(counsellor, world.p1, guidance)
    assert response.status_code == 302
    assert response.location.endswith(f"/participants/{world.p1}#shared-heading")
    page = counsellor.get(f"/participants/{world.p1}").get_data(as_text=True)
    assert "The resource is no longer shared with the participant." in page
    assert "Ring dem" not in page
    assert _shared(app) == []
    assert phone.get("/api/v1/me").get_json()["shared_resources"] == []
    with app.app_context():
        [event] = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "resource.withdraw")
        ).all()
        assert event.actor == f"staff:{world.c1}"
        assert event.target == f"participant:{world.p1}:resource:karriereveiledning-no"


def test_withdrawing_what_is_not_shared_says_so_and_changes_nothing(app, world, as_actor):
    rid = _response(app, world)
    guidance = _resource(app, "karriereveiledning-no")
    counsellor = as_actor(app, "c1")
    response = _withdraw(counsellor, world.p1, guidance)
    assert response.status_code == 302
    page = counsellor.get(response.location).get_data(as_text=True)
    assert "This resource is not shared with the participant. Nothing changed." in page
    with app.app_context():
        assert not db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "resource.withdraw")
        )
    # Shared with p1, withdrawing it through another participant changes nothing either.
    assert _share(counsellor, rid, guidance).status_code == 302
    lead = as_actor(app, "lead1")
    _withdraw(lead, world.p2, guidance)
    assert _shared(app) == [(world.p1, guidance, "")]


# (who) -> status for withdrawing a share with p1 (of c1, in the first municipality).
WITHDRAW_ACCESS = [("c1", 302), ("lead1", 302), ("c2", 404), ("c3", 404), ("admin1", 404)]


@pytest.mark.parametrize(("who", "status"), WITHDRAW_ACCESS)
def test_who_may_withdraw_a_share(app, world, as_actor, who, status):
    rid = _response(app, world)
    guidance = _resource(app, "karriereveiledning-no")
    assert _share(as_actor(app, "c1"), rid, guidance).status_code == 302
    client = as_actor(app, who)
    token = csrf_token(client, "/caseload" if who != "admin1" else "/admin/resources")
    response = client.post(
        f"/participants/{world.p1}/shared/{guidance}/withdraw", data={"csrf_token": token}
    )
    assert response.status_code == status
    assert bool(_shared(app)) == (status != 302)


def test_a_resource_id_no_row_can_have_is_refused_clearly(app, world, as_actor):
    rid = _response(app, world)
    response = _share(as_actor(app, "c1"), rid, "9" * 23)
    assert response.status_code == 422
    assert "This resource cannot be shared with the participant." in response.get_data(as_text=True)
    assert _shared(app) == []
