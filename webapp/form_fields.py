"""What every form of the site shares: text limits said in the reader's language, and text
boxes whose line breaks count as the browser counts them."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import Length

from .i18n import lazy_gettext as _l


def at_most(limit: int) -> Length:
    """Check a text's length, refusing in the reader's language.

    WTForms' own sentence is English in a plain ``Form`` (the caseload's search) and, having no
    nynorsk catalogue and no Arabic plural forms, in nn and ar everywhere.
    """
    return Length(max=limit, message=_l("Please write at most %(limit)s characters.", limit=limit))


def one_kind_of_line_break(value):
    """Return the text with every line break as LF.

    A browser sends a textarea's line breaks as CR LF but counts each as one character against
    its ``maxlength``: counted as two here, text the page took was refused as too long.
    """
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


class TextBoxField(TextAreaField):
    """A textarea whose text is kept with LF line breaks, counted as the browser counts them."""

    def __init__(self, *args, filters=(), **kwargs) -> None:
        super().__init__(*args, filters=(one_kind_of_line_break, *filters), **kwargs)
