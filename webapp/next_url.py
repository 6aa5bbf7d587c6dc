"""Where to go after signing in or changing language: only a path on this site, ever.

A ``next`` value comes from the address bar or a form, so it is attacker-controlled. Browsers
strip tabs and newlines from URLs and read a backslash as a slash, so ``/\\t/evil.example``
becomes ``//evil.example`` (another host). The value is therefore parsed, not pattern-matched:
anything with a control character, a backslash, a scheme, a host, or a path that does not start
with exactly one slash is refused and the default is used instead.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000


def _has_unsafe_character(target: str) -> bool:
    for ch in target:
        if ch == "\\" or ch.isspace():
            return True
        # Cc: control characters (tab, newline, DEL ...); Cf: invisible format characters
        # (bidi overrides); Cs: lone surrogates, which cannot even be put in a header.
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            return True
    return False


def is_safe(target: str | None) -> bool:
    """Return whether ``target`` is a relative path on this site (``/caseload?x=1``)."""
    if not target or len(target) > MAX_LENGTH:
        return False
    # Checked once more percent-decoded: a proxy or an old browser may decode it again.
    return _is_safe_once(target) and _is_safe_once(unquote(target))


def _is_safe_once(target: str) -> bool:
    if _has_unsafe_character(target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc and parts.path.startswith("/")


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` if it is a safe same-site path, else ``default``."""
    return target if is_safe(target) else default  # type: ignore[return-value]
