"""The review form as the counsellor uses it, over days and in several tabs: the follow-up
message in force is kept when only a note is saved; a form opened before the participant sent
the answers again (or before another review) is refused, with nothing changed; and a message
typed with a status that never shows it is refused rather than dropped."""

from __future__ import annotations

from html import unescape

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Response, StaffUser
from webapp.services import questionnaires as questionnaire_service
from webapp.services import reviews, revisions

from .review_forms import form_fields, post_review, review_form
from .test_write_path import model_document, start_model_draft

STALE = "The response changed after you opened this page"
WITHOUT_FOLLOW_UP = "A message here goes to the participant with “Follow-up needed” only."
MESSAGE = "Please add your education"


def _sent(app, world) -> str:
    """A response the participant has sent (through the write path, from the web pages)."""
    with app.app_context():
        questionnaire_service.import_document(model_document())
        db.session.commit()
    rid = start_model_draft(app, world.p1, {"name": "Ada"})
    _participant_sends(app, world, rid)
    return rid


def _participant_sends(app, world, rid: str, work: str = "no") -> None:
    with app.app_context():
        response = db.session.get(Response, rid)
        person = db.session.get(Participant, world.p1)
        revisions.retrying(
            lambda: revisions.write(
                response, revisions.Author("web", person), base=response.revision,
                answers={"name": "Ada", "work": work}, status="submitted",
            )
        )  # fmt: skip


def _participant_edits(app, world, rid: str) -> None:
    """The participant changes an answer on the phone while the response is open again."""
    with app.app_context():
        response = db.session.get(Response, rid)
        person = db.session.get(Participant, world.p1)
        revisions.retrying(
            lambda: revisions.write(
                response, revisions.Author("phone", person), base=response.revision,
                answers={"name": "Ada Lovelace", "work": "no"}, status="draft",
            )
        )  # fmt: skip


def _stored(app, rid: str):
    """Everything a review may change: the response's status and revision, its reviews
    (status, note, message), the follow-up message shown, the review audit events."""
    with app.app_context():
        response = db.session.get(Response, rid)
        audited = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "response.review")
        )
        return (
            response.status,
            response.revision,
            [(r.status, r.note, r.message) for r in response.reviews],
            reviews.follow_up_message(response),
            audited,
        )


def _text(answer) -> str:
    return unescape(answer.get_data(as_text=True))


# ------------------------------------------------------------------ the message in force


def test_saving_a_note_during_follow_up_keeps_the_message(app, world, as_actor):
    rid = _sent(app, world)
    counsellor = as_actor(app, "c1")
    assert post_review(counsellor, rid, status="follow_up", message=MESSAGE).status_code == 302
    phone = as_actor(app, "p1")
    assert MESSAGE in _text(phone.get("/me/"))
    # Days later: the form starts from the follow-up and the message in force.
    fields = review_form(counsellor, rid)
    assert (fields["status"], fields["message"]) == ("follow_up", MESSAGE)
    saved = post_review(counsellor, rid, fields, note="Called her, she'll do it")
    assert saved.status_code == 302
    status, _revision, stored, shown, _audited = _stored(app, rid)
    assert status == "draft" and shown == MESSAGE
    assert stored[-1] == ("follow_up", "Called her, she'll do it", MESSAGE)
    assert MESSAGE in _text(phone.get("/me/"))
    (mine,) = phone.get("/api/v1/me").json["responses"]
    assert mine["follow_up_message"] == MESSAGE


def test_the_message_in_force_can_be_changed_or_emptied(app, world, as_actor):
    rid = _sent(app, world)
    counsellor = as_actor(app, "c1")
    assert post_review(counsellor, rid, status="follow_up", message=MESSAGE).status_code == 302
    assert post_review(counsellor, rid, message="And the goal too").status_code == 302
    assert _stored(app, rid)[3] == "And the goal too"
    assert post_review(counsellor, rid, message="").status_code == 302
    assert _stored(app, rid)[3] == ""
    assert review_form(counsellor, rid)["message"] == ""


def test_once_the_answers_are_sent_again_the_form_starts_without_the_message(app, world, as_actor):
    rid = _sent(app, world)
    counsellor = as_actor(app, "c1")
    assert post_review(counsellor, rid, status="follow_up", message=MESSAGE).status_code == 302
    _participant_sends(app, world, rid, work="yes")
    fields = review_form(counsellor, rid)
    assert (fields["status"], fields["message"]) == ("new", "")
    assert post_review(counsellor, rid, fields, note="Reading").status_code == 302
    assert _stored(app, rid)[0] == "submitted"


# ------------------------------------------------------------------ a page opened earlier


def test_a_form_opened_before_the_answers_were_sent_again_changes_nothing(app, world, as_actor):
    rid = _sent(app, world)
    counsellor = as_actor(app, "c1")
    assert post_review(counsellor, rid, status="follow_up", message=MESSAGE).status_code == 302
    tab = review_form(counsellor, rid)  # a tab left open on the follow-up
    _participant_sends(app, world, rid, work="yes")
    before = _stored(app, rid)
    assert before[0] == "submitted"
    refused = post_review(counsellor, rid, tab, note="Talked on the phone", message="")
    assert refused.status_code == 409
    assert STALE in _text(refused) and "Nothing was changed." in _text(refused)
    assert _stored(app, rid) == before  # still sent: not opened for changes again
    # The page is the response as it stands now, with what was typed kept; the status starts
    # from "New", so saving it now does not open the answers again either.
    again = form_fields(refused.get_data(as_text=True))
    assert again["status"] == "new" and again["note"] == "Talked on the phone"
    assert again["seen"] != tab["seen"]
    assert post_review(counsellor, rid, again).status_code == 302
    status, _revision, stored, _shown, _audited = _stored(app, rid)
    assert status == "submitted" and stored[-1] == ("new", "Talked on the phone", "")


def test_a_form_opened_before_a_colleagues_review_changes_nothing(app, world, as_actor):
    rid = _sent(app, world)
    counsellor, lead = as_actor(app, "c1"), as_actor(app, "lead1")
    tab = review_form(counsellor, rid)
    assert post_review(lead, rid, status="completed", note="Done").status_code == 302
    before = _stored(app, rid)
    refused = post_review(counsellor, rid, tab, status="follow_up", message=MESSAGE)
    assert refused.status_code == 409 and STALE in _text(refused)
    assert _stored(app, rid) == before
    assert form_fields(refused.get_data(as_text=True))["status"] == "completed"


@pytest.mark.parametrize(
    "seen",
    ["", "submitted-999", "x" * 5000, "draft-0"],
    ids=["missing", "unknown", "long", "never"],
)
def test_a_form_without_the_state_it_was_opened_on_changes_nothing(app, world, as_actor, seen):
    rid = _sent(app, world)
    counsellor = as_actor(app, "c1")
    before = _stored(app, rid)
    fields = review_form(counsellor, rid)
    if seen:
        fields["seen"] = seen
    else:
        del fields["seen"]
    refused = post_review(counsellor, rid, fields, status="follow_up", message=MESSAGE)
    assert refused.status_code == 409 and STALE in _text(refused)
    assert _stored(app, rid) == before


def test_an_outdated_form_that_is_also_invalid_says_it_is_outdated(app, world, as_actor):
    rid = _sent(app, world)
    counsellor = as_actor(app, "c1")
    assert post_review(counsellor, rid, status="follow_up", message=MESSAGE).status_code == 302
    tab = review_form(counsellor, rid)
    _participant_sends(app, world, rid, work="yes")
    before = _stored(app, rid)
    refused = post_review(counsellor, rid, tab, message="x" * (reviews.MESSAGE_LIMIT + 1))
    assert refused.status_code == 409 and STALE in _text(refused)
    assert form_fields(refused.get_data(as_text=True))["status"] == "new"
    assert _stored(app, rid) == before


def test_the_participants_edits_during_follow_up_do_not_outdate_the_form(app, world, as_actor):
    """While the answers are open the only review is the follow-up (its message may change):
    the participant typing on the phone meanwhile does not refuse the counsellor's save."""
    rid = _sent(app, world)
    counsellor = as_actor(app, "c1")
    assert post_review(counsellor, rid, status="follow_up", message=MESSAGE).status_code == 302
    tab = review_form(counsellor, rid)
    _participant_edits(app, world, rid)
    assert post_review(counsellor, rid, tab, message="Thank you").status_code == 302
    assert _stored(app, rid)[3] == "Thank you"


# ------------------------------------------------------------------ a message that would not show


@pytest.mark.parametrize("status", ["new", "in_review", "completed"])
def test_a_message_with_another_status_is_refused_not_dropped(app, world, as_actor, status):
    rid = _sent(app, world)
    counsellor = as_actor(app, "c1")
    before = _stored(app, rid)
    refused = post_review(counsellor, rid, status=status, message="Great work, see you Tuesday")
    assert refused.status_code == 422
    page = _text(refused)
    assert WITHOUT_FOLLOW_UP in page and "Nothing was changed." in page
    assert "The review is saved." not in page
    # The summary says what was refused: a review, not "answers".
    summary = page[page.index('class="error-summary"') :].split("</div>")[0]
    assert "The review was not saved" in summary and "Please check these answers" not in summary
    assert _stored(app, rid) == before
    # What was typed is still in the box, to be moved to a message under Comments.
    assert form_fields(refused.get_data(as_text=True))["message"] == "Great work, see you Tuesday"
    # Blank is no message: saved.
    assert post_review(counsellor, rid, status=status, message="  \r\n ").status_code == 302


def test_the_service_refuses_a_message_without_follow_up_and_an_outdated_state(app, world):
    rid = _sent(app, world)
    with app.app_context():
        response = db.session.get(Response, rid)
        staff = db.session.get(StaffUser, world.c1)
        seen = reviews.review_state(response)
        with pytest.raises(reviews.ReviewError) as refused:
            reviews.add_review(response, staff, "completed", "", "Bra")
        assert refused.value.code == "message_without_follow_up"
        with pytest.raises(reviews.ReviewError) as refused:
            reviews.add_review(response, staff, "completed", "", "", seen="draft-0")
        assert refused.value.code == "stale"
        db.session.rollback()
        reviews.add_review(db.session.get(Response, rid), staff, "in_review", "", "", seen=seen)
        db.session.commit()
        assert reviews.review_state(db.session.get(Response, rid)) != seen
