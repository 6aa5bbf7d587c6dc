"""Whole numbers that arrive as text: a page number, a revision, an index, a header.

``str.isdigit()`` is true for "²" and "٣", which ``int()`` refuses or reads as another digit,
and ``int()`` refuses texts of thousands of digits: a check with ``isdigit()`` before ``int()``
let such a value through to a server error. Here only ASCII digits count, and few of them.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+")

#: The most digits a number in an answer or a questionnaire may have: more than a phone's
#: numbers hold exactly (a double keeps 15 to 17), so 12345678901234567890 would be stored as
#: 12345678901234567168.
MOST_DIGITS = 15


def small_int(text: object, digits: int = 9) -> int | None:
    """Return the number ``text`` spells in at most ``digits`` ASCII digits, else None."""
    if not isinstance(text, str) or not 0 < len(text) <= digits or not _DIGITS.fullmatch(text):
        return None
    return int(text)
