"""The builder's services: whose questionnaire it is, what participants are offered, draft
operations, the check on every save, stale edits, publishing and retiring, and bad input."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import sqlalchemy as sa

from webapp.builder.messages import EDIT_OTHER, edit_message, problem_view
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Municipality,
    Participant,
    QuestionAudio,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    StaffUser,
)
from webapp.models.types import utcnow
from webapp.questionnaires import check_document, editing
from webapp.questionnaires.definition import content_hash
from webapp.questionnaires.editing import EditError
from webapp.services import accounts, builder
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service

from .conftest import PASSWORD, csrf_token, join, login_staff


def q(slug: str) -> Questionnaire:
    return db.session.scalar(sa.select(Questionnaire).where(Questionnaire.slug == slug))


def staff(world, name: str) -> StaffUser:
    return db.session.get(StaffUser, getattr(world, name))


def small_draft(admin: StaffUser) -> Any:
    """A questionnaire of the admin's municipality with a section, a choice and a text."""
    questionnaire = builder.new_questionnaire(admin, "Jobb i kommunen", "participant", "nb")
    draft = questionnaire.draft
    for op, args in [
        ("add_section", {"title": "Om jobb"}),
        ("add_question", {"section": "om_jobb", "widget": "choice", "title": "Vil du jobbe?",
                          "options": ["Ja", "Nei"]}),
        ("add_question", {"section": "om_jobb", "widget": "text", "title": "Hvilken jobb?"}),
        ("set_question", {"question": "hvilken_jobb",
                          "visible_if": {"question": "vil_du_jobbe", "equals": "ja"}}),
    ]:  # fmt: skip
        builder.apply_operation(draft, admin, draft.revision, op, args)
    return draft


# ----------------------------------------------------------------------------- ownership


def test_templates_are_read_only_and_copied_with_everything(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        template = q("kartlegging")
        assert template.is_template and not questionnaire_service.may_edit(admin, template)
        with pytest.raises(LookupError):
            builder.draft_for(admin, template)
        db.session.add(
            QuestionAudio(questionnaire=template, question_id="mapped_before", lang="ar",
                          mimetype="audio/ogg", data=b"OggS-clip", sha256="0" * 64)
        )  # fmt: skip
        copy = questionnaire_service.copy_questionnaire(admin, template)
        db.session.commit()
        assert copy.slug == "kartlegging-kommune-a" and copy.municipality_id == world.m1
        document = copy.draft.document
        original = template.latest.document
        assert document["translations"] == original["translations"]
        assert document["ui"] == original["ui"]  # pictograms, resource tags, conditions
        assert document["slug"] == copy.slug and check_document(document) == []
        clips = db.session.scalars(
            sa.select(QuestionAudio).where(QuestionAudio.questionnaire_id == copy.id)
        ).all()
        assert [(c.question_id, c.lang, c.data) for c in clips] == [
            ("mapped_before", "ar", b"OggS-clip")
        ]
        # The template itself did not change, and a second copy gets its own slug.
        assert template.latest.document == original and len(template.versions) == 1
        again = questionnaire_service.copy_questionnaire(admin, template)
        assert again.slug == "kartlegging-kommune-a-2"
        actions = db.session.scalars(sa.select(AuditEvent.target).where(
            AuditEvent.action == "questionnaire.copy").order_by(AuditEvent.id)).all()  # fmt: skip
        assert actions == ["kartlegging->kartlegging-kommune-a",
                           "kartlegging->kartlegging-kommune-a-2"]  # fmt: skip


ADMIN_PAGES = [
    ("GET", "/admin/builder/{slug}"),
    ("GET", "/admin/builder/{slug}/draft.json"),
    ("GET", "/admin/builder/{slug}/preview/ar.json"),
    ("GET", "/admin/builder/{slug}/publish"),
    ("POST", "/admin/questionnaires/{slug}/copy"),
    ("POST", "/admin/questionnaires/{slug}/retire"),
    ("GET", "/admin/questionnaires/{slug}/1.json"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_another_municipality_never_sees_a_questionnaire(app, world, admin2, method, path):
    with app.app_context():
        draft = small_draft(staff(world, "admin1"))
        slug = draft.questionnaire.slug
        builder.publish(draft, staff(world, "admin1"), draft.revision)
        db.session.commit()
    own, other = app.test_client(), app.test_client()
    login_staff(own, "admin@a.no")
    login_staff(other, "admin@b.no")
    url = path.format(slug=slug)
    for client, expected in ((other, {404}), (own, {200, 302})):
        if method == "GET":
            status = client.get(url).status_code
        else:
            token = csrf_token(client, "/admin/questionnaires")
            status = client.post(url, data={"csrf_token": token}).status_code
        assert status in expected, (client is own, url, status)
    listing = other.get("/admin/questionnaires").get_data(as_text=True)
    assert slug not in listing and "kartlegging" in listing


def test_an_operation_on_another_municipalitys_draft_is_not_found(app, world, admin2):
    with app.app_context():
        draft = small_draft(staff(world, "admin1"))
        slug, revision = draft.questionnaire.slug, draft.revision
        db.session.commit()
        with pytest.raises(LookupError):
            builder.apply_operation(
                draft, db.session.get(StaffUser, admin2), revision, "add_section", {"title": "X"}
            )
    other = app.test_client()
    login_staff(other, "admin@b.no")
    token = csrf_token(other, "/admin/questionnaires")
    response = other.post(
        f"/admin/builder/{slug}/operations",
        json={"revision": revision, "op": "add_section", "args": {"title": "Inn"}},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 404
    with app.app_context():
        assert q(slug).draft.revision == revision


# ------------------------------------------------------------------------------ offering


def _publish_own(app, world, offered_to: str) -> str:
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        if offered_to != "unpublished":
            builder.publish(draft, admin, draft.revision)
            questionnaire_service.set_offer(admin, draft.questionnaire, offered_to)
        db.session.commit()
        return draft.questionnaire.slug


OFFERS = [
    # (what municipality A did, assigned to p1?, what p1 is offered, what p3 in B is offered)
    ("nothing", False, ["kartlegging"], ["kartlegging"]),
    ("unpublished", False, ["kartlegging"], ["kartlegging"]),
    ("none", False, ["kartlegging"], ["kartlegging"]),
    ("all", False, ["OWN"], ["kartlegging"]),
    ("assigned", False, [], ["kartlegging"]),
    ("assigned", True, ["OWN"], ["kartlegging"]),
    ("retired", False, ["kartlegging"], ["kartlegging"]),
]


@pytest.mark.parametrize(("done", "assigned", "p1_sees", "p3_sees"), OFFERS)
def test_what_participants_are_offered(app, world, done, assigned, p1_sees, p3_sees):
    slug = "" if done == "nothing" else _publish_own(app, world, "all" if done == "retired"
                                                        else done)  # fmt: skip
    with app.app_context():
        if done == "retired":
            questionnaire_service.retire(staff(world, "admin1"), q(slug))
        if assigned:
            p1 = db.session.get(Participant, world.p1)
            questionnaire_service.assign(staff(world, "c1"), p1, q(slug))
        db.session.commit()
        for name, expected in (("p1", p1_sees), ("p3", p3_sees)):
            person = db.session.get(Participant, getattr(world, name))
            offered = [x.slug for x in questionnaire_service.offered_questionnaires(person)]
            assert offered == [slug if s == "OWN" else s for s in expected], name
    # The phone's list (/api/v1/me) and the server page follow the same rule.
    phone = app.test_client()
    assert join(phone, world.codes["p1"]).status_code == 302
    listed = [x["slug"] for x in phone.get("/api/v1/me").json["questionnaires"]]
    assert listed == [slug if s == "OWN" else s for s in p1_sees]
    token = csrf_token(phone, "/me/")
    for candidate in {"kartlegging", slug} - {""}:
        started = phone.post(f"/me/q/{candidate}/start", data={"csrf_token": token})
        offered = candidate in listed
        assert started.status_code == (302 if offered else 404), candidate


def test_existing_responses_stay_after_the_municipality_offers_its_own(app, world):
    with app.app_context():
        p1 = db.session.get(Participant, world.p1)
        old = response_service.start(p1, q("kartlegging"))
        db.session.commit()
        old_id = old.id
    slug = _publish_own(app, world, "all")
    phone = app.test_client()
    join(phone, world.codes["p1"])
    me = phone.get("/api/v1/me").json
    assert [x["slug"] for x in me["questionnaires"]] == sorted(["kartlegging", slug])
    assert [r["id"] for r in me["responses"]] == [old_id]
    page = phone.get("/me/").get_data(as_text=True)
    assert f"/r/{old_id}" in page  # the open draft can be finished
    assert phone.get(f"/r/{old_id}/1").status_code == 200


def test_a_participant_cannot_fetch_another_municipalitys_document(app, world):
    slug = _publish_own(app, world, "all")
    own, other = app.test_client(), app.test_client()
    join(own, world.codes["p1"])
    join(other, world.codes["p3"])
    url = f"/api/v1/questionnaires/{slug}/versions/1"
    assert own.get(url).status_code == 200
    assert other.get(url).status_code == 404


def test_retired_questionnaires_start_no_new_responses_but_finish_old_ones(app, world):
    slug = _publish_own(app, world, "all")
    with app.app_context():
        p1 = db.session.get(Participant, world.p1)
        open_draft = response_service.start(p1, q(slug))
        questionnaire_service.retire(staff(world, "admin1"), q(slug))
        db.session.commit()
        draft_id = open_draft.id
        p2 = db.session.get(Participant, world.p2)
        assert q(slug) not in questionnaire_service.offered_questionnaires(p2)
    phone = app.test_client()
    join(phone, world.codes["p1"])
    token = csrf_token(phone, "/me/")
    resumed = phone.post(f"/me/q/{slug}/start", data={"csrf_token": token})
    assert resumed.status_code == 302 and draft_id in resumed.headers["Location"]
    other = app.test_client()
    join(other, world.codes["p2"])
    token = csrf_token(other, "/me/")
    assert other.post(f"/me/q/{slug}/start", data={"csrf_token": token}).status_code == 404


# ---------------------------------------------------------------------------- operations


def _doc() -> dict[str, Any]:
    document = editing.new_document("jobb", "Jobb", "participant", "nb")
    document["languages"] = ["nb", "en"]
    document, _ = editing.apply(document, "add_section", {"title": "Første"})
    document, _ = editing.apply(document, "add_section", {"title": "Andre"})
    for title, widget in (("Alder", "number"), ("Bor du alene?", "yesno")):
        document, _ = editing.apply(
            document, "add_question", {"section": "forste", "widget": widget, "title": title}
        )
    document, _ = editing.apply(
        document, "add_question",
        {"section": "andre", "widget": "choice", "title": "Farge", "options": ["Rød", "Blå"]},
    )  # fmt: skip
    document["translations"] = {"en": {
        "/ui/sections/0/title": "First", "/ui/sections/1/title": "Second",
        "/schema/properties/farge/title": "Colour",
        "/schema/properties/farge/oneOf/0/title": "Red",
        "/schema/properties/farge/oneOf/1/title": "Blue",
    }}  # fmt: skip
    assert check_document(document) == []
    return document


def _en(document: dict[str, Any]) -> dict[str, str]:
    return document["translations"]["en"]


OPERATIONS = [
    # (op, args, what must hold afterwards)
    ("move_section", {"section": "forste", "delta": 1},
     lambda d: [s["id"] for s in d["ui"]["sections"]] == ["andre", "forste"]
     and _en(d)["/ui/sections/0/title"] == "Second"),
    ("duplicate_section", {"section": "andre"},
     lambda d: d["ui"]["sections"][2]["items"] == ["farge_2"]
     and _en(d)["/ui/sections/2/title"] == "Second"
     and _en(d)["/schema/properties/farge_2/oneOf/1/title"] == "Blue"),
    ("delete_section", {"section": "forste"},
     lambda d: list(d["schema"]["properties"]) == ["farge"]
     and _en(d)["/ui/sections/0/title"] == "Second"),
    ("add_question", {"section": "andre", "widget": "date", "title": "Når?", "position": 0},
     lambda d: d["ui"]["sections"][1]["items"] == ["nar", "farge"]
     and d["schema"]["properties"]["nar"] == {"title": "Når?", "type": "string", "format": "date"}),
    ("duplicate_question", {"question": "alder"},
     lambda d: d["ui"]["sections"][0]["items"] == ["alder", "alder_2", "bor_du_alene"]),
    ("delete_question", {"question": "bor_du_alene"},
     lambda d: "bor_du_alene" not in d["schema"]["properties"]
     and "bor_du_alene" not in d["ui"]["questions"]),
    ("move_question", {"question": "bor_du_alene", "delta": -1},
     lambda d: d["ui"]["sections"][0]["items"] == ["bor_du_alene", "alder"]),
    ("move_question_to_section", {"question": "alder", "section": "andre"},
     lambda d: d["ui"]["sections"][1]["items"] == ["farge", "alder"]),
    ("set_question", {"question": "alder", "required": True, "minimum": 16, "maximum": 67,
                      "help": "I år", "icon": "info"},
     lambda d: d["schema"]["required"] == ["alder"]
     and d["schema"]["properties"]["alder"]["minimum"] == 16
     and d["ui"]["questions"]["alder"]["help"] == "I år"),
    ("set_question", {"question": "farge", "widget": "multichoice"},
     lambda d: [o["const"] for o in d["schema"]["properties"]["farge"]["items"]["anyOf"]]
     == ["rod", "bla"] and _en(d)["/schema/properties/farge/items/anyOf/0/title"] == "Red"),
    ("set_question", {"question": "farge", "resource_tags": {"rod": ["work", " "]},
                      "option_icons": {"bla": "heart"}},
     lambda d: d["ui"]["questions"]["farge"]["resource_tags"] == {"rod": ["work"]}
     and d["ui"]["questions"]["farge"]["option_icons"] == {"bla": "heart"}),
    ("set_question", {"question": "farge",
                      "visible_if": {"any": [
                          {"question": "alder", "in": [20, 30]},
                          {"not": {"question": "bor_du_alene", "equals": True}}]}},
     lambda d: "any" in d["ui"]["questions"]["farge"]["visible_if"]),
    ("rename_question", {"question": "farge", "new_id": "favorittfarge"},
     lambda d: d["ui"]["sections"][1]["items"] == ["favorittfarge"]
     and _en(d)["/schema/properties/favorittfarge/oneOf/0/title"] == "Red"),
    ("add_option", {"question": "farge", "title": "Rød"},
     lambda d: [o["const"] for o in d["schema"]["properties"]["farge"]["oneOf"]]
     == ["rod", "bla", "rod_2"]),
    ("set_option", {"question": "farge", "index": 0, "value": "red", "title": "Rødt"},
     lambda d: d["schema"]["properties"]["farge"]["oneOf"][0] == {"const": "red", "title": "Rødt"}
     and _en(d)["/schema/properties/farge/oneOf/0/title"] == "Red"),
    ("delete_option", {"question": "farge", "index": 0},
     lambda d: d["schema"]["properties"]["farge"]["oneOf"] == [{"const": "bla", "title": "Blå"}]
     and _en(d)["/schema/properties/farge/oneOf/0/title"] == "Blue"),
    # The copy keeps the option's translations (builder.md: "and into duplicates").
    ("duplicate_option", {"question": "farge", "index": 1},
     lambda d: [o["const"] for o in d["schema"]["properties"]["farge"]["oneOf"]]
     == ["rod", "bla", "bla_2"] and _en(d)["/schema/properties/farge/oneOf/2/title"] == "Blue"),
    ("duplicate_option", {"question": "farge", "index": 0},
     lambda d: [_en(d)[f"/schema/properties/farge/oneOf/{n}/title"] for n in range(3)]
     == ["Red", "Red", "Blue"]),
    ("move_option", {"question": "farge", "index": 1, "delta": -1},
     lambda d: [o["const"] for o in d["schema"]["properties"]["farge"]["oneOf"]] == ["bla", "rod"]
     and _en(d)["/schema/properties/farge/oneOf/0/title"] == "Blue"),
    ("set_meta", {"title": "Arbeid", "languages": ["nb", "en", "ar"]},
     lambda d: d["title"] == "Arbeid" and d["languages"] == ["nb", "en", "ar"]),
    ("set_section", {"section": "andre", "visible_if": {"question": "alder", "answered": True}},
     lambda d: d["ui"]["sections"][1]["visible_if"] == {"question": "alder", "answered": True}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("op", "args", "holds"), OPERATIONS, ids=[f"{o}-{i}" for i, (o, _, _) in enumerate(OPERATIONS)]
)
def test_operations(op, args, holds):
    before = _doc()
    kept = json.dumps(before, sort_keys=True)
    after, _ = editing.apply(before, op, args)
    assert holds(after)
    assert json.dumps(before, sort_keys=True) == kept  # the input is never changed
    problems = {p.code for p in check_document(after)}
    if _option_text_twice(after):
        # An option added or copied with another's text is kept, and reported until one of
        # them changes: a participant could not tell the two apart.
        assert problems and problems <= {"same_option_text", "same_option_text_translated"}, op
    else:
        assert problems == set(), op


def _option_text_twice(document: dict) -> bool:
    """Return whether two options of one choice question have the same text."""
    for schema in document["schema"]["properties"].values():
        titles = [o["title"] for o in schema.get("oneOf", [])]
        if len(set(titles)) < len(titles):
            return True
    return False


@pytest.mark.parametrize(
    "there_and_back",
    [
        [("set_question", {"question": "navn", "required": True}),
         ("set_question", {"question": "navn", "required": False})],
        [("delete_question", {"question": "alder"}),
         ("add_question", {"section": "om_deg", "widget": "date", "title": "Alder"})],
        [("add_question", {"section": "om_deg", "widget": "group", "title": "Barn"}),
         ("add_question", {"section": None, "parent": "barn", "widget": "text", "title": "Navn"}),
         ("set_question", {"question": "barn/navn", "required": True}),
         ("delete_question", {"question": "barn/navn"}),
         ("delete_question", {"question": "barn"})],
    ],
)  # fmt: skip
def test_a_change_taken_back_leaves_the_document_as_it_was(there_and_back):
    """Nothing is left behind (an empty list of required questions once was): publishing
    such a draft says nothing changed instead of making a version that reads the same."""
    document = editing.new_document("x", "X", "participant", "nb")
    for op, args in [
        ("add_section", {"title": "Om deg"}),
        ("add_question", {"section": "om_deg", "widget": "text", "title": "Navn"}),
        ("add_question", {"section": "om_deg", "widget": "date", "title": "Alder"}),
    ]:
        document, _ = editing.apply(document, op, args)
    before = copy.deepcopy(document)
    for op, args in there_and_back:
        document, _ = editing.apply(document, op, args)
    assert content_hash(document) == content_hash(before), (document, before)


def test_a_group_gets_child_questions():
    document, ref = editing.apply(
        _doc(), "add_question", {"section": "andre", "widget": "group", "title": "Jobber"}
    )
    document, child = editing.apply(
        document, "add_question", {"section": None, "parent": ref, "widget": "text",
                                   "title": "Arbeidsgiver"})  # fmt: skip
    assert child == "jobber/arbeidsgiver"
    document, _ = editing.apply(document, "set_question", {"question": child, "required": True})
    assert document["schema"]["properties"]["jobber"]["items"]["required"] == ["arbeidsgiver"]
    assert check_document(document) == []
    assert editing.question_refs(document)[-1] == "jobber/arbeidsgiver"


REFUSED = [
    ("add_question", {"section": "andre", "widget": "slider", "title": "X"}, "unknown_widget"),
    ("add_question", {"section": "andre", "widget": "text", "title": "X", "id": "alder"},
     "id_taken"),
    ("add_question", {"section": "andre", "widget": "text", "title": "X", "id": "Alder!"},
     "bad_id"),
    ("rename_question", {"question": "farge", "new_id": "alder"}, "id_taken"),
    ("move_section", {"section": "forste", "delta": -1}, "cannot_move"),
    ("add_option", {"question": "alder", "title": "X"}, "no_options"),
    ("set_option", {"question": "farge", "index": 1, "value": "rod"}, "value_taken"),
    ("set_question", {"question": "alder", "pattern": "^a$"}, "limit_not_for_widget"),
    ("set_question", {"question": "alder", "title": " "}, "title_needed"),
    ("set_question", {"question": "farge", "visible_if": {"question": "farge", "equals": "rod"}},
     "condition_on_itself"),
    ("set_question", {"question": "farge", "visible_if": {"question": "gone", "equals": 1}},
     "no_question"),
    ("set_question", {"question": "alder", "visible_if": {"question": "farge", "contains": "rod"}},
     "operator_not_for_widget"),
    ("set_question", {"question": "alder", "visible_if": {"question": "farge", "equals": "gul"}},
     "no_such_option"),
    ("set_question", {"question": "alder", "visible_if": "farge == 'rod'"}, "bad_condition"),
    ("set_question", {"question": "alder", "visible_if": {"js": "alert(1)"}}, "bad_condition"),
    ("set_question", {"question": "alder", "colour": "red"}, "unknown_field"),
    ("explode", {}, "unknown_operation"),
    ("move_question", {"question": "alder"}, "bad_arguments"),
    # Babel knows no such language: every page of the draft named it and failed (a 500).
    ("set_meta", {"languages": ["nb", "zz"]}, "unknown_language"),
    ("set_meta", {"languages": ["nb", "en-US"]}, "unknown_language"),
    ("set_meta", {"languages": ["nb", ""]}, "unknown_language"),
    ("set_meta", {"languages": ["en"]}, "source_language_needed"),
    # Arguments of the wrong kind that did not fail by themselves.
    ("rename_question", {"question": ["farge"], "new_id": "x"}, "bad_arguments"),
    ("rename_question", {"question": {"a": 1}, "new_id": "x"}, "bad_arguments"),
    ("add_question", {"section": "andre", "widget": "choice", "title": "X", "options": "Ja"},
     "bad_arguments"),
    ("move_option", {"question": "farge", "index": True, "delta": 1}, "bad_arguments"),
    # A rename of nothing answered "saved" and changed nothing; "alder/x" made alder a group.
    ("rename_question", {"question": "gone", "new_id": "x"}, "no_question"),
    ("rename_question", {"question": "alder/x", "new_id": "y"}, "no_question"),
    # Option values are texts or whole numbers: the others were published.
    ("add_option", {"question": "farge", "title": "X", "value": {"a": 1}}, "option_value"),
    ("add_option", {"question": "farge", "title": "X", "value": [1]}, "option_value"),
    ("add_option", {"question": "farge", "title": "X", "value": 1.5}, "option_value"),
    ("add_option", {"question": "farge", "title": "X", "value": True}, "option_value"),
    ("add_option", {"question": "farge", "title": "X", "value": " "}, "option_value"),
    ("set_option", {"question": "farge", "index": 0, "value": False}, "option_value"),
    ("set_option", {"question": "farge", "index": 0, "value": None}, "option_value"),
    ("add_question", {"section": "andre", "widget": "choice", "title": "X",
                      "options": [f"o{n}" for n in range(editing.MAX_OPTIONS + 1)]},
     "too_many_options"),
]  # fmt: skip


@pytest.mark.parametrize(("op", "args", "code"), REFUSED, ids=[c for _, _, c in REFUSED])
def test_refused_operations(app, op, args, code):
    document = _doc()
    with pytest.raises(EditError) as refused:
        editing.apply(document, op, args)
    assert refused.value.code == code
    assert document == _doc()  # nothing changed
    with app.test_request_context(headers={"Accept-Language": "en"}):
        # Each refusal says what is wrong in the administrator's words, not the catch-all.
        message = edit_message(refused.value)
    if code not in ("unknown_operation", "bad_arguments"):
        assert message != str(EDIT_OTHER) and "%(" not in message, message


def test_a_question_may_have_the_most_options_and_no_more():
    document, ref = editing.apply(_doc(), "add_question", {
        "section": "andre", "widget": "multichoice", "title": "Mange",
        "options": [f"Valg {n}" for n in range(editing.MAX_OPTIONS)]})  # fmt: skip
    assert len(document["schema"]["properties"][ref]["items"]["anyOf"]) == editing.MAX_OPTIONS
    with pytest.raises(EditError) as refused:
        editing.apply(document, "add_option", {"question": ref, "title": "En til"})
    assert refused.value.code == "too_many_options"


def test_a_rename_with_a_list_for_a_name_is_refused_not_a_500(app, world):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        revision = draft.revision
        with pytest.raises(EditError) as refused:
            builder.apply_operation(
                draft, admin, revision, "rename_question", {"question": ["x"], "new_id": "y"}
            )
        assert refused.value.code == "bad_arguments" and draft.revision == revision


@pytest.mark.parametrize(
    ("label", "taken", "expected"),
    [("Bor du alene?", set(), "bor_du_alene"), ("Æøå", set(), "aeoa"),
     ("Alder", {"alder", "alder_2"}, "alder_3"), ("هل", set(), "question"),
     ("2 barn", set(), "q_2_barn")],
)  # fmt: skip
def test_ids_are_made_from_labels(label, taken, expected):
    assert editing.unique_id(label, taken) == expected


# ------------------------------------------------------------------ saving, checking, stale


def _admin_draft(app, world):
    admin = staff(world, "admin1")
    return admin, small_draft(admin)


def _problem_messages(app, draft) -> list[tuple[dict, str]]:
    """Return (element, message) of each problem, in English as an administrator reads them."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        views = [problem_view(p) for p in builder.problems_of(draft)]
    return [(v["element"], v["message"]) for v in views]


def _json_with(draft, change) -> str:
    document = json.loads(json.dumps(draft.document))
    change(document)
    return json.dumps(document)


def _cycle(d):
    d["ui"]["questions"]["vil_du_jobbe"]["visible_if"] = {"question": "hvilken_jobb",
                                                          "answered": True}  # fmt: skip


BAD_INPUT = [
    # (what is sent as the JSON view's text, element the problem is at, words in the message)
    (lambda d: '{"title": "Jobb", ', {"kind": "questionnaire"}, "cannot be read (line 1"),
    (lambda d: "[1, 2]", {"kind": "questionnaire"}, "must be one questionnaire"),
    # Python's parser takes Infinity and NaN; the database's JSON column refused them (a 500).
    (lambda d: _json_with(d, lambda x: x["schema"]["properties"]["hvilken_jobb"].update(
        maxLength=float("inf"))), {"kind": "questionnaire"}, "cannot be read (line"),
    (lambda d: "[" * 5000 + "]" * 5000, {"kind": "questionnaire"},
     "cannot be read (line 1, column 65)"),
    (lambda d: _json_with(d, _cycle), {"kind": "question", "id": ("hvilken_jobb", "vil_du_jobbe")},
     "depend on each other in a circle"),
    (lambda d: _json_with(d, lambda x: x["ui"]["sections"][0]["items"].append("vil_du_jobbe")),
     {"kind": "section", "index": "0"}, "“vil_du_jobbe” is used twice"),
    (lambda d: _json_with(d, lambda x: x["schema"]["properties"]["hvilken_jobb"].update(
        pattern="(?P<år>[0-9]{4})")), {"kind": "question", "id": "hvilken_jobb"},
     "named groups (?P<name>…) are Python-only"),
    # Escapes Python reads but UTF-8 and PostgreSQL cannot hold (the first was a 500).
    (lambda d: _json_with(d, lambda x: x.update(title="Jobb \ud800")), {"kind": "questionnaire"},
     "cannot be read (line 1"),
    (lambda d: _json_with(d, lambda x: x.update(title="Jobb \x00")), {"kind": "questionnaire"},
     "cannot be read (line 1"),
    (lambda d: _json_with(d, lambda x: x.update(languages=["nb", "zz"])),
     {"kind": "questionnaire"}, "“zz” is not a language code Løype knows"),
    (lambda d: _json_with(d, lambda x: x["schema"]["properties"]["vil_du_jobbe"]["oneOf"][0]
                          .update(const={"ja": True})),
     {"kind": "question", "id": "vil_du_jobbe"}, "cannot be stored with an answer"),
    (lambda d: _json_with(d, lambda x: x["schema"]["properties"]["vil_du_jobbe"]["oneOf"][0]
                          .update(const=1)),
     {"kind": "question", "id": "vil_du_jobbe"}, "cannot be stored with an answer"),
]  # fmt: skip


def _at(found: dict, expected: dict) -> bool:
    """Whether a problem is at the expected element (any of several ids, when a tuple)."""
    ids = expected.get("id")
    return {k: v for k, v in found.items() if k != "id"} == {
        k: v for k, v in expected.items() if k != "id"
    } and (ids is None or found.get("id") in (ids if isinstance(ids, tuple) else (ids,)))


@pytest.mark.parametrize(("text", "element", "words"), BAD_INPUT)
def test_bad_json_is_kept_and_reported_at_its_element(app, world, text, element, words):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        before = json.loads(json.dumps(draft.document))
        sent = text(draft)
        result = builder.replace_document(draft, admin, draft.revision, sent)
        db.session.commit()
        views = _problem_messages(app, result.draft)
        assert any(_at(e, element) and words in m for e, m in views), views
        if result.draft.source_text is not None:  # unparseable: kept verbatim, document as was
            assert result.draft.source_text == sent and result.draft.document == before
            with pytest.raises(EditError) as pending:
                builder.apply_operation(draft, admin, draft.revision, "add_section", {"title": "X"})
            assert pending.value.code == "json_pending"
        with pytest.raises(builder.PublishRefused):
            builder.publish(draft, admin, draft.revision)


def test_a_condition_on_a_deleted_question_is_reported_at_the_condition(app, world):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        result = builder.apply_operation(
            draft, admin, draft.revision, "delete_question", {"question": "vil_du_jobbe"}
        )
        assert _problem_messages(app, result.draft) == [(
            {"kind": "question", "id": "hvilken_jobb"},
            "This condition uses the question “vil_du_jobbe”, which does not exist any more. "
            "Choose another question or remove the condition.",
        )]  # fmt: skip


def test_a_document_over_the_size_limit_changes_nothing(app, world):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        revision, before = draft.revision, json.loads(json.dumps(draft.document))
        huge = _json_with(draft, lambda d: d.update(description="x" * builder.MAX_DOCUMENT_BYTES))
        with pytest.raises(builder.DraftTooLarge):
            builder.replace_document(draft, admin, revision, huge)
        with pytest.raises(builder.DraftTooLarge):
            builder.apply_operation(
                draft,
                admin,
                revision,
                "set_meta",
                {"description": "y" * builder.MAX_DOCUMENT_BYTES},
            )
        db.session.rollback()
        assert draft.revision == revision and draft.document == before


def test_a_stale_edit_is_refused_with_the_changes_made_since(app, world):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        seen = draft.revision
        builder.apply_operation(draft, admin, seen, "add_section", {"title": "Mer"})
        db.session.commit()
        with pytest.raises(builder.StaleDraft) as stale:
            builder.apply_operation(draft, admin, seen, "add_section", {"title": "Enda mer"})
        assert [(c.revision, c.summary) for c in stale.value.changes] == [
            (seen + 1, {"op": "add_section", "target": "Mer"})
        ]
        assert [s["title"] for s in draft.document["ui"]["sections"]] == ["Om jobb", "Mer"]
    client = app.test_client()
    login_staff(client, "admin@a.no")
    token = csrf_token(client, "/admin/questionnaires")
    refused = client.post(
        "/admin/builder/jobb-i-kommunen/operations",
        json={"revision": seen, "op": "add_section", "args": {"title": "Enda mer"}},
        headers={"X-CSRFToken": token},
    )
    assert refused.status_code == 409
    assert refused.json["changes"][0]["who"] == "Admin A"
    assert "Someone saved this questionnaire since you opened it" in refused.json["message"]


@pytest.mark.parametrize("path", ["operations", "json"])
@pytest.mark.parametrize(
    ("body", "token", "words"),
    [
        ({"revision": "one", "op": "add_section"}, True, "The request was not understood."),
        ([1, 2], True, "The request was not understood."),
        ({"revision": 1, "op": "add_section", "args": {}, "text": "{}"}, False, "open too long"),
    ],
)
def test_a_request_the_builder_cannot_use_is_refused_with_a_400(app, world, path, body, token,
                                                                 words):  # fmt: skip
    """The builder's script counts anything but an error status as saved."""
    with app.app_context():
        draft = small_draft(staff(world, "admin1"))
        slug, revision = draft.questionnaire.slug, draft.revision
        db.session.commit()
    client = app.test_client()
    login_staff(client, "admin@a.no")
    headers = {"Accept": "application/json"}
    if token:
        headers["X-CSRFToken"] = csrf_token(client, "/admin/questionnaires")
    response = client.post(f"/admin/builder/{slug}/{path}", json=body, headers=headers)
    assert response.status_code == 400
    assert words in (response.json.get("message") or response.json.get("detail"))
    with app.app_context():
        assert q(slug).draft.revision == revision


def test_the_second_editor_is_told_who_edits_since_when(app, world):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        other = accounts.create_staff(
            db.session.get(Municipality, world.m1),
            "admin2@a.no",
            "Admin To",
            "administrator",
            PASSWORD,
            "en",
        )
        db.session.flush()
        editing_now = builder.open_draft(draft, other)
        assert editing_now is not None and editing_now[0].name == "Admin A"


# ----------------------------------------------------------------------------- publishing


def test_publish_freezes_a_version_and_refuses_a_type_change(app, world):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        first = builder.publish(draft, admin, draft.revision)
        assert first.created and first.version.number == 1
        with pytest.raises(EditError) as renamed:
            builder.apply_operation(
                draft, admin, draft.revision, "rename_question",
                {"question": "hvilken_jobb", "new_id": "jobb"},
            )  # fmt: skip
        assert renamed.value.code == "id_published"
        builder.apply_operation(
            draft, admin, draft.revision, "set_question",
            {"question": "hvilken_jobb", "widget": "textarea"},
        )  # fmt: skip
        second = builder.publish(draft, admin, draft.revision)  # text -> textarea: same answers
        assert second.version.number == 2
        builder.apply_operation(
            draft, admin, draft.revision, "set_question",
            {"question": "hvilken_jobb", "widget": "number"},
        )  # fmt: skip
        with pytest.raises(builder.PublishRefused) as refused:
            builder.publish(draft, admin, draft.revision)
        assert [(c.question, c.before, c.after) for c in refused.value.type_changes] == [
            ("hvilken_jobb", "textarea", "number")
        ]
        db.session.commit()
        versions = db.session.scalars(
            sa.select(QuestionnaireVersion.number).where(
                QuestionnaireVersion.questionnaire_id == draft.questionnaire_id
            )
        ).all()
        assert versions == [1, 2]
        assert q("jobb-i-kommunen").versions[0].document["ui"]["questions"]["hvilken_jobb"][
            "widget"] == "text"  # fmt: skip
    admin_client = app.test_client()
    login_staff(admin_client, "admin@a.no")
    page = admin_client.get("/admin/builder/jobb-i-kommunen/publish")
    assert "was published as Long text and is now Number" in page.get_data(as_text=True)


def test_responses_stay_on_the_version_they_were_given_on(app, world):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        builder.publish(draft, admin, draft.revision)
        questionnaire_service.set_offer(admin, draft.questionnaire, "all")
        p1 = db.session.get(Participant, world.p1)
        response = response_service.start(p1, draft.questionnaire)
        builder.apply_operation(
            draft,
            admin,
            draft.revision,
            "add_question",
            {"section": "om_jobb", "widget": "date", "title": "Fra når?"},
        )
        builder.publish(draft, admin, draft.revision)
        db.session.commit()
        stored = db.session.get(Response, response.id)
        assert stored.version.number == 1
        assert "fra_nar" not in stored.version.definition.questions
        assert q("jobb-i-kommunen").latest.number == 2


def test_an_upload_cannot_overwrite_a_template(app, world):
    with app.app_context():
        document = json.loads(json.dumps(q("kartlegging").latest.document))
        with pytest.raises(questionnaire_service.OwnershipError):
            questionnaire_service.import_document(
                document, db.session.get(Municipality, world.m1), staff(world, "admin1")
            )
        db.session.rollback()
        assert len(q("kartlegging").versions) == 1


def test_every_builder_action_is_audited(app, world):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        builder.publish(draft, admin, draft.revision)
        db.session.commit()
        events = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.target, AuditEvent.municipality_id).order_by(
                AuditEvent.id
            )
        ).all()
        mine = [
            (a, t)
            for a, t, m in events
            if m == world.m1 and a.startswith(("builder", "questionnaire"))
        ]
        assert mine == [
            ("builder.create", "jobb-i-kommunen"),
            ("builder.add_section", "jobb-i-kommunen@r2"),
            ("builder.add_question", "jobb-i-kommunen@r3"),
            ("builder.add_question", "jobb-i-kommunen@r4"),
            ("builder.set_question", "jobb-i-kommunen@r5"),
            ("questionnaire.publish", "jobb-i-kommunen@1"),
        ]


# ---------------------------------------------------------------------------------- diff


def test_the_diff_names_each_change():
    from webapp.questionnaires import diff

    before = _doc()
    after = before
    for op, args in [
        ("add_question", {"section": "andre", "widget": "text", "title": "Navn"}),
        ("delete_question", {"question": "bor_du_alene"}),
        ("move_question_to_section", {"question": "alder", "section": "andre"}),
        ("set_question", {"question": "alder", "maximum": 99, "required": True}),
        ("add_option", {"question": "farge", "title": "Grønn"}),
        ("set_option", {"question": "farge", "index": 0, "title": "Mørkerød"}),
        (
            "set_question",
            {"question": "farge", "visible_if": {"question": "alder", "answered": True}},
        ),
        ("set_section", {"section": "forste", "title": "Start"}),
    ]:
        after, _ = editing.apply(after, op, args)
    after["translations"]["en"]["/schema/properties/farge/title"] = "Favourite colour"
    found = {(c.kind, c.where, c.detail) for c in diff.compare(before, after)}
    assert found == {
        ("question_added", "navn", ""),
        ("question_removed", "bor_du_alene", ""),
        ("question_moved", "alder", "andre"),
        ("rule", "alder", "maximum"),
        ("required", "alder", "yes"),
        ("option_added", "farge", "gronn"),
        ("option_text", "farge", "rod"),
        ("condition", "farge", ""),
        ("section_text", "forste", ""),
        ("text", "farge", "en"),
    }
    assert diff.compare(before, before) == []


def test_the_publish_page_shows_the_changes_and_open_drafts(app, world):
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        builder.publish(draft, admin, draft.revision)
        p1 = db.session.get(Participant, world.p1)
        response_service.start(p1, draft.questionnaire)
        builder.apply_operation(
            draft,
            admin,
            draft.revision,
            "add_question",
            {"section": "om_jobb", "widget": "date", "title": "Fra når?"},
        )
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_staff(client, "admin@a.no")
    page = client.get("/admin/builder/jobb-i-kommunen/publish").get_data(as_text=True)
    assert "Question added: fra_nar" in page
    assert "Unfinished answers to earlier versions: 1." in page
    token = csrf_token(client, "/admin/builder/jobb-i-kommunen/publish")
    done = client.post("/admin/builder/jobb-i-kommunen/publish",
                       data={"csrf_token": token, "revision": "6"})  # fmt: skip
    assert done.status_code == 302
    compared = client.get("/admin/builder/jobb-i-kommunen/versions/1/2").get_data(as_text=True)
    assert "Question added: fra_nar" in compared


def test_a_change_taken_back_is_published_as_a_new_version(app, world):
    """Version 1, a text made a long text in version 2, and a short one again: version 3
    holds what version 1 held. (Found by the model-based test: it was a server error, since
    no two versions of a questionnaire could have the same content.)"""
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        builder.publish(draft, admin, draft.revision)
        for widget in ("textarea", "text"):
            change = {"question": "hvilken_jobb", "widget": widget}
            builder.apply_operation(draft, admin, draft.revision, "set_question", change)
            if widget == "textarea":
                builder.publish(draft, admin, draft.revision)
        db.session.commit()
        revision = draft.revision
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_staff(client, "admin@a.no")
    token = csrf_token(client, "/admin/builder/jobb-i-kommunen/publish")
    done = client.post("/admin/builder/jobb-i-kommunen/publish",
                       data={"csrf_token": token, "revision": str(revision)})  # fmt: skip
    assert done.status_code == 302
    assert "Published version 3." in client.get(done.location).get_data(as_text=True)
    with app.app_context():
        first, second, third = q("jobb-i-kommunen").versions
        assert third.document == first.document != second.document
        # The participant starts on version 3; publishing the same again adds nothing.
        p1 = db.session.get(Participant, world.p1)
        assert response_service.start(p1, q("jobb-i-kommunen")).version.number == 3
        draft = q("jobb-i-kommunen").draft
        assert not builder.publish(draft, staff(world, "admin1"), draft.revision).created


def test_two_administrators_publishing_at_once_get_one_version_and_a_message(
    app, world, monkeypatch
):
    """The other administrator's publish is stored between this one's look at the versions
    and its own: told so, nothing half stored, and the other's version stands."""
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        builder.publish(draft, admin, draft.revision)
        change = {"question": "hvilken_jobb", "widget": "textarea"}
        builder.apply_operation(draft, admin, draft.revision, "set_question", change)
        db.session.commit()
        revision = draft.revision
    real = questionnaire_service.import_document

    def the_other_first(document, *args, **kwargs):
        versions = QuestionnaireVersion.__table__
        with db.engine.begin() as other:  # the other administrator's request, committed
            other.execute(versions.insert().values(
                questionnaire_id=q("jobb-i-kommunen").id, number=2, document=document,
                content_hash="f" * 64, published_at=utcnow(), withheld_languages=[],
            ))  # fmt: skip
        return real(document, *args, **kwargs)

    monkeypatch.setattr(questionnaire_service, "import_document", the_other_first)
    client = app.test_client()
    login_staff(client, "admin@a.no")
    token = csrf_token(client, "/admin/builder/jobb-i-kommunen/publish")
    done = client.post("/admin/builder/jobb-i-kommunen/publish",
                       data={"csrf_token": token, "revision": str(revision)})  # fmt: skip
    assert done.status_code == 302 and done.location.endswith("/jobb-i-kommunen/publish")
    page = client.get(done.location).get_data(as_text=True)
    assert "Someone else published this questionnaire at the same moment" in page
    with app.app_context():
        assert [(v.number, v.content_hash) for v in q("jobb-i-kommunen").versions][1] == (
            2,
            "f" * 64,
        )
        published = sa.select(sa.func.count()).where(
            AuditEvent.action == "questionnaire.publish", AuditEvent.target.like("jobb-i-%")
        )
        assert db.session.scalar(published) == 1  # only the first: nothing of this one stayed


def test_a_counsellor_offers_an_assigned_questionnaire_to_one_participant(app, world):
    slug = _publish_own(app, world, "assigned")
    counsellor = app.test_client()
    counsellor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_staff(counsellor, world.emails["c1"])
    page = counsellor.get(f"/participants/{world.p1}").get_data(as_text=True)
    assert "Offer: Jobb i kommunen" in page
    token = csrf_token(counsellor, f"/participants/{world.p1}")
    assert counsellor.post(f"/participants/{world.p1}/offer/{slug}",
                           data={"csrf_token": token}).status_code == 302  # fmt: skip
    assert "Stop offering: Jobb i kommunen" in counsellor.get(f"/participants/{world.p1}").get_data(
        as_text=True
    )
    with app.app_context():
        p1, p2 = (db.session.get(Participant, x) for x in (world.p1, world.p2))
        assert [q.slug for q in questionnaire_service.offered_questionnaires(p1)] == [slug]
        assert questionnaire_service.offered_questionnaires(p2) == []
    # Another counsellor's participant, or another municipality's counsellor: not found.
    assert counsellor.post(f"/participants/{world.p2}/offer/{slug}",
                           data={"csrf_token": token}).status_code == 404  # fmt: skip
    other = app.test_client()
    login_staff(other, world.emails["c3"])
    token3 = csrf_token(other, f"/participants/{world.p3}")
    assert other.post(f"/participants/{world.p3}/offer/{slug}",
                      data={"csrf_token": token3}).status_code == 404  # fmt: skip
    # Offering again withdraws it.
    counsellor.post(f"/participants/{world.p1}/offer/{slug}", data={"csrf_token": token})
    with app.app_context():
        p1 = db.session.get(Participant, world.p1)
        assert questionnaire_service.offered_questionnaires(p1) == []


def test_every_page_of_a_draft_opens_whatever_its_json_holds(app, world):
    """A language code Babel does not know, or sections that are not a list, were saved by
    the JSON view and then made the builder's, publish, translations and bank pages a 500."""
    with app.app_context():
        admin, draft = _admin_draft(app, world)
        slug = draft.questionnaire.slug
        builder.replace_document(
            draft,
            admin,
            draft.revision,
            _json_with(draft, lambda x: x.update(languages=["nb", "zz"])),
        )
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_staff(client, "admin@a.no")
    for path in ("", "/publish", "/bank"):
        page = client.get(f"/admin/builder/{slug}{path}")
        assert page.status_code == 200, path
    assert "is not a language code Løype knows" in client.get(f"/admin/builder/{slug}/publish").text
    assert client.get(f"/admin/builder/{slug}/translations/zz").status_code == 404
    assert client.get(f"/admin/builder/{slug}/translations/zz/export.po").status_code == 404
    with app.app_context():
        draft = q(slug).draft
        builder.replace_document(draft, staff(world, "admin1"), draft.revision,
                                 json.dumps({"ui": {"sections": 5}, "schema": []}))  # fmt: skip
        db.session.commit()
        revision = draft.revision
    for path in ("", "/publish", "/bank"):
        assert client.get(f"/admin/builder/{slug}{path}").status_code == 200, path
    # A version number larger than a database integer names no version (it was a 500).
    refused = client.post(
        f"/admin/builder/{slug}/bank",
        data={"csrf_token": csrf_token(client, "/admin/questionnaires"),
              "revision": revision, "slug": "kartlegging", "number": 2**40,
              "question": "age", "section": "x"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "does not exist any more" in refused.text
    with app.app_context():
        assert q(slug).draft.revision == revision
