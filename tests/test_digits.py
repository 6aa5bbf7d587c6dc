"""Whole numbers that arrive as text: only ASCII digits, and few of them (webapp/digits.py).

"²" and "٣" are digits to ``str.isdigit()``; ``int()`` refuses "²" and texts of thousands of
digits. Every place that read a number from a request or a pointer checked ``isdigit()`` and
then called ``int()``: a server error for such a text (the pages' own tests cover them).
"""

from __future__ import annotations

import pytest

from webapp.digits import small_int
from webapp.questionnaires.editing import _stable_key
from webapp.questionnaires.pointers import resolve_pointer
from webapp.questionnaires.translation import section_of_pointer


@pytest.mark.parametrize(
    "text, number",
    [("0", 0), ("7", 7), ("007", 7), ("123456789", 123456789), ("1234567890", None),
     ("²", None), ("٣", None), ("１", None), ("-1", None), (" 1", None), ("1 ", None),
     ("", None), ("1.0", None), ("9" * 5000, None), (None, None), (3, None)],
)  # fmt: skip
def test_small_int(text, number):
    assert small_int(text) == number


def test_a_longer_number_when_asked_for():
    assert small_int("1234567890", digits=12) == 1234567890


DOCUMENT = {"ui": {"sections": [{"id": "s1", "items": ["a"]}]}, "schema": {"properties": {}}}


@pytest.mark.parametrize(
    "pointer", ["/ui/sections/²", "/ui/sections/٠", "/ui/sections/" + "9" * 5000]
)
def test_a_pointer_with_a_strange_index_leads_nowhere(pointer):
    with pytest.raises(KeyError):
        resolve_pointer(DOCUMENT, pointer)
    assert section_of_pointer(DOCUMENT, pointer + "/title") is None
    assert _stable_key(DOCUMENT, pointer + "/title") is None
    assert resolve_pointer(DOCUMENT, "/ui/sections/0/id") == "s1"
