"""Decide whether a ``pattern`` means the same on the server and on every phone.

The server matches a ``pattern`` with Python's ``re.search`` (jsonschema's implementation); the
phone translates it in ``static/js/engine/validate.js`` (``\\d``, ``\\w``, ``\\s``, ``.`` and
``$`` get Python's meanings) and runs it as an ECMA-262 RegExp with the ``u`` flag.
``pattern_problem`` accepts only a grammar whose every construct compiles on both sides and
means the same there, so it is an allow-list, not a list of known differences:

* literal characters, and ``\\`` before one of ``^$\\.*+?()[]{}|/``;
* ``\\t \\n \\r \\f \\v``, ``\\xHH``, ``\\uHHHH`` (not a surrogate);
* ``.``, ``\\d \\D \\w \\W \\s \\S`` (``\\D \\W \\S`` outside brackets only), ``^``, ``$``;
* bracket classes ``[…]`` and ``[^…]`` of characters, ranges and ``\\d \\w \\s \\b`` (a
  backspace there), where ``]``, ``[`` and a ``-`` that is not a range are escaped;
* groups ``(…)``, ``(?:…)`` and lookaheads ``(?=…) (?!…)``, alternatives ``|``;
* quantifiers ``* + ? {n} {n,} {n,m}``, each optionally lazy (``*?``), after anything but an
  assertion.

Lookbehind is left out, and with it ``\\b`` and ``\\B`` (Python's Unicode word boundary can
only be written with lookbehind in JavaScript): Safari before 16.4, still on phones that cannot
update past iOS 15, cannot compile it, and the rest of the app runs there.

Everything else is refused with a sentence saying what to write instead. The shared cases in
``tests/shared/pattern_cases.json`` prove both halves: accepted patterns give the same result in
Python and in the browser on samples in many scripts, and each refused construct fails to compile
on one side or gives another answer there. (The engines' Unicode versions can still differ for
characters added in the newest Unicode release; see docs/questionnaire-format.md.)
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field


def N_(hint: str) -> str:  # pybabel collects N_("…"): builder/messages.py translates the hints
    return hint


_SYNTAX = frozenset("^$\\.*+?()[]{}|/")
_CONTROL = frozenset("tnrfv")
_SHORTHAND = frozenset("dDwWsS")
_QUANTIFIER = re.compile(r"\{(\d*)(,(\d*))?\}")
_FLAG_HINTS = {
    "i": N_(
        "inline flags such as (?i) are Python-only: write both cases instead, for example [Aa]"
    ),
    "s": N_("inline flags such as (?s) are Python-only: write [\\s\\S] where a newline may match"),
    "m": N_(
        "inline flags such as (?m) are Python-only: remove it: an answer is matched as one text"
    ),
    "x": N_(
        "inline flags such as (?x) are Python-only: remove it, and the spaces and comments it "
        "allows"
    ),
    "a": N_(
        "inline flags such as (?a) are Python-only: write [0-9] for ASCII digits or [A-Za-z0-9_] "
        "for ASCII word characters"
    ),
    "u": N_(
        "inline flags such as (?u) are Python-only: remove it: Unicode matching is the default"
    ),
    "L": N_("inline flags such as (?L) are Python-only: remove it"),
}
_ESCAPE_HINTS = {
    "A": N_("write ^ instead of \\A"),
    "Z": N_("write $ instead of \\Z (answers never end with a line break)"),
    "z": N_("write $ instead of \\z"),
    "U": N_("\\U is Python-only: write the character itself"),
    "N": N_("\\N{…} is Python-only: write the character itself"),
    "p": N_("\\p{…} is JavaScript-only: list the characters or ranges in [...]"),
    "P": N_("\\P{…} is JavaScript-only: list the characters or ranges in [^...]"),
    "k": N_("named backreferences are not supported: repeat the group's pattern instead"),
    "c": N_("\\c is JavaScript-only: write \\xHH instead"),
    "h": N_("write [ \\t] instead of \\h"),
    "0": N_("write \\x00 instead of \\0"),
}


class _Refused(Exception):
    """A construct that is not in the shared grammar: ``hint`` is the sentence to show, in
    English with %(name)s params (builder/messages.py says it in the reader's language)."""

    def __init__(self, hint: str, **params: object) -> None:
        super().__init__(hint % params)
        self.hint, self.params = hint, {k: str(v) for k, v in params.items()}


@dataclass(frozen=True)
class Refusal:
    """Why a pattern is refused: a hint (an English sentence, marked for translation) and
    what fills it in."""

    hint: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.hint % self.params


def _hex(pattern: str, i: int, count: int, escape: str) -> int:
    digits = pattern[i : i + count]
    if len(digits) != count or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise _Refused(
            N_("\\%(escape)s needs exactly %(count)s hexadecimal digits"),
            escape=escape,
            count=count,
        )
    return int(digits, 16)


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """Read the escape whose backslash is at ``i``; return its kind and the next index.

    Kinds: ``char`` (one character, usable in a range) and ``class`` (a set such as ``\\d``).
    """
    if i + 1 >= len(pattern):
        raise _Refused(N_("the pattern ends with a lone \\: write \\\\ for a backslash"))
    e = pattern[i + 1]
    if e in _SHORTHAND:
        if in_class and e.isupper():
            raise _Refused(
                N_(
                    "\\%(char)s inside [...] is not supported: write (?:\\%(char)s|[…]) instead "
                    "of [\\%(char)s…]"
                ),
                char=e,
            )
        return "class", i + 2
    if e in "bB":
        if in_class and e == "b":
            return "char", i + 2  # [\b] is a backspace on both sides
        if in_class:
            raise _Refused(N_("\\B is not allowed inside [...]"))
        if e == "b":
            raise _Refused(
                N_(
                    "\\b needs lookbehind, which Safari before 16.4 cannot run: write "
                    "(?:^|\\W)word(?:\\W|$) instead of \\bword\\b"
                )
            )
        raise _Refused(
            N_(
                "\\B needs lookbehind, which Safari before 16.4 cannot run: write the characters "
                "around it instead"
            )
        )
    if e in _CONTROL or e in _SYNTAX or (e == "-" and in_class):
        return "char", i + 2
    if e == "x":
        _hex(pattern, i + 2, 2, "x")
        return "char", i + 4
    if e == "u":
        if pattern[i + 2 : i + 3] == "{":
            raise _Refused(N_("\\u{…} is JavaScript-only: write the character itself"))
        if 0xD800 <= _hex(pattern, i + 2, 4, "u") <= 0xDFFF:
            raise _Refused(N_("\\u escapes of surrogates are not supported: write the character"))
        return "char", i + 6
    if e in "123456789":
        raise _Refused(
            N_("backreferences such as \\1 are not supported: repeat the group's pattern instead")
        )
    if e in _ESCAPE_HINTS:
        raise _Refused(_ESCAPE_HINTS[e])
    if e.isascii() and e.isalnum():
        raise _Refused(N_("\\%(char)s is not supported"), char=e)
    if e == "-":
        raise _Refused(N_("write - without the backslash outside [...]"))
    raise _Refused(N_("write %(char)s without the backslash"), char=e)


def _bracket(pattern: str, i: int) -> int:
    """Read the class whose ``[`` is at ``i``; return the index after its ``]``."""
    i += 1
    if pattern[i : i + 1] == "^":
        i += 1
    start = i
    previous: str | None = None  # kind of the last item: "char", "class" or "range"
    while True:
        if i >= len(pattern):
            raise _Refused(N_("a [ is never closed: write \\[ for a bracket"))
        c = pattern[i]
        if c == "]":
            if i == start:
                raise _Refused(N_("write \\] for a ] at the start of [...]"))
            return i + 1
        if c == "[":
            raise _Refused(N_("write \\[ for a [ inside [...]"))
        if c in "&~|" and pattern[i + 1 : i + 2] == c:
            raise _Refused(
                N_("write \\%(char)s for a doubled %(char)s inside [...] (Python warns about it)"),
                char=c,
            )
        if c == "-":
            last = pattern[i + 1 : i + 2] == "]"
            if i == start or last:
                previous, i = "char", i + 1
                continue
            if previous != "char":
                raise _Refused(N_("write \\- for a - inside [...] that is not a range"))
            if pattern[i + 1] == "\\":
                kind, i = _escape(pattern, i + 1, in_class=True)
                if kind != "char":
                    raise _Refused(
                        N_("a range in [...] must end with a character: write \\- first")
                    )
            elif pattern[i + 1] == "[":
                raise _Refused(N_("write \\[ for a [ inside [...]"))
            else:
                i += 2
            previous = "range"
            continue
        if c == "\\":
            previous, i = _escape(pattern, i, in_class=True)
        else:
            previous, i = "char", i + 1


def _group(pattern: str, i: int) -> tuple[bool, int]:
    """Read the opening of the group at ``i``; return (is a lookaround, index after it)."""
    if pattern[i + 1 : i + 2] != "?":
        return False, i + 1
    rest = pattern[i + 2 :]
    for opening, lookaround in ((":", False), ("=", True), ("!", True)):
        if rest.startswith(opening):
            return lookaround, i + 2 + len(opening)
    if rest.startswith(("<=", "<!")):
        raise _Refused(
            N_(
                "lookbehind (?<=…) and (?<!…) cannot run in Safari before 16.4: match the text "
                "before it as part of the pattern instead"
            )
        )
    if rest.startswith("P<"):
        raise _Refused(N_("named groups (?P<name>…) are Python-only: write (…) or (?:…)"))
    if rest.startswith("<"):
        raise _Refused(N_("named groups (?<name>…) are JavaScript-only: write (…) or (?:…)"))
    if rest.startswith("P="):
        raise _Refused(N_("(?P=name) is Python-only: repeat the group's pattern instead"))
    if rest.startswith("#"):
        raise _Refused(N_("(?#…) comments are Python-only: remove it and use $comment for notes"))
    if rest.startswith(">"):
        raise _Refused(N_("atomic groups (?>…) are Python-only: write (?:…)"))
    if rest.startswith("("):
        raise _Refused(N_("conditional groups (?(…)…) are Python-only: write alternatives with |"))
    flag = next((f for f in rest if f != "-"), "")
    if flag in _FLAG_HINTS:
        raise _Refused(_FLAG_HINTS[flag])
    raise _Refused(N_("write \\( for a bracket, or (?:…) for a group"))


def _scan(pattern: str) -> None:
    """Raise ``_Refused`` at the first construct outside the shared grammar."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in pattern):
        raise _Refused(N_("the pattern contains a lone surrogate"))
    groups: list[bool] = []  # one entry per open group: is it a lookaround?
    # What a quantifier would repeat: None (nothing), "atom", "assertion", "quantified" (after a
    # quantifier) or "lazy" (after a lazy quantifier's ?).
    last: str | None = None
    i = 0
    while i < len(pattern):
        c = pattern[i]
        quantifier = c in "*+?"
        if c == "{":
            found = _QUANTIFIER.match(pattern, i)
            if found is None:
                raise _Refused(N_("write \\{ for a brace"))
            if not found.group(1):
                raise _Refused(N_("write {0,n} instead of {,n}"))
            quantifier = True
        if quantifier:
            if last == "quantified" and c == "?":
                last, i = "lazy", i + 1
                continue
            if last == "quantified" and c == "+":
                raise _Refused(N_("possessive quantifiers such as *+ are Python-only: write *"))
            if last in ("quantified", "lazy"):
                raise _Refused(N_("a quantifier cannot follow a quantifier: write (?:…) around it"))
            if last is None:
                raise _Refused(
                    N_("there is nothing to repeat: write \\%(char)s for a literal %(char)s"),
                    char=c,
                )
            if last == "assertion":
                raise _Refused(N_("^, $ and lookaheads cannot be repeated"))
            last, i = "quantified", (found.end() if c == "{" else i + 1)
            continue
        if c in "}]":
            raise _Refused(N_("write \\%(char)s for a %(char)s"), char=c)
        if c == "\\":
            _kind, i = _escape(pattern, i, in_class=False)
            last = "atom"
        elif c == "[":
            last, i = "atom", _bracket(pattern, i)
        elif c == "(":
            lookaround, i = _group(pattern, i)
            groups.append(lookaround)
            last = None
        elif c == ")":
            if not groups:
                raise _Refused(N_("this ) closes no group: write \\) for a bracket"))
            last, i = "assertion" if groups.pop() else "atom", i + 1
        elif c == "|":
            last, i = None, i + 1
        elif c in "^$":
            last, i = "assertion", i + 1
        else:
            last, i = "atom", i + 1


def pattern_refusal(pattern: str) -> Refusal | None:
    """Return why ``pattern`` cannot be used in a questionnaire, or None when it can."""
    try:
        _scan(pattern)
    except _Refused as refused:
        return Refusal(refused.hint, refused.params)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            re.compile(pattern)
    except (re.error, OverflowError) as exc:  # OverflowError: a repeat count past 4294967294
        return Refusal(N_("invalid regular expression: %(error)s"), {"error": str(exc)})
    except (FutureWarning, DeprecationWarning) as warning:
        return Refusal(
            N_("Python warns about this pattern: %(warning)s"), {"warning": str(warning)}
        )
    return None


def pattern_problem(pattern: str) -> str | None:
    """Return why ``pattern`` cannot be used, in English, or None when it can."""
    refusal = pattern_refusal(pattern)
    return refusal.reason if refusal is not None else None
