"""Moving unfinished responses forward to a new version: what fits moves as a recorded
revision, what does not stays in the old revision and is shown to the counsellor, and the
phone learns of it through /api/v1/me."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Response, ResponseRevision
from webapp.questionnaires import load_definition
from webapp.questionnaires.moving import move
from webapp.services import builder, revisions
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service

from .conftest import csrf_token, join, login_staff
from .test_builder import small_draft, staff


def _document() -> dict:
    return {
        "format": "loype-questionnaire/1", "slug": "flytt", "title": "Flytt",
        "audience": "participant", "source_language": "nb", "languages": ["nb"],
        "schema": {"type": "object", "additionalProperties": False, "properties": {
            "name": {"type": "string", "title": "Navn"},
            "about": {"type": "string", "title": "Om deg"},
            "age": {"type": "integer", "title": "Alder"},
            "colour": {"type": "string", "title": "Farge", "oneOf": [
                {"const": "red", "title": "Rød"}, {"const": "blue", "title": "Blå"}]},
        }},
        "ui": {"sections": [{"id": "s", "title": "S",
                             "items": ["name", "about", "age", "colour"]}],
               "questions": {"about": {"widget": "text"}}},
    }  # fmt: skip


def _changed(change) -> dict:
    document = _document()
    change(document)
    return document


ANSWERS = {"name": "Ada", "about": "Hei", "age": 40, "colour": "blue"}
CASES = [
    ("nothing changed", lambda d: None, [], []),
    ("text becomes long text", lambda d: d["ui"]["questions"]["about"].update(widget="textarea"),
     [], []),
    ("a question removed", lambda d: (d["schema"]["properties"].pop("age"),
                                      d["ui"]["sections"][0]["items"].remove("age")), ["age"], []),
    ("an option removed", lambda d: d["schema"]["properties"]["colour"]["oneOf"].pop(),
     ["colour"], []),
    ("a new limit", lambda d: d["schema"]["properties"]["age"].update(maximum=30), ["age"], []),
    ("a new condition hides it", lambda d: d["ui"]["questions"].update(
        {"age": {"visible_if": {"question": "colour", "equals": "red"}}}), ["age"], []),
    ("a new question", lambda d: (d["schema"]["properties"].update(
        {"town": {"type": "string", "title": "By"}}),
        d["ui"]["sections"][0]["items"].append("town")), [], ["town"]),
    ("another kind of answer under the same id", lambda d: d["schema"]["properties"].update(
        {"name": {"type": "number", "title": "Navn"}}), ["name"], []),
]  # fmt: skip


@pytest.mark.parametrize(("what", "change", "left", "new"), CASES, ids=[c[0] for c in CASES])
def test_what_fits_the_new_version_moves(what, change, left, new):
    old = load_definition(_document())
    result = move(old, load_definition(_changed(change)), ANSWERS)
    assert result.left_behind == left and result.new_questions == new
    assert result.answers == {k: v for k, v in ANSWERS.items() if k not in left}


def _group_document(closed: bool) -> dict:
    document = _document()
    entry = {"type": "object", "properties": {
        "place": {"type": "string", "title": "Sted"},
        "field": {"type": "string", "title": "Fag"},
        "year": {"type": "integer", "title": "År"},
    }}  # fmt: skip
    if closed:  # as the docs and the XLSForm import write groups; the builder's are open
        entry["additionalProperties"] = False
    document["schema"]["properties"]["studies"] = {
        "type": "array",
        "title": "Utdanning",
        "items": entry,
    }
    document["ui"]["sections"][0]["items"].append("studies")
    return document


STUDIES = [{"place": "Kabul", "field": "Jus", "year": 2015}, {"place": "Herat", "year": 2019}]
GROUP_CASES = [
    ("a child removed", lambda entry: entry["properties"].pop("year"),
     [{"place": "Kabul", "field": "Jus"}, {"place": "Herat"}]),
    ("a child's new limit", lambda entry: entry["properties"]["year"].update(minimum=2016),
     [{"place": "Kabul", "field": "Jus"}, {"place": "Herat", "year": 2019}]),
]  # fmt: skip


@pytest.mark.parametrize("closed", [True, False], ids=["closed entries", "open entries"])
@pytest.mark.parametrize(("what", "change", "moved"), GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_a_groups_children_move_one_by_one(closed, what, change, moved):
    """One child removed or limited left the whole group behind (closed entries), or carried
    the removed child's answers into the new version unlisted (open ones, the builder's)."""
    old_document, new_document = _group_document(closed), _group_document(closed)
    change(new_document["schema"]["properties"]["studies"]["items"])
    answers = {**ANSWERS, "studies": STUDIES}
    result = move(load_definition(old_document), load_definition(new_document), answers)
    assert result.answers == {**ANSWERS, "studies": moved}
    assert result.left_behind == ["studies"]  # its whole old answer stays in the old revision
    assert answers["studies"] == STUDIES  # what was given is untouched


def _two_versions(app, world, *, answers: dict, status: str = "draft"):
    """Publish v1, let p1 answer it, then publish v2 without the 'ja' option (the job question
    now shown for 'nei') and a new question."""
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.publish(draft, admin, draft.revision)
        questionnaire_service.set_offer(admin, draft.questionnaire, "all")
        person = db.session.get(Participant, world.p1)
        response = response_service.start(person, draft.questionnaire)
        author = revisions.Author("web", person)
        revisions.write(response, author, base=1, answers=answers, status=status)
        for op, args in [
            # The condition first: one on a deleted option would never hold (the checker
            # refuses to publish it).
            (
                "set_question",
                {
                    "question": "hvilken_jobb",
                    "visible_if": {"question": "vil_du_jobbe", "equals": "nei"},
                },
            ),
            ("delete_option", {"question": "vil_du_jobbe", "index": 0}),
            ("add_question", {"section": "om_jobb", "widget": "date", "title": "Fra når?"}),
        ]:
            builder.apply_operation(draft, admin, draft.revision, op, args)
        builder.publish(draft, admin, draft.revision)
        db.session.commit()
        return draft.questionnaire.slug, response.id


def test_publishing_moves_open_drafts_as_a_revision(app, world):
    slug, rid = _two_versions(app, world, answers={"vil_du_jobbe": "ja", "hvilken_jobb": "Kokk"})
    with app.app_context():
        moved = builder.move_open_drafts(
            questionnaire_service.find_version(slug).questionnaire, staff(world, "admin1")
        )
        assert [(m.left_behind, m.new_questions) for m in moved] == [
            (["vil_du_jobbe", "hvilken_jobb"], ["fra_nar"])
        ]  # 'ja' is gone, and the job question was shown only for 'ja'
        response = db.session.get(Response, rid)
        assert (response.version.number, response.revision, response.answers) == (2, 3, {})
        old, new = db.session.scalars(sa.select(ResponseRevision).where(
            ResponseRevision.response_id == rid, ResponseRevision.number >= 2
        ).order_by(ResponseRevision.number)).all()  # fmt: skip
        assert old.version_id != new.version_id == response.version_id
        assert old.answers == {"vil_du_jobbe": "ja", "hvilken_jobb": "Kokk"}
        assert (new.source, new.base_number) == ("staff", 2)
        assert response.version_moves[0]["revision"] == 2
        assert db.session.scalar(sa.select(AuditEvent.target).where(
            AuditEvent.action == "response.move")) == f"response:{rid}@1->2"  # fmt: skip
        # Moving again finds nothing to move.
        again = builder.move_open_drafts(response.version.questionnaire, staff(world, "admin1"))
        assert again == []


def test_answers_that_fit_move_and_a_sent_response_stays(app, world):
    slug, rid = _two_versions(app, world, answers={"vil_du_jobbe": "nei"}, status="submitted")
    with app.app_context():
        questionnaire = questionnaire_service.find_version(slug).questionnaire
        assert builder.move_open_drafts(questionnaire, staff(world, "admin1")) == []
        assert db.session.get(Response, rid).version.number == 1
        response = db.session.get(Response, rid)
        with pytest.raises(revisions.Conflict):
            author = revisions.Author("staff", staff(world, "admin1"))
            revisions.move_to_version(response, questionnaire.latest, author)


def test_the_phone_and_the_counsellor_see_the_move(app, world):
    slug, rid = _two_versions(app, world, answers={"vil_du_jobbe": "ja", "hvilken_jobb": "Kokk"})
    with app.app_context():
        builder.move_open_drafts(
            questionnaire_service.find_version(slug).questionnaire, staff(world, "admin1")
        )
        db.session.commit()
    phone = app.test_client()
    join(phone, world.codes["p1"])
    [summary] = [r for r in phone.get("/api/v1/me").get_json()["responses"] if r["id"] == rid]
    assert (summary["version"], summary["moved_from_version"], summary["new_questions"]) == (
        2, 1, ["fra_nar"])  # fmt: skip
    # The phone still sending on the old version is told the response moved (409, version).
    sent = phone.put(
        f"/api/v1/responses/{rid}",
        json={
            "questionnaire": slug,
            "version": 1,
            "status": "draft",
            "answers": {},
            "base_revision": 2,
        },
    )
    assert sent.status_code == 409 and sent.get_json()["code"] == "version"
    counsellor = app.test_client()
    login_staff(counsellor, "c1@a.no")
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    assert "Answers left on an earlier version" in page and "Kokk" in page


def test_the_publish_page_offers_to_move_open_drafts(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.publish(draft, admin, draft.revision)
        questionnaire_service.set_offer(admin, draft.questionnaire, "all")
        response_service.start(db.session.get(Participant, world.p1), draft.questionnaire)
        added = {"section": "om_jobb", "widget": "date", "title": "Når?"}
        builder.apply_operation(draft, admin, draft.revision, "add_question", added)
        slug, revision = draft.questionnaire.slug, draft.revision
        db.session.commit()
    client = app.test_client()
    login_staff(client, "admin@a.no")
    page = client.get(f"/admin/builder/{slug}/publish").get_data(as_text=True)
    assert 'name="move_drafts"' in page
    token = csrf_token(client, f"/admin/builder/{slug}/publish")
    form = {"csrf_token": token, "revision": revision, "move_drafts": "1"}
    done = client.post(f"/admin/builder/{slug}/publish", data=form, follow_redirects=True)
    assert "Unfinished answers moved to the new version: 1." in done.get_data(as_text=True)
    with app.app_context():
        response = db.session.scalar(sa.select(Response))
        assert response.version.number == 2


def test_a_question_made_again_with_another_type_is_refused_at_publish(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        draft = small_draft(admin)
        builder.publish(draft, admin, draft.revision)  # hvilken_jobb is text in version 1
        builder.apply_operation(draft, admin, draft.revision, "delete_question",
                                {"question": "hvilken_jobb"})  # fmt: skip
        builder.publish(draft, admin, draft.revision)  # version 2 has no hvilken_jobb
        again = {"section": "om_jobb", "widget": "number", "title": "Hvilken jobb?"}
        builder.apply_operation(draft, admin, draft.revision, "add_question", again)
        with pytest.raises(builder.PublishRefused) as refused:
            builder.publish(draft, admin, draft.revision)
        assert [(c.question, c.before, c.after) for c in refused.value.type_changes] == [
            ("hvilken_jobb", "text", "number")
        ]


def test_a_type_changed_behind_a_ref_is_a_type_change():
    """widget_of read the question's own {"$ref": …}, not what it points to: text to number
    in the definition passed the refusal at publishing."""
    before = _document()
    before["schema"]["$defs"] = {"words": {"type": "string"}}
    before["schema"]["properties"]["about"] = {"$ref": "#/$defs/words"}
    before["ui"]["questions"] = {}
    after = copy.deepcopy(before)
    after["schema"]["$defs"]["words"] = {"type": "integer"}
    changes = builder.type_changes(before, after)
    assert [(c.question, c.before, c.after) for c in changes] == [("about", "text", "number")]
