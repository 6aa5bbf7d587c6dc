"""Every shipped language is complete: interface catalogs, questionnaires and resources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from webapp.config import LANGUAGES
from webapp.questionnaires.texts import text_pointers

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
OTHER = [lang for lang in LANGUAGES if lang not in ("nb", "en")]


def same_as_source(lang: str) -> set[str]:
    path = TRANSLATIONS / "content" / lang / "same-as-source.txt"
    return set(path.read_text("utf-8").splitlines()) if path.exists() else set()


def catalog(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_and_compiles(lang, tmp_path):
    messages = catalog(lang)
    assert "NOT YET REVIEWED" in (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").read_text(
        "utf-8"
    ).splitlines()[0] or lang in ("nb", "en")
    problems = []
    allowed = same_as_source(lang)
    for message in messages:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings):
            problems.append(f"empty: {ids[0]!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != set(PLACEHOLDER.findall(ids[0])):
                problems.append(f"placeholders differ: {ids[0]!r}")
        if lang not in ("en",) and strings[0] == ids[0] and ids[0] not in allowed:
            problems.append(f"same as the English source: {ids[0]!r}")
    assert problems == []
    with (tmp_path / "messages.mo").open("wb") as handle:
        write_mo(handle, messages)


QUOTED = re.compile(r"“([^”%]+)”")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_sentence_quotes_a_label_as_the_screen_shows_it(lang):
    """A sentence that names a button, status or field by its text ("With “Follow-up
    needed”: …") quotes that text's own translation. In bokmål, Ukrainian and Somali the help
    under the review form named a status the list beside it does not have."""
    messages = {m.id: m.string for m in catalog(lang) if isinstance(m.id, str) and m.id}
    wrong = [
        (label, messages[label], sentence[:60])
        for sentence, translated in messages.items()
        for label in QUOTED.findall(sentence)
        if messages.get(label) and messages[label] not in translated
    ]
    assert wrong == []


def test_every_interface_string_is_in_every_catalog():
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    for lang in LANGUAGES:
        ids = {m.id for m in catalog(lang) if m.id}
        assert template <= ids, f"{lang} lacks {sorted(map(str, template - ids))[:5]}"


@pytest.mark.parametrize("name", ["kartlegging.json", "muligheter.json"])
@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "nb"])
def test_questionnaire_texts_are_translated(name, lang):
    document = json.loads((ROOT / "forms" / name).read_text("utf-8"))
    translations = document["translations"].get(lang, {})
    allowed = same_as_source(lang)
    problems = []
    for pointer, source in text_pointers(document):
        text = translations.get(pointer, "")
        if not text.strip():
            problems.append(f"missing {pointer}")
        elif text == source and source not in allowed and lang != "en":
            problems.append(f"same as source {pointer}: {source!r}")
        elif set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(source)):
            problems.append(f"placeholders differ {pointer}")
    assert problems == []
    assert lang in document["languages"]


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "nb"])
def test_resource_texts_are_translated(lang):
    document = json.loads((ROOT / "forms" / "resources.json").read_text("utf-8"))
    allowed = same_as_source(lang)
    problems = []
    for entry in document["resources"]:
        for field in ("title", "description"):
            text, source = entry[field].get(lang, ""), entry[field]["nb"]
            if not text.strip():
                problems.append(f"missing {entry['slug']}/{field}")
            elif text == source and source not in allowed and lang != "en":
                problems.append(f"same as source {entry['slug']}/{field}")
    assert problems == []
