"""Bad input never crashes: a table of hostile bodies and URLs, each answered 400/422 in the
user's language with nothing stored, and no NaN or Infinity ever reaching the database."""

from __future__ import annotations

import json
import math
import uuid

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.input_guard import MAX_DEPTH, MAX_STRING
from webapp.models import Response

from .conftest import FORMS


def count_responses(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Response))


def good_body(**answers) -> dict:
    return {"questionnaire": "kartlegging", "version": 1, "status": "draft", "answers": answers}


def raw(body: dict) -> str:
    return json.dumps(body)


NESTED = '{"questionnaire": "kartlegging", "version": 1, "status": "draft", "answers": {"x": '
BAD_BODIES = [
    ("deep nesting (issue 8)", NESTED + "[" * 330 + "]" * 330 + "}}", "nested too deeply"),
    ("deep nesting, 100k", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("one level too deep", NESTED + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}}", "nested too deeply"),
    ("NaN (issue 8)", raw(good_body()).replace('"answers": {}', '"answers": {"years": NaN}'),
     "NaN and Infinity"),
    ("Infinity", raw(good_body()).replace('"answers": {}', '"answers": {"years": Infinity}'),
     "NaN and Infinity"),
    ("-Infinity", raw(good_body()).replace('"answers": {}', '"answers": {"years": -Infinity}'),
     "NaN and Infinity"),
    ("1e400 overflows to Infinity", raw(good_body()).replace('"answers": {}',
     '"answers": {"children_count": 1e400}'), "NaN and Infinity"),
    ("lone surrogate in an answer (issue 8)",
     raw(good_body()).replace('"answers": {}', '"answers": {"short_term_goal": "\\ud800"}'),
     "characters that are not text"),
    ("lone surrogate as slug (issue 8)", raw(good_body()).replace('"kartlegging"', '"\\udfff"'),
     "characters that are not text"),
    ("lone surrogate as a key",
     raw(good_body()).replace('"answers": {}', '"answers": {"\\ud800": 1}'),
     "characters that are not text"),
    ("NUL escaped", raw(good_body(short_term_goal="a\x00b")), "characters that are not text"),
    ("invalid UTF-8", b'{"questionnaire": "\xff\xfe"}', "characters that are not text"),
    ("duplicate key", raw(good_body()).replace('"version": 1', '"version": 1, "version": 2'),
     "appears twice"),
    ("text too long", raw(good_body(short_term_goal="x" * (MAX_STRING + 1))), "too long"),
    ("too many keys", raw(good_body(**{f"k{i}": 1 for i in range(6000)})), "too many fields"),
    ("trailing comma", '{"questionnaire": "kartlegging",}', "standard JSON"),
    ("single quotes", "{'questionnaire': 'kartlegging'}", "standard JSON"),
    ("comment", '{"questionnaire": "kartlegging" /* x */}', "standard JSON"),
    ("two documents", raw(good_body()) + raw(good_body()), "standard JSON"),
    ("huge integer", '{"version": ' + "9" * 5000 + "}", "standard JSON"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), [(b, m) for _n, b, m in BAD_BODIES],
                         ids=[n for n, _b, _m in BAD_BODIES])  # fmt: skip
def test_bad_json_is_refused_with_a_clear_message(app, world, as_actor, body, message):
    phone = as_actor(app, "p1")
    data = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    for method, url in (("PUT", f"/api/v1/responses/{uuid.uuid4()}"), ("POST", "/api/v1/sync")):
        response = phone.open(url, method=method, data=data, content_type="application/json")
        assert response.status_code == 400, (method, response.status_code)
        assert response.mimetype == "application/problem+json"
        assert message in response.json["detail"]
        assert response.json["status"] == 400
    assert count_responses(app) == 0


def test_the_message_is_in_the_participants_language(app, world, as_actor):
    phone = as_actor(app, "p1")
    with app.app_context():
        from webapp.models import Participant

        db.session.get(Participant, world.p1).language = "nb"
        db.session.commit()
    body = raw(good_body()).replace('"answers": {}', '"answers": {"years": NaN}')
    response = phone.put(f"/api/v1/responses/{uuid.uuid4()}", data=body,
                         content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert "NaN og Infinity" in response.json["detail"]


def test_depth_within_the_limit_reaches_the_validator(app, world, as_actor):
    phone = as_actor(app, "p1")
    nested = NESTED + "[" * (MAX_DEPTH - 3) + "]" * (MAX_DEPTH - 3) + "}}"
    response = phone.put(f"/api/v1/responses/{uuid.uuid4()}", data=nested,
                         content_type="application/json")  # fmt: skip
    assert response.status_code in (201, 422)  # parsed fine; what "x" is, is the sync's call


@pytest.mark.parametrize(
    "path",
    ["/api/v1/questionnaires/%ED%A0%80/versions/1", "/api/v1/questionnaires/%00/versions/1",
     "/r/%ED%A0%80/1", "/join/%ED%A0%80", "/me/q/%ED%A0%80/start"],
)  # fmt: skip
def test_broken_characters_in_the_url_never_500(app, world, as_actor, path):
    phone = as_actor(app, "p1")
    for method in ("GET", "POST"):
        response = phone.open(path, method=method)
        assert response.status_code in (400, 404, 405), (method, path, response.status_code)


HUGE = "9" * 23  # beyond any database integer


def test_an_id_too_large_for_the_database_is_not_found_or_refused_never_500(app, world, as_actor):
    from .conftest import csrf_token

    counsellor, lead = as_actor(app, "c1"), as_actor(app, "lead1")
    for path in (f"/participants/{HUGE}", "/participants/9223372036854775808",
                 f"/participants/{world.p1}/shared/{HUGE}/withdraw"):  # fmt: skip
        assert counsellor.get(path).status_code in (404, 405), path
    page = f"/participants/{world.p1}"
    for value in (HUGE, "abc", "-1"):
        token = csrf_token(lead, page)
        moved = lead.post(f"{page}/counsellor", data={"csrf_token": token, "counsellor_id": value})
        assert moved.status_code == 422, value
        assert "Choose a counsellor in your municipality" in moved.get_data(as_text=True)
    added = counsellor.post("/participants/new", data={
        "csrf_token": csrf_token(counsellor, "/participants/new"), "display_name": "Ny",
        "language": "nb", "counsellor_id": HUGE})  # fmt: skip
    assert added.status_code == 422
    assert "Choose one of the listed options." in added.get_data(as_text=True)


def test_form_numbers_too_large_are_not_stored_as_infinity(app, world, as_actor):
    """A number field with 400 digits is a float overflow, refused like any non-number."""
    from webapp.models import Participant, Questionnaire
    from webapp.questionnaires import validate_answers

    with app.app_context():
        version = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging")).latest
        _cleaned, errors = validate_answers(
            version.definition,
            {"household": ["children"], "children_count": float("inf")},
            complete=False,
        )
        assert [(e.path, e.code) for e in errors] == [("/children_count", "type")]
        _cleaned, errors = validate_answers(
            version.definition,
            {"household": ["children"], "children_count": float("nan")},
            complete=False,
        )
        assert [(e.path, e.code) for e in errors] == [("/children_count", "type")]
        assert db.session.get(Participant, world.p1) is not None


def test_the_database_refuses_nan_even_if_everything_else_failed(app, world):
    from webapp.models import Participant, Questionnaire

    with app.app_context():
        version = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging")).latest
        db.session.add(
            Response(id=str(uuid.uuid4()), participant_id=world.p1, version_id=version.id,
                     answers={"years": math.nan})
        )  # fmt: skip
        with pytest.raises(Exception, match="(?i)out of range float|nan"):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Participant, world.p1) is not None
    assert count_responses(app) == 0


def test_other_methods_get_405_with_allow(app, world, as_actor):
    phone = as_actor(app, "p1")
    response = phone.delete("/api/v1/me")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    assert response.mimetype == "application/problem+json"


def test_the_openapi_document_describes_the_guard(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "400" in spec["paths"]["/me"]["get"]["responses"]
    put = spec["components"]["schemas"]["ResponsePut"]["properties"]["text_languages"]
    assert put["propertyNames"] == {"pattern": "^/"}
    assert "Allow" in spec["components"]["responses"]["MethodNotAllowed"]["headers"]
    cookie = spec["components"]["securitySchemes"]["participantSession"]
    assert (
        cookie["in"] == "cookie"
        and cookie["name"] == client.application.config["SESSION_COOKIE_NAME"]
    )


def test_preferences_take_only_json_booleans(app, world, as_actor):
    phone = as_actor(app, "p1")
    for wrong in (0, 0.0, 1, "true", None):
        response = phone.put("/api/v1/me/preferences", json={"show_norwegian": wrong})
        assert response.status_code == 422, wrong
    assert phone.put("/api/v1/me/preferences", json={"show_norwegian": True}).status_code == 200


@pytest.mark.parametrize(
    ("question", "posted", "expected"),
    [
        ("norwegian_confidence", "3", 3),
        ("norwegian_confidence", "-2", -2),
        # isdigit() says yes to "²" and int() says no: the page was a 500.
        ("norwegian_confidence", "²", "²"),
        ("norwegian_confidence", "٣", "٣"),
        # More digits than int() reads: a 500 too. Kept as text, the schema refuses it.
        ("norwegian_confidence", "1" * 5000, "1" * 5000),
        ("children_count", "12", 12),
        ("children_count", "1" * 400, None),  # too many digits: an error, no Infinity
        # More digits than a phone's numbers hold exactly: refused, never stored rounded.
        ("children_count", "999999999999999", 999999999999999),
        ("children_count", "000123456789012345", 123456789012345),
        ("children_count", "12345678901234567890", None),
        ("children_count", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", None),
        # The decimal separator an Arabic or Persian keyboard types (U+066B), as "," or ".".
        ("children_count", "۲٫۰", 2),
        ("children_count", "٣٫٥", 3.5),  # a fraction: the schema refuses it afterwards
        ("children_count", "٣٫٥٫١", None),
    ],
    ids=[
        "3",
        "-2",
        "superscript",
        "arabic-digit",
        "5000-digits",
        "number",
        "400-digits",
        "15-digits",
        "leading-zeros",
        "20-digits",
        "16-arabic-digits",
        "persian-decimal-separator",
        "arabic-decimal-separator",
        "two-decimal-separators",
    ],  # fmt: skip
)
def test_a_scale_or_number_posted_from_the_web_form_never_500s(app, question, posted, expected):
    from webapp.questionnaires.definition import build_definition
    from webapp.rendering.fields import from_form_value

    definition = build_definition(json.loads((FORMS / "kartlegging.json").read_text()))
    errors: list = []
    value = from_form_value(definition.questions[question], posted, f"/{question}", errors)
    assert value == expected
    wrong = "digits" if len(posted) > 15 else "type"
    assert [e.code for e in errors] == ([] if expected is not None else [wrong])
