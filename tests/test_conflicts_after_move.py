"""A sync conflict recorded before the unfinished response moved to a newer version of its
questionnaire: worded with the texts of the version its answers were given on, and, when
neither answer fits the new version (the question was removed, or changed so that neither is
accepted), closed by acknowledging it, so the caseload's count reaches zero."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Municipality, Participant, Questionnaire, StaffUser
from webapp.services import builder, conflicts, revisions
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service

from .documents import minimal_document
from .test_write_path import revision_rows, stored

CLOSE_HELP = "Neither answer fits the version of the questionnaire this response is on now"


def _document() -> dict:
    document = minimal_document()
    document["slug"] = "own"
    return document


def _without_name(document: dict) -> dict:
    """A newer version without the question "name" and without the option "cooking"."""
    del document["schema"]["properties"]["name"]
    document["schema"]["required"] = ["work"]
    document["ui"]["sections"][0]["items"].remove("name")
    document["schema"]["properties"]["skills"]["items"]["anyOf"] = [{"const": "it", "title": "IT"}]
    document["translations"]["en"].pop("/schema/properties/name/title")
    return document


def _other_skills(document: dict) -> dict:
    """A newer version whose question "skills" accepts neither earlier option."""
    document["schema"]["properties"]["skills"]["items"]["anyOf"] = [
        {"const": "driving", "title": "Bilkjøring"}
    ]
    document["ui"]["questions"]["skills"]["resource_tags"] = {}
    return document


def _clash_then_move(app, world, newer) -> str:
    """Two phones change "name" and "skills" from revision 1 (two conflicts); then a newer
    version is published and the draft is moved to it."""
    with app.app_context():
        town = db.session.get(Municipality, world.m1)
        questionnaire_service.import_document(_document(), town)
        own = db.session.scalar(sa.select(Questionnaire).filter_by(slug="own"))
        own.offered_to = "all"
        person = db.session.get(Participant, world.p1)
        response = response_service.start(person, own)
        first = revisions.Author("phone", person, device="phone-aaaaaaaa", sequence=1)
        second = revisions.Author("phone", person, device="phone-bbbbbbbb", sequence=1)
        revisions.write(response, first, base=1, answers={"name": "Ali", "skills": ["it"]},
                        status="draft")  # fmt: skip
        receipt = revisions.write(
            response, second, base=1, answers={"name": "Alia", "skills": ["cooking"]},
            status="draft",
        )  # fmt: skip
        assert receipt.conflicts == ["name", "skills"]
        db.session.commit()
        rid = response.id
        questionnaire_service.import_document(newer(_document()), town)
        db.session.commit()
        own = db.session.scalar(sa.select(Questionnaire).filter_by(slug="own"))
        (moved,) = builder.move_open_drafts(own, db.session.get(StaffUser, world.admin1))
        db.session.commit()
        assert "skills" in moved.left_behind  # "cooking" is no longer an option
    return rid


def _section(page: str) -> str:
    start = page.index('id="conflicts-heading"')
    return page[start : page.index("</section>", start)]


def _item(section: str, index: int) -> str:
    start = section.index(f'id="conflict-{index}"')
    end = section.find("</li>", start)
    return section[start:end]


def _post(client, rid: str, index: int, question: str, keep: str, revision=None):
    """Post one conflict's form from the response page, on the revision shown (or another)."""
    page = client.get(f"/responses/{rid}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    shown = int(re.search(r'name="revision" value="(\d+)"', page).group(1))
    return client.post(
        f"/responses/{rid}/conflicts/{index}",
        data={"csrf_token": token, "question": question,
              "revision": shown if revision is None else revision, "keep": keep},
    )  # fmt: skip


def _open_count(app, rid: str) -> int:
    return revisions.open_conflicts(stored(app, rid).conflicts)


def test_the_conflicts_are_worded_with_the_version_they_were_given_on(app, world, as_actor):
    rid = _clash_then_move(app, world, _without_name)
    counsellor = as_actor(app, "c1")
    section = unescape(_section(counsellor.get(f"/responses/{rid}").get_data(as_text=True)))
    name, skills = _item(section, 0), _item(section, 1)
    # The removed question by its title, the removed option by its text: never their codes.
    assert "<h3>Name</h3>" in name and "Alia" in name and "Ali" in name
    assert "Matlaging" in skills and "cooking" not in skills
    # Neither name fits the new version: the conflict is closed, not kept; "IT" still fits.
    assert CLOSE_HELP in name and 'value="neither"' in name
    assert 'name="keep" value="kept"' not in name
    assert CLOSE_HELP not in skills and 'value="kept"' in skills and 'value="other"' in skills


def test_a_conflict_on_a_removed_question_is_closed_and_the_count_reaches_zero(
    app, world, as_actor
):
    rid = _clash_then_move(app, world, _without_name)
    counsellor = as_actor(app, "c1")
    assert "Open conflicts: 2" in counsellor.get("/caseload").get_data(as_text=True)
    before = stored(app, rid)
    closed = _post(counsellor, rid, 0, "name", conflicts.NEITHER)
    assert closed.status_code == 302
    after = stored(app, rid)
    assert after.answers == before.answers and after.revision == before.revision + 1
    resolved = after.conflicts[0]["resolved"]
    assert (resolved["keep"], resolved["staff"], resolved["revision"]) == (
        "neither", world.c1, after.revision,
    )  # fmt: skip
    last = revision_rows(app, rid)[-1]
    assert (last.source, last.staff_id, last.occasion) == ("staff", world.c1, "resolution")
    page = unescape(counsellor.get(f"/responses/{rid}").get_data(as_text=True))
    assert "The conflict is closed. No answer was changed." in page
    assert "closed by <bdi>Counsellor One</bdi>" in _item(_section(page), 0)
    assert "Open conflicts: 1" in counsellor.get("/caseload").get_data(as_text=True)
    # The other one is settled as usual, by keeping the answer that still fits.
    assert _post(counsellor, rid, 1, "skills", "other").status_code == 302
    assert stored(app, rid).answers["skills"] == ["it"]
    assert _open_count(app, rid) == 0
    assert "Open conflicts" not in counsellor.get("/caseload").get_data(as_text=True)
    with app.app_context():
        targets = db.session.scalars(
            sa.select(AuditEvent.target).where(AuditEvent.action == "response.conflict_resolved")
        ).all()
    assert sorted(targets) == [f"response:{rid}#name", f"response:{rid}#skills"]
    history = unescape(counsellor.get(f"/responses/{rid}/history").get_data(as_text=True))
    assert "closed a conflict: neither answer fits the questionnaire any more" in history


def test_a_conflict_neither_of_whose_answers_is_accepted_now_is_closed(app, world, as_actor):
    rid = _clash_then_move(app, world, _other_skills)
    counsellor = as_actor(app, "c1")
    section = unescape(_section(counsellor.get(f"/responses/{rid}").get_data(as_text=True)))
    assert CLOSE_HELP in _item(section, 1) and "Matlaging" in _item(section, 1)
    for keep in ("kept", "other"):  # neither can be kept: said so, nothing changes
        refused = _post(counsellor, rid, 1, "skills", keep)
        assert refused.status_code == 422 and "no longer fits" in refused.get_data(as_text=True)
    assert _post(counsellor, rid, 1, "skills", conflicts.NEITHER).status_code == 302
    # "name" is still in the version: it is settled by keeping one of its answers.
    assert _post(counsellor, rid, 0, "name", "other").status_code == 302
    assert _open_count(app, rid) == 0 and stored(app, rid).answers.get("name") == "Ali"


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("keepable", 422, "Choose one of the two answers"),
        ("stale", 409, "changed after you opened this page"),
        ("twice", 409, "already settled"),
    ],
)
def test_closing_is_refused_where_settling_would_be(app, world, as_actor, case, status, message):
    rid = _clash_then_move(app, world, _without_name)
    counsellor = as_actor(app, "c1")
    if case == "twice":
        assert _post(counsellor, rid, 0, "name", conflicts.NEITHER).status_code == 302
    before = stored(app, rid)
    count = len(revision_rows(app, rid))
    if case == "keepable":  # "IT" still fits: keep an answer instead
        refused = _post(counsellor, rid, 1, "skills", conflicts.NEITHER)
    elif case == "stale":
        refused = _post(counsellor, rid, 0, "name", conflicts.NEITHER, before.revision - 1)
    else:
        refused = _post(counsellor, rid, 0, "name", conflicts.NEITHER)
    assert refused.status_code == status and message in refused.get_data(as_text=True)
    after = stored(app, rid)
    assert (after.answers, after.revision, after.conflicts) == (
        before.answers, before.revision, before.conflicts,
    )  # fmt: skip
    assert len(revision_rows(app, rid)) == count


def test_the_history_across_the_move_shows_what_the_new_version_does_not_have(app, world, as_actor):
    rid = _clash_then_move(app, world, _without_name)
    counsellor = as_actor(app, "c1")
    moved = stored(app, rid).revision  # the move; the revision before is on version 1
    page = counsellor.get(f"/responses/{rid}/history?first={moved - 1}&second={moved}")
    table = unescape(page.get_data(as_text=True))
    table = table[table.index('<table class="changes">') : table.index("</table>")]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S)
    text = [re.sub(r"<[^>]+>", "|", row) for row in rows]
    (name,) = [row for row in text if "Name" in row]
    assert "Alia" in name and "Not in this version of the questionnaire" in name
    (skills,) = [row for row in text if "Ferdigheter" in row]
    assert "Matlaging" in skills and "cooking" not in skills
