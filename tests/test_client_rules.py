"""Rules the phone app keeps in JavaScript follow their one source in Python."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webapp.config import LANGUAGES
from webapp.questionnaires.names import text_direction

ROOT = Path(__file__).resolve().parent.parent


def js_rtl() -> set[str]:
    source = (ROOT / "static/js/engine/dom.js").read_text("utf-8")
    found = re.search(r"export const RTL = new Set\(\[([^\]]*)\]\)", source)
    assert found, "dom.js no longer declares RTL as expected"
    return set(re.findall(r'"([^"]+)"', found.group(1)))


@pytest.mark.parametrize("lang", [*LANGUAGES, "he", "ur", "de"])
def test_right_to_left_languages_match_the_locale_data(lang):
    assert (lang in js_rtl()) == (text_direction(lang) == "rtl")


def test_no_page_copies_the_dom_helpers():
    """el, qtext and RTL live in static/js/engine/dom.js; a copy would drift."""
    copies = []
    for path in (ROOT / "static/js").rglob("*.js"):
        if path.name == "dom.js":
            continue
        text = path.read_text("utf-8")
        wraps = "engine/dom.js" in text or '"./dom.js"' in text  # imports them, may extend them
        copied = re.search(r"function\s+(el|qtext)\s*\(|const\s+el\s*=", text) and not wraps
        if copied or 'Set(["ar"' in text:
            copies.append(str(path.relative_to(ROOT)))
    assert copies == []
