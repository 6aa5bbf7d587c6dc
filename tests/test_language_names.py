"""The names a language question offers, in the participant's language (questionnaires/names.py).

An exploratory tester found the Dari list starting with 14 English names ("Akoose", "Atsam",
…) and the Tigrinya one with five: the locale data names no such language there, the English
name stood in, and Latin letters sort before Arabic or Ethiopic ones. Regional variants the
data does not name ("es_419" in bokmål) were English in the middle of a Norwegian list.
"""

from __future__ import annotations

import unicodedata

import pytest
from babel import Locale

from webapp.questionnaires.names import language_codes, language_names

ENGLISH = Locale.parse("en").languages


def _latin(name: str) -> bool:
    """Written in Latin letters (Qʼeqchiʼ and Lëtzebuergesch too)."""
    return all(unicodedata.name(ch, "").startswith("LATIN") for ch in name
               if ch.isalpha() and unicodedata.category(ch) != "Lm")  # fmt: skip


@pytest.mark.parametrize("lang", ["fa_AF", "fa", "ti", "ar", "uk", "ps", "ckb"])
def test_names_in_latin_letters_come_after_the_languages_own(lang):
    names = language_names(lang)
    assert {code for code, _ in names} == language_codes()  # every language still offered
    named = Locale.parse(lang).languages
    lacking = {code for code in language_codes() if not named.get(code) and "_" not in code}
    assert {dict(names)[code] for code in lacking} == {ENGLISH[code] for code in lacking}
    latin = [place for place, (_, name) in enumerate(names) if _latin(name)]
    other = [place for place, (_, name) in enumerate(names) if not _latin(name)]
    assert other and latin and max(other) < min(latin), [names[p] for p in latin][:5]


def test_a_regional_variant_is_named_in_the_readers_language():
    names = dict(language_names("nb"))
    assert names["es_419"] == "spansk (Latin-Amerika)"
    assert names["en_US"] == "engelsk (USA)"
    assert names["fa_AF"] == "dari"  # named by the data itself
    assert dict(language_names("uk"))["en_US"] == "англійська (Сполучені Штати)"


def test_in_latin_letters_the_list_stays_in_one_order():
    names = language_names("nb")
    assert [n.casefold() for _, n in names] == sorted(n.casefold() for _, n in names)
    assert dict(names)["lld"] == "Ladin"  # no Norwegian name: the English one, in its place
