"""What the builder says about a draft, as an administrator found it wanting.

Two answer options with the same text passed the check ("No problems.") though a participant
cannot tell them apart and a condition on one misses those who chose the other; a new
questionnaire listed "has no questions yet" twice, each beside a raw JSON path; a ticked
language reached the preview's list and the Translate links only after a reload; and the
pictogram lists named the pictograms by their English file names in every language.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from werkzeug.datastructures import FileStorage

from webapp.builder.messages import problem_message
from webapp.extensions import db
from webapp.questionnaires import check_document
from webapp.services import builder

from .conftest import csrf_token, login_staff
from .documents import minimal_document
from .test_builder import small_draft, staff

OPTIONS = "/schema/properties/work/oneOf"


def _english(app, problems) -> list[tuple[str, str]]:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return [(p.pointer, problem_message(p)) for p in problems]


def _with_options(*titles: str) -> dict:
    document = minimal_document()
    values = ["yes", "no", "maybe"]  # "yes" is the one the document's conditions use
    document["schema"]["properties"]["work"]["oneOf"] = [
        {"const": value, "title": title} for value, title in zip(values, titles, strict=False)
    ]
    return document


@pytest.mark.parametrize("second", ["Rød", "rød", " Rød  "])
def test_two_options_with_the_same_text_are_a_problem_naming_the_question(app, second):
    found = _english(app, check_document(_with_options("Rød", "Blå", second)))
    assert found == [
        (
            f"{OPTIONS}/2/title",
            "The question “Jobber du?” has two answer options with the same text, "
            f"“{second.strip()}”. Participants cannot tell them apart: change one of them.",
        )
    ]


def test_options_of_different_questions_may_share_a_text(app):
    document = _with_options("Ja", "Nei")  # "skills" has its own options; "Ja" is not among them
    document["schema"]["properties"]["skills"]["items"]["anyOf"][0]["title"] = "Ja"
    assert check_document(document) == []


def test_the_same_text_twice_in_one_translation_is_a_problem_in_that_language(app):
    document = _with_options("Rød", "Blå")
    document["translations"] = {
        "en": {f"{OPTIONS}/0/title": "Red", f"{OPTIONS}/1/title": "red"},
    }
    [(pointer, message)] = _english(app, check_document(document))
    assert pointer == "/translations/en/" + f"{OPTIONS}/1/title".replace("/", "~1")
    assert message == (
        "In English, the question “Jobber du?” has two answer options with the same text, "
        "“red”. Participants cannot tell them apart: change one of the translations."
    )


def test_a_multichoice_question_is_checked_too(app):
    document = minimal_document()
    document["schema"]["properties"]["skills"]["items"]["anyOf"][1]["title"] = "IT"
    [(pointer, message)] = _english(app, check_document(document))
    assert pointer == "/schema/properties/skills/items/anyOf/1/title"
    assert "“Ferdigheter” has two answer options with the same text, “IT”" in message


def test_an_uploaded_document_with_the_same_option_twice_is_refused(app, world):
    with app.app_context():
        admin = staff(world, "admin1")
        document = _with_options("Rød", "Blå", "Rød")
        document["slug"] = "same-option-twice"
        with pytest.raises(builder.PublishRefused) as refused:
            builder.publish_document(admin, document)
        assert [p.code for p in refused.value.problems] == ["same_option_text"]


def _operation(client, slug: str, revision: int, op: str, args: dict):
    response = client.post(
        f"/admin/builder/{slug}/operations",
        json={"revision": revision, "op": op, "args": args},
        headers={"X-CSRFToken": csrf_token(client, "/admin/questionnaires")},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _small_draft(app, world) -> tuple[str, int]:
    with app.app_context():
        draft = small_draft(staff(world, "admin1"))
        found = draft.questionnaire.slug, draft.revision
        db.session.commit()
    return found


def _admin_client(app, world):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_staff(client, world.emails["admin1"])
    return client


def test_the_builder_shows_the_same_option_added_twice(app, world):
    slug, revision = _small_draft(app, world)
    client = _admin_client(app, world)
    state = _operation(client, slug, revision, "add_option",
                       {"question": "vil_du_jobbe", "title": "Ja"})  # fmt: skip
    [problem] = state["problems"]
    assert problem["element"] == {"kind": "question", "id": "vil_du_jobbe"}
    assert problem["place"] == "Vil du jobbe?"
    assert "“Vil du jobbe?” has two answer options with the same text, “Ja”" in problem["message"]


def test_a_new_questionnaire_says_once_that_it_has_no_questions(app, world):
    client = _admin_client(app, world)
    with app.app_context():
        slug = builder.new_questionnaire(staff(world, "admin1"), "Tomt", "participant", "nb").slug
        db.session.commit()
    state = client.get(f"/admin/builder/{slug}/draft.json").get_json()
    assert [(p["message"], p["place"]) for p in state["problems"]] == [
        ("The questionnaire has no questions yet.", "Tomt")
    ]
    page = client.get(f"/admin/builder/{slug}/publish").get_data(as_text=True)
    assert page.count("The questionnaire has no questions yet.") == 1
    assert "/schema/properties" not in page and "/ui/sections" not in page
    assert "Tomt" in page.split("This draft cannot be published yet")[1]


def test_a_ticked_language_comes_back_with_the_drafts_state(app, world):
    slug, revision = _small_draft(app, world)
    client = _admin_client(app, world)
    before = client.get(f"/admin/builder/{slug}/draft.json").get_json()
    assert [code for code, _name, _dir in before["languages"]] == ["nb"]
    assert before["translated"] == []
    state = _operation(client, slug, revision, "set_meta", {"languages": ["nb", "en", "ar"]})
    assert state["languages"] == [["nb", "Norsk bokmål", "ltr"], ["en", "English", "ltr"],
                                  ["ar", "العربية", "rtl"]]  # fmt: skip
    assert state["translated"] == [["en", "English"], ["ar", "العربية"]]


def test_the_pictograms_are_offered_by_name_in_the_administrators_language(app, world):
    slug, _revision = _small_draft(app, world)
    client = _admin_client(app, world)
    page = client.get(f"/admin/builder/{slug}").get_data(as_text=True)
    offered = re.search(r'"pictograms": (\[\[.*?\]\])', page).group(1)
    assert '["car", "Car"]' in offered and '["check", "Tick"]' in offered
    assert '["info", "Information"]' in offered
    # In the order of their names, not of their keys.
    assert offered.index('"Tick"') > offered.index('"Information"')


def test_an_uploaded_file_without_questions_says_so_once_with_both_paths(app, world):
    """The upload page is for JSON files: it keeps the paths, one line per sentence."""
    from .test_cli_and_admin import upload

    document = minimal_document()
    document["schema"]["properties"], document["schema"]["required"] = {}, []
    document["ui"]["sections"] = []
    client = _admin_client(app, world)
    token = csrf_token(client, "/admin/questionnaires")
    file = FileStorage(io.BytesIO(json.dumps(document).encode()), "tomt.json")
    answer = upload(client, {"csrf_token": token, "document": file})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert page.count("The questionnaire has no questions yet.") == 1, page
    assert "<code>/schema/properties</code> <code>/ui/sections</code>" in page


def test_the_builder_says_when_more_problems_may_come(app, world):
    """A $ref that points nowhere holds back the rules that read the questions' schemas: the
    upload page said more problems may appear once it is fixed, the builder's Problems and its
    Check and publish page did not."""
    import copy

    from webapp.models import QuestionnaireDraft

    from .test_cli_and_admin import CHECK_STOPPED_EN

    slug, _revision = _small_draft(app, world)
    client = _admin_client(app, world)
    state = client.get(f"/admin/builder/{slug}/draft.json").get_json()
    assert state["problems"] == [] and state["stopped"] is False
    with app.app_context():
        draft = db.session.scalar(
            db.select(QuestionnaireDraft)
            .join(QuestionnaireDraft.questionnaire)
            .filter_by(slug=slug)
        )
        document = copy.deepcopy(draft.document)
        document["schema"]["properties"]["hvilken_jobb"] = {"$ref": "#/$defs/nowhere"}
        draft.document = document
        db.session.commit()
    state = client.get(f"/admin/builder/{slug}/draft.json").get_json()
    assert state["problems"] and state["stopped"] is True
    page = client.get(f"/admin/builder/{slug}/publish").get_data(as_text=True)
    assert CHECK_STOPPED_EN in page.split("This draft cannot be published yet")[1]
    # The editor's script draws it under Problems from the state, in the page's own words.
    editor = client.get(f"/admin/builder/{slug}").get_data(as_text=True)
    assert 'id="problems-stopped" hidden' in editor
    assert f'"check_stopped": "{CHECK_STOPPED_EN}"' in editor
