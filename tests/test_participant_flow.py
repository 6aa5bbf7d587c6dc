"""From invite to counsellor review through the server-rendered pages (no JavaScript)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, LoginSession, Participant, Response
from webapp.models.types import utcnow

from .conftest import csrf_token, join
from .review_forms import review_form

# Form data per page of forms/kartlegging.json, answering (almost) everything.
PAGES = {
    1: {"mapped_before": "yes", "previous_mapping_where": "NAV Grünerløkka",
        "previous_mapping_when": "2024-03-01", "documents_available": ["diplomas", "cv"]},
    2: {"short_term_goal_kind": "norwegian", "short_term_goal": "Lære norsk",
        "long_term_goal_kind": "work", "long_term_goal": "Jobbe som sykepleier",
        "desired_occupation": "Sykepleier", "wants_career_guidance": "true"},
    3: {"household": ["partner", "children"], "children_count": "2", "childcare_arranged": "yes",
        "care_responsibilities": "false", "support_network": ["family"], "economy": "mostly",
        "health_affects": "prefer_not", "immigration_pending": "family_reunification",
        "available_time": "full_time"},
    4: {"educations-0-level": "bachelor", "educations-0-field": "Nursing",
        "educations-0-country": "SY", "educations-0-years": "4", "educations-0-completed": "true",
        "educations-0-documentation": "partly", "has_work_experience": "true",
        "jobs-0-occupation": "Nurse", "jobs-0-country": "SY", "jobs-0-years": "6,5"},
    5: {"skills": ["care", "health"], "interests": ["people"], "driving_licence": "false"},
    6: {"recognition_applied": "no", "recognition_wanted": "yes",
        "undocumented_competence": "false", "regulated_profession": "yes",
        "regulated_profession_name": "Sykepleier"},
    7: {"mother_tongue": "ar", "languages_spoken-0-language": "en", "languages_spoken-0-level": "3",
        "norwegian_training": "now", "norwegian_level": "A2", "norwegian_test_taken": "true",
        "norwegian_tests": ["norskproven"], "norwegian_test_date": "2025-06-01",
        "norwegian_confidence": "2", "norwegian_training_need": "yes"},
    8: {"devices": ["smartphone"], "digital_phone": "4", "digital_email": "3",
        "digital_bankid": "2", "digital_forms": "2", "digital_office": "1",
        "digital_training_need": "yes"},
    9: {"anything_else": "Takk"},
}  # fmt: skip


@pytest.fixture
def participant(app, world, as_actor):
    return as_actor(app, "p1")


def start(client) -> str:
    token = csrf_token(client, "/me/")
    response = client.post("/me/q/kartlegging/start", data={"csrf_token": token})
    assert response.status_code == 302
    return response.location.rsplit("/", 1)[1]


def post_page(client, rid: str, page: int, data: dict, action: str = "next"):
    token = csrf_token(client, f"/r/{rid}/{page}")
    return client.post(f"/r/{rid}/{page}", data={**data, "csrf_token": token, "action": action})


def fill_page(client, rid: str, page: int, data: dict):
    """Post a page again while the answers reveal more questions on it (as a person would)."""
    response = post_page(client, rid, page, data)
    for _ in range(3):
        if "New questions appeared" not in response.get_data(as_text=True):
            break
        response = post_page(client, rid, page, data)
    return response


def stored(app, rid: str) -> Response:
    with app.app_context():
        response = db.session.get(Response, rid)
        db.session.expunge(response)
        return response


def test_fill_in_submit_and_review(app, world, participant, as_actor):
    home = participant.get("/me/")
    assert home.status_code == 200 and "Mapping" in home.get_data(as_text=True)
    rid = start(participant)
    # Page 1: answering "yes" shows two more questions on the same page first.
    first = post_page(participant, rid, 1, {"mapped_before": "yes"})
    assert first.status_code == 200
    assert "New questions appeared" in first.get_data(as_text=True)
    assert 'name="previous_mapping_where"' in first.get_data(as_text=True)
    for page, data in PAGES.items():
        response = fill_page(participant, rid, page, data)
        assert response.status_code == 302, (page, response.get_data(as_text=True)[-2000:])
        if page == 4:  # the group pages keep what was typed, including a decimal comma
            assert stored(app, rid).answers["jobs"] == [
                {"occupation": "Nurse", "country": "SY", "years": 6.5}
            ]
    assert response.location.endswith(f"/r/{rid}/summary")
    summary = participant.get(f"/r/{rid}/summary").get_data(as_text=True)
    assert "Sykepleier" in summary and "Syria" in summary
    token = csrf_token(participant, f"/r/{rid}/summary")
    sent = participant.post(f"/r/{rid}/submit", data={"csrf_token": token})
    assert sent.status_code == 302 and sent.location.endswith("/me/")

    answers = stored(app, rid).answers
    assert stored(app, rid).status == "submitted"
    assert answers["educations"][0] == {
        "level": "bachelor", "field": "Nursing", "country": "SY", "years": 4,
        "completed": True, "documentation": "partly",
    }  # fmt: skip
    assert answers["children_count"] == 2 and answers["wants_career_guidance"] is True
    assert answers["documents_available"] == ["diplomas", "cv"]
    assert "health_adaptations" not in answers  # hidden by "prefer_not"

    counsellor = as_actor(app, "c1")
    caseload = counsellor.get("/caseload").get_data(as_text=True)
    assert "p1" in caseload and "Submitted" in caseload  # not reviewed yet
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    # Answers beside their questions in the counsellor's language (English), options as labels
    assert "Have you been through a mapping before?" in page or "mapping" in page.lower()
    assert "Bachelor" in page and "Syria" in page
    assert "Suggested resources" in page  # answers carry resource tags
    reviewed = counsellor.post(
        f"/responses/{rid}",
        data={**review_form(counsellor, rid), "status": "follow_up", "note": "Ring om godkjenning"},
    )
    assert reviewed.status_code == 302
    page = counsellor.get(f"/responses/{rid}").get_data(as_text=True)
    assert "Ring om godkjenning" in page and "Follow-up needed" in page
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert {"response.submit.web", "response.review", "response.reopen"} <= set(actions)
        targets = " ".join(db.session.scalars(sa.select(AuditEvent.target)))
        assert "Sykepleier" not in targets


def test_back_keeps_answers(participant):
    rid = start(participant)
    assert fill_page(participant, rid, 1, PAGES[1]).status_code == 302
    back = post_page(participant, rid, 2, {"short_term_goal": "Norsk"}, action="back")
    assert back.status_code == 302 and back.location.endswith(f"/r/{rid}/1")
    page_two = participant.get(f"/r/{rid}/2").get_data(as_text=True)
    assert "Norsk</textarea>" in page_two
    page_one = participant.get(f"/r/{rid}/1").get_data(as_text=True)
    assert 'value="NAV Grünerløkka"' in page_one


def test_group_entries_can_be_added_and_removed(app, participant):
    rid = start(participant)
    data = {"educations-0-level": "primary", "has_work_experience": "false"}
    added = post_page(participant, rid, 4, data, action="add:educations")
    assert added.status_code == 302 and "add=educations" in added.location
    html = participant.get(added.location).get_data(as_text=True)
    assert 'name="educations-1-level"' in html
    data = {"educations-0-level": "primary", "educations-1-level": "master",
            "has_work_experience": "false"}  # fmt: skip
    post_page(participant, rid, 4, data, action="remove:educations:0")
    assert stored(app, rid).answers["educations"] == [{"level": "master"}]


def test_a_group_that_appears_shows_its_first_entry(app, participant):
    """Asked "Have you worked before?", Yes, and Next: the page is drawn again with the questions
    that appeared. The work experience group showed no entry and no field (its entries were
    read from the posted form, which had none), so Next again skipped it unseen."""
    rid = start(participant)
    data = {"educations-0-level": "primary", "educations-0-years": "٣",
            "has_work_experience": "true"}  # fmt: skip
    appeared = post_page(participant, rid, 4, data)
    html = appeared.get_data(as_text=True)
    assert appeared.status_code == 200
    assert "New questions appeared based on your answers." in html
    assert 'name="jobs-0-occupation"' in html  # entry 1 of the group, as a GET draws it
    years = re.search(r'<input[^>]*name="educations-0-years"[^>]*>', html).group(0)
    assert 'value="3"' in years  # as stored, not the posted "٣"


THREE = {"educations-0-level": "primary", "educations-1-level": "master",
         "educations-2-level": "phd", "has_work_experience": "false"}  # fmt: skip


@pytest.mark.parametrize(
    ("remove", "kept"),
    [
        # Entry 1 emptied, then its own "Remove": the others stay. Before, blank entries were
        # left out of the answer first, and the item numbered 0 (the master) was removed.
        (0, [{"level": "master"}, {"level": "phd"}]),
        # Entry 1 emptied, "Remove" on entry 2: the master goes, the phd stays.
        (1, [{"level": "phd"}]),
        (2, [{"level": "master"}]),
    ],
)
def test_remove_takes_the_entry_as_numbered_on_the_page(app, participant, remove, kept):
    rid = start(participant)
    post_page(participant, rid, 4, THREE, action="save")
    emptied = {**THREE, "educations-0-level": ""}
    post_page(participant, rid, 4, emptied, action=f"remove:educations:{remove}")
    assert stored(app, rid).answers["educations"] == kept


@pytest.mark.parametrize(
    "action", ["add:x\r\nX-Injected: 1", "remove:nope:0", "add:has_work_experience", "add:"]
)
def test_add_or_remove_on_no_group_of_the_page_is_refused(app, participant, action):
    """The group's name went unchecked into the address the page is sent back to: a line
    break in it was a server error."""
    rid = start(participant)
    post_page(participant, rid, 4, THREE, action="save")
    answer = post_page(participant, rid, 4, {**THREE, "educations-2-level": ""}, action=action)
    assert answer.status_code == 400
    assert "X-Injected" not in answer.headers
    assert len(stored(app, rid).answers["educations"]) == 3  # nothing was changed


@pytest.mark.parametrize("index", ["²", "٠", "9" * 5000, "-1", ""])
def test_removing_an_entry_that_is_no_number_removes_nothing(app, participant, index):
    """ "²" is a digit to isdigit() but not to int(): removing entry "²" was a server error."""
    rid = start(participant)
    data = {"educations-0-level": "primary", "educations-1-level": "master",
            "has_work_experience": "false"}  # fmt: skip
    answer = post_page(participant, rid, 4, data, action=f"remove:educations:{index}")
    assert answer.status_code == 302
    assert stored(app, rid).answers["educations"] == [{"level": "primary"}, {"level": "master"}]


@pytest.mark.parametrize("base", ["²", "9" * 5000, "-2", "x"])
def test_a_base_revision_that_is_no_number_is_no_base(app, participant, base):
    """The page's answers are kept, as from a page with no base revision (merged per
    question), never a server error."""
    rid = start(participant)
    token = csrf_token(participant, f"/r/{rid}/2")
    answer = participant.post(f"/r/{rid}/2", data={
        "csrf_token": token, "action": "back", "short_term_goal": "Norsk",
        "base_revision": base})  # fmt: skip
    assert answer.status_code == 302
    assert stored(app, rid).answers["short_term_goal"] == "Norsk"


def test_a_group_offers_no_entry_beyond_its_maximum(app, participant):
    """The mapping questionnaire allows 15 educations: a 16th would make the whole response
    invalid, so the page stops offering one, and asking for it anyway adds none."""
    rid = start(participant)
    full = {f"educations-{i}-level": "primary" for i in range(15)}
    data = {**full, "has_work_experience": "false"}
    added = post_page(participant, rid, 4, data, action="add:educations")
    assert len(stored(app, rid).answers["educations"]) == 15
    html = participant.get(added.location).get_data(as_text=True)
    assert 'name="educations-14-level"' in html and 'name="educations-15-level"' not in html
    assert 'value="add:educations"' not in html
    fewer = {**data}
    del fewer["educations-14-level"]
    added = post_page(participant, rid, 4, fewer, action="add:educations")
    html = participant.get(added.location).get_data(as_text=True)
    assert 'name="educations-14-level"' in html and 'value="add:educations"' not in html


BAD_PAGES = [
    # (page, answers stored first, posted data, message shown next to the field)
    (2, {}, {"short_term_goal": "x", "long_term_goal_kind": "work"},
     "Please answer this question."),
    (1, {}, {"mapped_before": "hacked"}, "Please choose one of the options."),
    (3, {"household": ["children"]}, {"household": ["children"], "children_count": "99"},
     "The number must be 20 or less."),
    (3, {"household": ["children"]}, {"household": ["children"], "children_count": "two"},
     "Please write a number"),
    (1, {"mapped_before": "yes"}, {"mapped_before": "yes", "previous_mapping_when": "2024-02-30"},
     "real date"),
    (7, {}, {"norwegian_confidence": "9"}, "Please choose one of the options."),
    (4, {}, {"educations-0-country": "XX"}, "Please choose one of the options."),
    (4, {}, {"educations-0-years": "-3"}, "The number must be 0 or more."),
    (5, {}, {"skills": ["care", "juggling"]}, "Please choose one of the options."),
]  # fmt: skip


@pytest.mark.parametrize(("page", "first", "data", "message"), BAD_PAGES)
def test_bad_answers_show_errors_and_store_nothing(app, participant, page, first, data, message):
    rid = start(participant)
    if first:
        post_page(participant, rid, page, first, action="save")
    before = stored(app, rid)
    response = post_page(participant, rid, page, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'class="error-summary"' in html
    after = stored(app, rid)
    assert (after.answers, after.revision) == (before.answers, before.revision)


def test_submit_with_missing_required_lists_what_to_fix(app, participant):
    rid = start(participant)
    token = csrf_token(participant, f"/r/{rid}/summary")
    response = participant.post(f"/r/{rid}/submit", data={"csrf_token": token})
    assert response.status_code == 422
    assert "Please answer this question." in response.get_data(as_text=True)
    assert stored(app, rid).status == "draft"


def test_a_sent_response_cannot_be_changed(app, participant):
    rid = start(participant)
    for page, data in PAGES.items():
        fill_page(participant, rid, page, data)
    token = csrf_token(participant, f"/r/{rid}/summary")
    participant.post(f"/r/{rid}/submit", data={"csrf_token": token})
    before = stored(app, rid)
    again = participant.post(f"/r/{rid}/submit", data={"csrf_token": token})
    assert again.status_code == 302
    late = participant.post(
        f"/r/{rid}/1", data={"csrf_token": token, "mapped_before": "no", "action": "next"}
    )
    assert late.status_code == 302 and late.location.endswith("/summary")
    after = stored(app, rid)
    assert (after.answers, after.revision, after.status) == (before.answers, before.revision,
                                                             "submitted")  # fmt: skip


def test_missing_csrf_token_changes_nothing(app, participant):
    rid = start(participant)
    before = stored(app, rid)
    response = participant.post(f"/r/{rid}/1", data={"mapped_before": "no", "action": "next"})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    assert stored(app, rid).answers == before.answers


def test_oversized_body_is_refused(app, participant):
    rid = start(participant)
    token = csrf_token(participant, f"/r/{rid}/1")
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    # Sent as bytes: a dict this large would make the test client spool it to a temp file.
    body = urlencode({"csrf_token": token, "anything_else": huge, "action": "next"}).encode()
    response = participant.post(
        f"/r/{rid}/9", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert stored(app, rid).answers == {}


@pytest.mark.parametrize("path", ["/r/{rid}/0", "/r/{rid}/99", "/r/not-a-uuid/1"])
def test_pages_that_do_not_exist(participant, path):
    rid = start(participant)
    assert participant.get(path.format(rid=rid)).status_code == 404


def test_wrong_invite_code(client, world):
    response = client.get("/join/AAAAAAAAAA")
    assert response.status_code == 404
    assert "This link does not work any more" in response.get_data(as_text=True)
    token = csrf_token(client, "/join")
    typed = client.post("/join", data={"csrf_token": token, "code": "nope"})
    assert typed.status_code == 422
    assert "We did not find this code" in typed.get_data(as_text=True)


def test_typed_code_is_forgiving_about_case_and_dashes(client, world):
    code = world.codes["p1"].lower()
    typed = f"{code[:4]}-{code[4:8]} {code[8:]}"
    token = csrf_token(client, "/join")
    response = client.post("/join", data={"csrf_token": token, "code": typed})
    assert response.status_code == 302 and response.location.endswith("/me/")


def test_expired_staff_session_asks_to_sign_in_again(app, as_actor):
    client = as_actor(app, "c1")
    with app.app_context():  # the working day is over: the server-side session has expired
        for login in db.session.scalars(sa.select(LoginSession)):
            login.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/caseload")
    assert response.status_code == 302 and "/login" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "Your session has expired" in page


def test_a_participant_whose_session_ended_is_told_to_ask_for_a_new_code(app, as_actor):
    """Codes work once: "sign in again with your code" would send them to a dead end."""
    phone, app_phone = as_actor(app, "p1"), as_actor(app, "p1")
    with app.app_context():
        for login in db.session.scalars(sa.select(LoginSession)):
            login.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = phone.get("/me/")
    assert response.status_code == 302 and "/join" in response.location
    page = phone.get(response.location).get_data(as_text=True)
    assert "Ask your counsellor for a new code to sign in again." in page
    refused = app_phone.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json["detail"].startswith("Ask your counsellor for a new invite")


def test_signing_out_says_how_to_come_back(app, as_actor):
    phone = as_actor(app, "p1")
    token = csrf_token(phone, "/me/")
    page = phone.post("/leave", data={"csrf_token": token}, follow_redirects=True)
    assert "To come back, ask your counsellor for a new code." in page.get_data(as_text=True)


def test_signing_out_says_so_in_the_language_of_the_person_leaving(app, world, as_actor):
    """The browser asks for English; the participant reads Ukrainian. The sentence telling
    them how to come back, and the sign-in page around it, are in Ukrainian (they were in the
    browser's language: the session's language was cleared before the sentence was made)."""
    with app.app_context():
        db.session.get(Participant, world.p1).language = "uk"
        db.session.commit()
    phone = as_actor(app, "p1")
    token = csrf_token(phone, "/me/")
    left = phone.post("/leave", data={"csrf_token": token})
    assert left.status_code == 302 and left.location.endswith("/join")
    page = phone.get(left.location).get_data(as_text=True)
    assert "Щоб повернутися, попросіть у консультанта новий код." in page
    assert "To come back" not in page
    assert 'lang="uk"' in page and "Ласкаво просимо до Løype" in page
    # The next person on the phone chooses theirs with the switcher, and it is theirs.
    _choose_language(phone, "so", "/join")
    assert 'lang="so"' in phone.get("/join").get_data(as_text=True)


def test_the_language_of_the_person_who_left_is_not_the_next_ones(app, world, as_actor):
    """Kept for the page that says "you are signed out", the leaver's language is no choice
    of the next person who signs in on the phone without touching the switcher."""
    with app.app_context():
        db.session.get(Participant, world.p1).language = "uk"
        db.session.commit()
    phone = as_actor(app, "p1")
    token = csrf_token(phone, "/me/")
    assert phone.post("/leave", data={"csrf_token": token}).status_code == 302
    assert join(phone, world.new_code("p2")).status_code == 302
    assert _language_of(app, Participant, world.p2) == "en"
    assert 'lang="en"' in phone.get("/me/").get_data(as_text=True)


def test_wrong_password(client, world):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"csrf_token": token, "email": "c1@a.no", "password": "wrong"}
    )
    assert response.status_code == 422
    assert "The e-mail address or the password is wrong." in response.get_data(as_text=True)


def test_login_redirect_stays_on_site(client, world):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"csrf_token": token, "email": "c1@a.no", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302 and "evil" not in response.location


def test_counsellor_adds_participant_and_gets_invite(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    token = csrf_token(counsellor, "/participants/new")
    response = counsellor.post(
        "/participants/new",
        data={"csrf_token": token, "display_name": "Amina", "language": "en",
              "counsellor_id": str(world.c1)},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    code = re.search(r'class="code"[^>]*>([A-Z0-9-]+)<', html).group(1)
    assert not set(code.replace("-", "")) & set("0O1IL")
    assert "<svg" in html and f"/join/{code.replace('-', '')}" in html
    phone = app.test_client()
    assert join(phone, code.replace("-", "")).status_code == 302
    assert "Amina" in phone.get("/me/").get_data(as_text=True)


def test_counsellor_cannot_assign_to_another_municipality(app, world, as_actor):
    counsellor = as_actor(app, "c1")
    token = csrf_token(counsellor, "/participants/new")
    response = counsellor.post(
        "/participants/new",
        data={"csrf_token": token, "display_name": "X", "language": "en",
              "counsellor_id": str(world.c3)},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Choose one of the listed options." in response.get_data(as_text=True)


def test_logs_hold_no_answers_or_codes(app, world, as_actor, caplog):
    caplog.set_level("DEBUG")
    phone = as_actor(app, "p1")
    rid = start(phone)
    fill_page(phone, rid, 1, PAGES[1])
    fill_page(phone, rid, 9, {"anything_else": "Hemmelig helseopplysning"})
    text = caplog.text
    assert "Hemmelig" not in text and "Grünerløkka" not in text
    assert world.codes["p1"] not in text


def test_request_log_lines_hide_invite_codes():
    import logging

    from webapp.logs import RedactInviteCodes

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '%s - - "%s" %s', ("127.0.0.1", "GET /join/ABCDEFGHJK HTTP/1.1",
                                                  "302"), None)  # fmt: skip
    RedactInviteCodes().filter(record)
    assert "ABCDEFGHJK" not in record.getMessage() and "/join/[redacted]" in record.getMessage()


def test_language_choice_is_remembered_for_the_participant(app, world, as_actor):
    phone = as_actor(app, "p1")
    assert 'lang="en"' in phone.get("/me/").get_data(as_text=True)
    token = csrf_token(phone, "/me/")
    changed = phone.post("/language", data={"csrf_token": token, "lang": "nb", "next": "/me/"})
    assert changed.status_code == 302 and changed.location.endswith("/me/")
    assert "Mine spørreskjemaer" in phone.get("/me/").get_data(as_text=True)
    again = as_actor(app, "p1")  # another phone, same participant
    assert 'lang="nb"' in again.get("/me/").get_data(as_text=True)
    bogus = phone.post("/language", data={"csrf_token": token, "lang": "xx", "next": "//evil"})
    assert bogus.status_code == 302 and "evil" not in bogus.location


def _choose_language(client, lang: str, on: str) -> None:
    """Pick a language with the switcher of page ``on``, with nobody signed in."""
    token = csrf_token(client, on)
    chosen = client.post("/language", data={"csrf_token": token, "lang": lang, "next": on})
    assert chosen.status_code == 302


def _language_of(app, model, person_id: int) -> str:
    with app.app_context():
        return db.session.get(model, person_id).language


def test_a_language_chosen_on_the_invite_page_stays_after_joining(app, world):
    from .conftest import english_client

    phone = english_client(app)
    link = f"/join/{world.codes['p1']}"
    _choose_language(phone, "ar", link)
    assert 'lang="ar"' in phone.get(link).get_data(as_text=True)
    assert join(phone, world.codes["p1"]).status_code == 302
    # The app opens in the language they chose, not in the one on record (English here).
    page = phone.get("/me/").get_data(as_text=True)
    assert 'lang="ar"' in page and 'dir="rtl"' in page
    assert _language_of(app, Participant, world.p1) == "ar"  # their other phones too


def test_a_language_chosen_long_before_signing_in_is_not_taken(app, world):
    from webapp.auth import LANGUAGE_CHOSEN

    from .conftest import english_client

    phone = english_client(app)
    _choose_language(phone, "uk", "/join")
    with phone.session_transaction() as cookie:
        cookie[LANGUAGE_CHOSEN] -= 2 * 3600  # chosen two hours ago
    assert join(phone, world.codes["p1"]).status_code == 302
    assert _language_of(app, Participant, world.p1) == "en"
    assert 'lang="en"' in phone.get("/me/").get_data(as_text=True)


def test_the_previous_participants_language_is_not_the_next_ones_on_a_shared_phone(app, world):
    from .conftest import english_client

    phone = english_client(app)
    _choose_language(phone, "ti", f"/join/{world.codes['p1']}")
    assert join(phone, world.codes["p1"]).status_code == 302
    token = csrf_token(phone, "/me/")
    assert phone.post("/leave", data={"csrf_token": token}).status_code == 302
    code = world.new_code("p2")
    assert join(phone, code).status_code == 302
    assert _language_of(app, Participant, world.p1) == "ti"
    assert _language_of(app, Participant, world.p2) == "en"
    assert 'lang="en"' in phone.get("/me/").get_data(as_text=True)


def test_a_language_chosen_on_the_sign_in_page_is_the_staff_members_after(app, world):
    from webapp.models import StaffUser

    from .conftest import english_client, login_staff

    browser = english_client(app)
    _choose_language(browser, "nb", "/login")
    assert login_staff(browser, world.emails["c1"]).status_code == 302
    assert _language_of(app, StaffUser, world.c1) == "nb"
    assert 'lang="nb"' in browser.get("/caseload").get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "/login", {"data": {"email": "a\x00@b.no", "password": "x"}}),
        ("get", "/join/AB\x00CD", {}),
        ("put", "/api/v1/responses/00000000-0000-4000-8000-000000000000",
         {"json": {"questionnaire": "k\x00", "version": 1, "status": "draft", "answers": {}}}),
    ],
)  # fmt: skip
def test_nul_characters_are_refused_everywhere(client, world, method, path, kwargs):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 400


def test_group_errors_show_on_the_entry_they_belong_to(app, participant):
    rid = start(participant)
    # Entry 0 left blank (a browser still posts its empty fields), entry 1 out of range.
    data = {"educations-0-field": "", "educations-0-years": "", "educations-1-years": "-2",
            "has_work_experience": "false"}  # fmt: skip
    response = post_page(participant, rid, 4, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="educations-1-years-error"' in html and 'id="educations-0-years-error"' not in html
