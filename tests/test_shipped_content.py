"""The shipped questionnaires and resources are valid and cover the seed's key questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webapp.questionnaires import check_document, load_definition
from webapp.services.resources import check_resources

FORMS = Path(__file__).resolve().parent.parent / "forms"


def _load(name: str):
    return json.loads((FORMS / name).read_text("utf-8"))


@pytest.mark.parametrize("name", ["kartlegging.json", "muligheter.json"])
def test_shipped_questionnaire_passes_the_check(name):
    assert check_document(_load(name)) == []


# Each of the seed's "Nøkkelspørsmål" (kartlegging.txt) and the questions that answer it.
KEY_QUESTIONS = {
    "Hvilken informasjon finnes allerede? Kartlagt tidligere?": [
        "mapped_before", "previous_mapping_where", "documents_available"],
    "Kortsiktige og langsiktige mål (yrke, utdanning, annet)": [
        "short_term_goal_kind", "short_term_goal", "long_term_goal_kind", "long_term_goal",
        "desired_occupation", "desired_education"],
    "Livssituasjon: helse": ["health_affects", "health_adaptations"],
    "Livssituasjon: økonomi": ["economy"],
    "Livssituasjon: familiesituasjon": ["household", "children_count", "childcare_arranged"],
    "Livssituasjon: nettverk/støtte": ["support_network"],
    "Livssituasjon: immigrasjonsprosess": ["immigration_pending"],
    "Betydning for deltakelse": ["available_time", "health_adaptations"],
    "Tidligere erfaringer, kompetanser og utdanning": [
        "educations", "has_work_experience", "jobs", "skills"],
    "Behov for godkjenning (realkompetanse, godkjenning, lovregulerte yrker)": [
        "recognition_applied", "recognition_wanted", "undocumented_competence",
        "regulated_profession"],
    "Opplæring i norsk, dokumentasjon og behov": [
        "norwegian_training", "norwegian_level", "norwegian_test_taken", "norwegian_tests",
        "norwegian_training_need"],
    "Digital kompetanse": ["digital_phone", "digital_bankid", "digital_forms",
                           "digital_training_need"],
}  # fmt: skip

OPPORTUNITY_QUESTIONS = {
    "Aktører innad i og utenfor kommunen (offentlige, frivillige, private)": [
        "actor_kinds", "actors_inside", "actors_outside"],
    "Muligheter i arbeidsmarkedet lokalt, regionalt og nasjonalt": [
        "labour_market_local", "labour_market_regional", "labour_market_national"],
    "Karriereveiledningsmuligheter i området": ["guidance_available"],
    "Anbefales karriereveiledningssamtale?": ["guidance_recommended"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "topics"),
    [("kartlegging.json", KEY_QUESTIONS), ("muligheter.json", OPPORTUNITY_QUESTIONS)],
)
def test_every_key_question_is_covered(name, topics):
    definition = load_definition(_load(name))
    missing = {
        topic: [q for q in ids if q not in definition.questions]
        for topic, ids in topics.items()
        if any(q not in definition.questions for q in ids)
    }
    assert missing == {}


def test_sensitive_questions_are_optional_and_say_why():
    definition = load_definition(_load("kartlegging.json"))
    for qid in ("health_affects", "immigration_pending"):
        question = definition.questions[qid]
        assert not question.required
        assert question.ui.get("help"), f"{qid} must say why it is asked"


def test_every_question_type_is_used():
    definition = load_definition(_load("kartlegging.json"))
    used = {q.widget for q in definition.all_questions()}
    assert used >= {
        "text",
        "textarea",
        "number",
        "date",
        "choice",
        "multichoice",
        "yesno",
        "scale",
        "country",
        "language",
        "group",
    }
    assert definition.info


@pytest.mark.parametrize("name", ["kartlegging.json", "muligheter.json"])
@pytest.mark.parametrize("lang", ["en"])
def test_every_text_is_translated(name, lang):
    document = _load(name)
    definition = load_definition(document)
    translations = document["translations"][lang]
    missing = [pointer for pointer, _text in definition.texts() if not translations.get(pointer)]
    assert missing == []


def test_resources_are_valid_and_cover_the_tags_answers_use():
    resources = _load("resources.json")
    assert check_resources(resources) == []
    tags = {tag for entry in resources["resources"] for tag in entry["tags"]}
    definition = load_definition(_load("kartlegging.json"))
    used = {t for q in definition.questions.values() for ts in q.resource_tags.values() for t in ts}
    assert used <= tags, f"answers point at tags no resource has: {used - tags}"
    for entry in resources["resources"]:
        assert entry["title"].get("en") and entry["description"].get("en"), entry["slug"]


def test_seed_resources_are_listed():
    urls = " ".join(entry["url"] for entry in _load("resources.json")["resources"])
    for site in (
        "karriereveiledning.no",
        "veilederforum.no",
        "utdanning.no",
        "vilbli.no",
        "jobbkompasset",
        "hkdir.no",
    ):
        assert site in urls, site
