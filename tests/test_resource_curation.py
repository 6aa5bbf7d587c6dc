"""Administrators curate resources in the browser: their own, with national ones read-only."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Municipality, Questionnaire, Resource, StaffUser
from webapp.services import resource_editing, resources
from webapp.services.resource_editing import ResourceInput

from .conftest import PASSWORD, csrf_token, english_client, login_staff

GOOD = {
    "url": "https://voksenopplaering.example/norsk",
    "title_nb": "Norskkurs i kommunen",
    "description_nb": "Kurs på dagtid og kveld.",
    "title_en": "Norwegian courses in the municipality",
    "description_en": "Courses by day and evening.",
    "tags": "norwegian-course, Education",
    "region": "municipality",
    "audience": "participant",
    "active": "y",
}


def _stored(app) -> list[tuple]:
    with app.app_context():
        return [
            (r.slug, r.url, r.title, r.description, r.tags, r.region, r.active, r.audience)
            for r in db.session.scalars(sa.select(Resource).order_by(Resource.id))
        ]


def _own(app, world, **changes) -> int:
    with app.app_context():
        admin = db.session.get(StaffUser, world.admin1)
        values = {
            "url": "https://a.example/",
            "title": {"nb": "Vår ressurs"},
            "description": {"nb": "Hos oss."},
            "tags": ["norwegian-course"],
            "region": "municipality",
            "audience": "participant",
            "active": True,
        } | changes
        resource = resource_editing.create(admin, ResourceInput(**values))
        db.session.commit()
        return resource.id


def _post(client, path: str, **data):
    token = csrf_token(client, "/admin/resources/new")
    return client.post(path, data={"csrf_token": token, **data})


def test_an_administrator_adds_a_resource_and_counsellors_of_the_municipality_get_it(
    app, world, as_actor
):
    admin = as_actor(app, "admin1")
    response = _post(admin, "/admin/resources/new", **GOOD)
    assert response.status_code == 302
    page = admin.get("/admin/resources").get_data(as_text=True)
    assert "Norwegian courses in the municipality" in page and "Kommune A" in page
    # Its tags are named as tags, and its link says what it does ("Change" read as "Bytt",
    # switch, in bokmål: the language menu's button).
    assert re.search(r"Tags: <span class=\"tags\"><span class=\"tag\" dir=\"ltr\">education<", page)
    assert re.search(r">Edit<span class=\"visually-hidden\"> \(Norwegian courses", page)
    with app.app_context():
        resource = db.session.scalar(
            sa.select(Resource).where(Resource.slug == "norskkurs-i-kommunen")
        )
        assert resource.municipality_id == world.m1
        assert resource.region_municipality_id == world.m1
        assert resource.tags == ["education", "norwegian-course"]
        assert set(resource.title) == {"nb", "en"}
        assert resource.text("title", "ar") == "Norskkurs i kommunen"  # bokmål fallback
        assert (
            db.session.scalar(
                sa.select(AuditEvent.action).where(AuditEvent.target == resource.slug)
            )
            == "resource.create"
        )
        assert resources.applies_to(resource, "Oslo", world.m1)
        assert not resources.applies_to(resource, "Oslo", world.m2)


def test_a_county_resource_reaches_the_whole_county_only(app, world):
    rid = _own(app, world, region="county")
    with app.app_context():
        resource = db.session.get(Resource, rid)
        assert resource.region == "Oslo" and resource.region_municipality_id is None
        assert resources.applies_to(resource, "Oslo", 12345)
        assert not resources.applies_to(resource, "Agder", world.m2)


def test_change_deactivate_and_activate_are_audited(app, world, as_actor):
    rid = _own(app, world)
    admin = as_actor(app, "admin1")
    form = admin.get(f"/admin/resources/{rid}").get_data(as_text=True)
    assert "Vår ressurs" in form
    assert (
        _post(admin, f"/admin/resources/{rid}", **(GOOD | {"title_nb": "Nytt navn"})).status_code
        == 302
    )
    assert _post(admin, f"/admin/resources/{rid}/active").status_code == 302
    with app.app_context():
        assert db.session.get(Resource, rid).active is False
    assert "Inactive" in admin.get("/admin/resources").get_data(as_text=True)
    assert _post(admin, f"/admin/resources/{rid}/active").status_code == 302
    with app.app_context():
        resource = db.session.get(Resource, rid)
        assert resource.active is True and resource.title["nb"] == "Nytt navn"
        actions = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.target == resource.slug)
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "resource.create",
        "resource.update",
        "resource.deactivate",
        "resource.activate",
    ]


def test_suggestions_follow_place_and_active(app, world, admin2):
    """Answers tagged norwegian-training suggest our own resource to our participants only."""
    ours = _own(app, world, tags=["norwegian-training"], title={"nb": "Vår"})
    with app.app_context():
        other = resource_editing.create(
            db.session.get(StaffUser, admin2),
            ResourceInput(
                "https://b.example/",
                {"nb": "Agder"},
                {"nb": "B"},
                ["norwegian-training"],
                "county",
                "participant",
                True,
            ),
        ).id
        db.session.commit()
        definition = db.session.scalar(
            sa.select(Questionnaire).filter_by(slug="kartlegging")
        ).latest.definition
        answers = {"norwegian_training_need": "yes"}

        def suggested(county, municipality_id):
            found = resources.suggest(definition, answers, county, municipality_id)
            return {r.id for r, _tags in found} & {ours, other}

        assert suggested("Oslo", world.m1) == {ours}
        assert suggested("Agder", world.m2) == {other}
        db.session.get(Resource, ours).active = False
        assert suggested("Oslo", world.m1) == set()


BAD = [
    ({"url": "javascript:alert(1)"}, "Please write a full web address starting with https://"),
    ({"url": "ftp://files.example/x"}, "Please write a full web address starting with https://"),
    ({"url": "https://"}, "Please write a full web address starting with https://"),
    ({"url": ""}, "Please write the web address."),
    ({"url": "https://x.example/" + "a" * 500}, "The web address is too long"),
    ({"title_nb": "  "}, "Please write a title in bokmål."),
    ({"description_nb": ""}, "Please write a description in bokmål."),
    ({"title_en": "x" * 201}, "200"),
    ({"tags": "norsk kurs!, ok"}, "A tag can only have small letters"),
    ({"tags": "ok, " + "a" * 500}, "A tag can have at most 40 characters"),
    # A space once split a tag in two without a word: "norsk kurs" matched every answer tagged
    # norsk or kurs. Commas separate tags, as in the builder; a space inside one is refused.
    (
        {"tags": "Tolk, norsk kurs"},
        "A tag cannot have a space. Separate tags with commas, and "
        "join the words of one tag with a hyphen (-): “norsk kurs”",
    ),
    ({"tags": "arbeid praksis"}, "A tag cannot have a space."),
    # Tags a questionnaire's answer options cannot name: the resource would never be suggested.
    ({"tags": "norsk_kurs"}, "A tag can only have small letters a–z, digits and -, and starts"),
    ({"tags": "2-kurs"}, "A tag can only have small letters a–z, digits and -, and starts"),
    ({"url": "https://[::1/"}, "Please write a full web address starting with https://"),
    ({"url": "https://x.example:99999/"}, "Please write a full web address starting with https://"),
    # Shown as https://x.example/moc.knab, it opens bank.com: invisible characters are refused.
    ({"url": "https://x.example/\u202emoc.knab"}, "a space or an invisible character"),
    ({"url": "https://x.example/a b"}, "a space or an invisible character"),
    ({"region": "everywhere"}, "Not a valid choice"),
    ({"audience": "public"}, "Not a valid choice"),
]


def test_tags_are_separated_by_commas_as_the_hint_says(app, world, as_actor):
    admin = as_actor(app, "admin1")
    form = admin.get("/admin/resources/new").get_data(as_text=True)
    assert "Separated by commas." in form
    response = _post(
        admin, "/admin/resources/new", **(GOOD | {"tags": "Tolk,norsk-kurs , ,arbeid"})
    )
    assert response.status_code == 302
    with app.app_context():
        resource = db.session.scalar(
            sa.select(Resource).where(Resource.slug == "norskkurs-i-kommunen")
        )
        assert resource.tags == ["arbeid", "norsk-kurs", "tolk"]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[str(c)[:40] for c, _ in BAD])
def test_bad_input_is_refused_with_a_message_and_nothing_changes(
    app, world, as_actor, change, message
):
    rid = _own(app, world)
    before = _stored(app)
    admin = as_actor(app, "admin1")
    for url in ("/admin/resources/new", f"/admin/resources/{rid}"):
        response = _post(admin, url, **(GOOD | change))
        assert response.status_code == 422, url
        assert message in response.get_data(as_text=True), url
    assert _stored(app) == before


@pytest.fixture
def admin_b(app, world, admin2):
    client = english_client(app)
    assert login_staff(client, "admin@b.no", PASSWORD).status_code == 302
    return client


# (who, whose resource, action) -> status. National resources are read-only to everyone.
ACCESS = [
    ("admin1", "own", "edit", 200),
    ("admin1", "own", "toggle", 302),
    ("admin1", "national", "edit", 404),
    ("admin1", "national", "toggle", 404),
    ("admin1", "other", "edit", 404),
    ("admin1", "other", "toggle", 404),
    ("c1", "own", "edit", 404),
    ("c1", "own", "toggle", 404),
    ("lead1", "own", "edit", 404),
    ("p1", "own", "edit", 404),
    ("anon", "own", "edit", 302),
    ("anon", "own", "toggle", 302),
]


@pytest.mark.parametrize(("who", "whose", "action", "status"), ACCESS)
def test_who_manages_which_resource(app, world, as_actor, admin2, who, whose, action, status):
    own = _own(app, world)
    with app.app_context():
        national = db.session.scalar(
            sa.select(Resource.id).where(Resource.municipality_id.is_(None)).limit(1)
        )
        other_admin = db.session.get(StaffUser, admin2)
        other = resource_editing.create(
            other_admin,
            ResourceInput(
                "https://b.example/", {"nb": "B"}, {"nb": "B"}, [], "county", "participant", True
            ),
        ).id
        db.session.commit()
    rid = {"own": own, "national": national, "other": other}[whose]
    before = _stored(app)
    client = as_actor(app, who)
    if action == "edit":
        got = client.get(f"/admin/resources/{rid}")
    else:
        got = client.post(f"/admin/resources/{rid}/active", data={"csrf_token": _token(client)})
    assert got.status_code == status
    if status != 302 or action == "edit":
        assert _stored(app) == before


def _token(client) -> str:
    for page in ("/admin/resources", "/caseload", "/me/", "/join"):
        response = client.get(page, headers={"Accept": "text/html"})
        if response.status_code == 200:
            return csrf_token(client, page)
    return ""


def test_the_listing_shows_national_ones_read_only_and_hides_other_municipalities(
    app, world, as_actor, admin2
):
    _own(app, world)
    with app.app_context():
        other_admin = db.session.get(StaffUser, admin2)
        resource_editing.create(
            other_admin,
            ResourceInput(
                "https://b.example/",
                {"nb": "Bs egen"},
                {"nb": "B"},
                [],
                "county",
                "participant",
                True,
            ),
        )
        db.session.commit()
        town = db.session.get(Municipality, world.m1)
        assert town.county == "Oslo"
    page = as_actor(app, "admin1").get("/admin/resources").get_data(as_text=True)
    assert "Vår ressurs" in page and "Karriereveiledning.no" in page and "Bs egen" not in page
    # Only the own one can be changed.
    assert len(re.findall(r'href="/admin/resources/\d+"', page)) == 1


def test_a_neighbours_county_resource_is_shown_to_the_counties_administrators_read_only(
    app, world, admin2
):
    """A county-wide resource made by one municipality is suggested to participants of the
    whole county (resources.applies_to): the administrators of the county's other
    municipalities see it in their list too, named by who manages it, and cannot change it."""
    from webapp.services import accounts

    rid = _own(app, world, region="county", title={"nb": "Karrieresenter Oslo"})
    inactive = _own(app, world, region="county", title={"nb": "Gammelt senter"}, active=False)
    just_ours = _own(app, world, title={"nb": "Bare i Kommune A"})
    with app.app_context():
        town = Municipality(name="Kommune C", county="Oslo")
        db.session.add(town)
        db.session.flush()
        accounts.create_staff(
            town, "admin-c@example.org", "Admin C", "administrator", PASSWORD, "en"
        )
        db.session.commit()
    neighbour = english_client(app)
    assert login_staff(neighbour, "admin-c@example.org").status_code == 302
    page = neighbour.get("/admin/resources").get_data(as_text=True)
    assert "Karrieresenter Oslo" in page
    assert "From Kommune A" in re.sub(r"<[^>]+>", "", page)  # the name in <bdi>
    assert "Gammelt senter" not in page and "Bare i Kommune A" not in page
    assert f'/admin/resources/{rid}"' not in page  # no Change link
    assert neighbour.get(f"/admin/resources/{rid}").status_code == 404
    assert inactive and just_ours
    other = english_client(app)  # Kommune B is in another county: none of these
    assert login_staff(other, "admin@b.no").status_code == 302
    assert "Karrieresenter Oslo" not in other.get("/admin/resources").get_data(as_text=True)


def test_a_resource_tag_is_one_a_questionnaire_can_name():
    """The admin's tags and the import's follow the questionnaire format's rule for an answer
    option's resource_tags: "norsk_kurs" was taken for a resource and could never match."""
    import json
    from pathlib import Path

    from webapp.services.resource_editing import TAG_CHARACTERS
    from webapp.services.resources import check_resources

    meta = json.loads(
        (Path(__file__).parent.parent / "webapp/questionnaires/meta-schema.json").read_text()
    )
    [pattern] = _patterns_of_resource_tags(meta)
    assert TAG_CHARACTERS.pattern == pattern
    document = {"format": "loype-resources/1", "resources": [{
        "slug": "x", "url": "https://x.example/", "title": {"nb": "X"},
        "description": {"nb": "X"}, "tags": ["ok-1", "norsk_kurs", "Norsk"]}]}  # fmt: skip
    problems = check_resources(document)
    assert [p.split(":")[0] for p in problems] == ["/resources/0/tags/1", "/resources/0/tags/2"]


def _patterns_of_resource_tags(node) -> list[str]:
    found = []
    if isinstance(node, dict):
        if "resource_tags" in node and isinstance(node["resource_tags"], dict):
            found.append(node["resource_tags"]["additionalProperties"]["items"]["pattern"])
        for value in node.values():
            found += _patterns_of_resource_tags(value)
    elif isinstance(node, list):
        for value in node:
            found += _patterns_of_resource_tags(value)
    return found
