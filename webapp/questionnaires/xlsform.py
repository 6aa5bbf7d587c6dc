"""Read an XLSForm (the spreadsheet format of ODK and KoboToolbox) into a questionnaire document.

Pure: a workbook's bytes in, ``(document, report)`` out. What maps onto the format is
mapped — question types, labels and hints per language (``label::English (en)``),
``relevant`` conditions written with ``=``, ``!=``, ``selected()``, ``and``, ``or``, ``not()``,
``constraint``s that are limits (``. >= 0``, ``string-length(.) <= 50``, ``regex(., '…')``,
``count-selected(.) <= 3``), required questions, choices, groups (sections) and repeats
(a repeatable group) — and everything else is listed in the report, row by row and column by
column, never dropped silently. The document is then checked like any draft.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..digits import MOST_DIGITS
from .editing import ID_PATTERN, slugify, unique_id
from .translation import source_hash
from .uploads import UploadRefused

#: XLSForm types and the widget each becomes; ``select_*`` and groups are handled apart.
TYPES = {
    "text": "text",
    "integer": "number",
    "decimal": "number",
    "date": "date",
}
#: Types ODK fills in by itself: there is no question to ask, so they are reported, not mapped.
METADATA = {
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
    "username", "email", "audit", "start-geopoint", "background-audio", "calculate", "hidden",
}  # fmt: skip
#: Survey columns that are read; every other column with a value is reported.
KNOWN_COLUMNS = {"type", "name", "label", "hint", "required", "relevant", "constraint"}
YES = {"yes", "true", "true()", "1"}


@dataclass(frozen=True)
class ReportLine:
    """One thing that was not imported as it is: ``code`` names what, the rest says where."""

    sheet: str
    row: int | None
    code: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass
class _Row:
    number: int
    cells: dict[str, Any]

    def text(self, key: str) -> str:
        value = self.cells.get(key)
        return "" if value is None else str(value).strip()


@dataclass
class _Reader:
    report: list[ReportLine] = field(default_factory=list)

    def note(self, sheet: str, row: int | None, code: str, **params: Any) -> None:
        self.report.append(
            ReportLine(sheet, row, code, tuple((k, str(v)) for k, v in params.items()))
        )


def _rows(sheet) -> tuple[list[str], list[_Row]]:
    """Return the sheet's column names (lower case) and its non-empty rows, numbered as Excel."""
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    names = [str(h).strip() if h is not None else "" for h in header]
    keys = [_column_key(n) for n in names]
    found = []
    for number, values in enumerate(rows, start=2):
        cells = {k: v for k, v in zip(keys, values, strict=False) if k and v not in (None, "")}
        if cells:
            found.append(_Row(number, cells))
    return keys, found


def _column_key(name: str) -> str:
    """``label::English (en)`` → ``label::en``; ``Label`` → ``label``."""
    base, _, lang = name.partition("::")
    base = base.strip().lower()
    if not lang:
        return base
    code = re.search(r"\(([A-Za-z]{2,3}(?:[_-][A-Za-z]{2,4})?)\)\s*$", lang)
    return f"{base}::{(code.group(1) if code else lang.strip()).replace('-', '_')}"


def _languages(keys: list[str]) -> list[str]:
    return list(dict.fromkeys(k.split("::", 1)[1] for k in keys if "::" in k))


def read_workbook(data: bytes):
    """Return the openpyxl workbook in ``data``, or refuse a file that is not a spreadsheet."""
    from openpyxl import load_workbook  # imported here: only this reader needs it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UploadRefused("not_spreadsheet") from exc


# ------------------------------------------------------------------------------ conditions

_TOKEN = re.compile(
    r"\s*(?:(?P<ref>\$\{[A-Za-z_][\w.-]*\})|(?P<str>'[^']*'|\"[^\"]*\")|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<op>!=|>=|<=|=|>|<)|(?P<word>[A-Za-z_][\w-]*(?:\(\))?)|(?P<punct>[(),.]))"
)


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            if expression[position:].strip():
                raise ValueError(expression)
            break
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    """A recursive-descent parser for the part of XPath that maps onto visibility conditions."""

    def __init__(self, expression: str, widgets: dict[str, str]) -> None:
        self.tokens = _tokens(expression)
        self.at = 0
        self.widgets = widgets

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ValueError(value)
        self.at += 1
        return token

    def parse(self) -> dict[str, Any]:
        condition = self.either()
        if self.peek() is not None:
            raise ValueError("trailing")
        return condition

    def either(self) -> dict[str, Any]:
        parts = [self.both()]
        while self.peek() == ("word", "or"):
            self.take()
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else {"any": parts}

    def both(self) -> dict[str, Any]:
        parts = [self.single()]
        while self.peek() == ("word", "and"):
            self.take()
            parts.append(self.single())
        return parts[0] if len(parts) == 1 else {"all": parts}

    def single(self) -> dict[str, Any]:
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            inner = self.either()
            self.take(")")
            return inner
        if token == ("word", "not"):
            self.take()
            self.take("(")
            inner = self.either()
            self.take(")")
            return {"not": inner}
        if token == ("word", "selected"):
            self.take()
            self.take("(")
            question = self.question()
            self.take(",")
            value = self.value(self._has_options(question))
            self.take(")")
            operator = "contains" if self.widgets[question] == "multichoice" else "equals"
            return {"question": question, operator: value}
        question = self.question()
        kind, operator = self.take()
        if kind != "op" or operator not in ("=", "!="):
            raise ValueError(operator)
        value = self.value(self._has_options(question))
        if value == "":
            condition: dict[str, Any] = {"question": question, "answered": operator == "!="}
            return condition
        condition = {"question": question, "equals": value}
        return {"not": condition} if operator == "!=" else condition

    def question(self) -> str:
        kind, text = self.take()
        name = text[2:-1] if kind == "ref" else ""
        if name not in self.widgets:
            raise ValueError(text)  # not a question, or one inside a repeat
        return name

    def _has_options(self, question: str) -> bool:
        return self.widgets[question] in ("choice", "multichoice")

    def value(self, options: bool = False) -> Any:
        """The literal compared with; for a question with options, a number as the text it is
        written as: a choice's name is text ("1"), and XPath compares it so with ``= 1``."""
        kind, text = self.take()
        if kind == "str":
            return text[1:-1]
        if kind == "num":
            if options:
                return text
            return float(text) if "." in text else int(text)
        if text in ("true()", "false()"):
            return text == "true()"
        raise ValueError(text)


def condition_of(expression: str, widgets: dict[str, str]) -> dict[str, Any] | None:
    """Return the visibility condition an XLSForm ``relevant`` means, or None if it has none
    in the format. ``widgets`` are the top-level questions defined so far."""
    try:
        return _Parser(expression, widgets).parse()
    except (ValueError, KeyError):
        return None


_LIMIT = re.compile(
    r"^\s*(?P<left>\.|string-length\(\s*\.\s*\)|count-selected\(\s*\.\s*\))\s*"
    r"(?P<op>>=|<=|>|<)\s*(?P<number>-?\d+(?:\.\d+)?)\s*$"
)
_REGEX = re.compile(r"^\s*regex\(\s*\.\s*,\s*(?P<q>['\"])(?P<pattern>.*)(?P=q)\s*\)\s*$")


def limits_of(expression: str, widget: str) -> dict[str, Any] | None:
    """Return the schema limits an XLSForm ``constraint`` means, or None when it is not limits."""
    limits: dict[str, Any] = {}
    for part in re.split(r"\s+and\s+", expression.strip()):
        regex = _REGEX.match(part)
        if regex and widget in ("text", "textarea"):
            limits["pattern"] = regex.group("pattern")
            continue
        match = _LIMIT.match(part)
        if match is None:
            return None
        left, op, number = match.group("left"), match.group("op"), match.group("number")
        if len(re.sub(r"\D", "", number).lstrip("0")) > MOST_DIGITS:
            return None  # more digits than a phone's number keeps exactly: not imported
        value: float | int = float(number) if "." in number else int(number)
        if left == "." and widget == "number":
            key = {">=": "minimum", "<=": "maximum", ">": "exclusiveMinimum",
                   "<": "exclusiveMaximum"}[op]  # fmt: skip
        elif left.startswith("string") and widget in ("text", "textarea") and op in (">=", "<="):
            key = "minLength" if op == ">=" else "maxLength"
        elif left.startswith("count") and widget in ("multichoice", "group") and op in (">=", "<="):
            key = "minItems" if op == ">=" else "maxItems"
        else:
            return None
        limits[key] = value
    return limits


# ------------------------------------------------------------------------------- the reader


def _texts(row: _Row, key: str, source: str, languages: list[str]) -> tuple[str, dict[str, str]]:
    """Return a row's text in the source language and its translations, e.g. for ``label``."""
    by_lang = {lang: row.text(f"{key}::{lang}") for lang in languages}
    translated = {lang: value for lang, value in by_lang.items() if value and lang != source}
    # A text given only in other languages still needs a source text: the first one stands in.
    text = row.text(key) or row.text(f"{key}::{source}") or next(iter(translated.values()), "")
    return text, translated


def _choices(workbook, reader: _Reader, source: str, languages: list[str]):
    lists: dict[str, list[tuple[Any, str, dict[str, str], int]]] = {}
    if "choices" not in workbook.sheetnames:
        return lists
    keys, rows = _rows(workbook["choices"])
    for key in sorted(set(keys) - {"list_name", "list name", "name", "label", ""}):
        if not key.startswith("label::"):
            reader.note("choices", None, "column", column=key)
    for row in rows:
        list_name = row.text("list_name") or row.text("list name")
        value = row.cells.get("name")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not list_name or value in (None, ""):
            reader.note("choices", row.number, "choice_incomplete")
            continue
        label, translated = _texts(row, "label", source, languages)
        lists.setdefault(list_name, []).append(
            (str(value), label or str(value), translated, row.number)
        )
    return lists


def read_xlsform(data: bytes) -> tuple[dict[str, Any], list[ReportLine]]:
    """Return the questionnaire document an XLSForm spreadsheet describes, and the report."""
    workbook = read_workbook(data)
    if "survey" not in workbook.sheetnames:
        raise UploadRefused("no_survey")
    keys, rows = _rows(workbook["survey"])
    if "type" not in keys:
        raise UploadRefused("no_type_column")
    reader = _Reader()
    settings: dict[str, str] = {}
    if "settings" in workbook.sheetnames:
        _keys, setting_rows = _rows(workbook["settings"])
        settings = {k: r.text(k) for r in setting_rows[:1] for k in r.cells}
        for key in sorted(set(settings) - {"form_title", "form_id", "default_language"}):
            reader.note("settings", None, "setting", column=key)
    languages = _languages([k for k in keys if k.startswith(("label::", "hint::"))])
    default = _column_key(f"x::{settings['default_language']}").split("::")[1] if settings.get(
        "default_language") else None  # fmt: skip
    source = default or ("nb" if "label" in keys or not languages else languages[0])
    others = [lang for lang in languages if lang != source]
    choices = _choices(workbook, reader, source, others)
    for key in sorted(set(keys) - KNOWN_COLUMNS - {""}):
        if key.split("::")[0] not in KNOWN_COLUMNS:
            used = sum(1 for r in rows if key in r.cells)
            if used:
                reader.note("survey", None, "column", column=key, count=used)
    builder = _Builder(reader, source, others, choices)
    for row in rows:
        builder.row(row)
    builder.finish()
    title = settings.get("form_title") or "XLSForm"
    slug = slugify(settings.get("form_id") or title, "-") or "xlsform"
    document = {
        "format": "loype-questionnaire/1",
        "slug": slug if re.match(r"^[a-z]", slug) else f"q-{slug}",
        "title": title,
        "audience": "participant",
        "source_language": source,
        "languages": [source, *others],
        "schema": {
            "type": "object",
            "properties": builder.properties,
            "additionalProperties": False,
        },  # fmt: skip
        "ui": {"sections": builder.sections, "questions": builder.ui},
    }
    if builder.required:
        document["schema"]["required"] = builder.required
    if builder.info:
        document["ui"]["info"] = builder.info
    translations = {lang: t for lang, t in builder.translations.items() if t}
    if translations:
        document["translations"] = translations
        document["translation_sources"] = _sources(document, translations)
    return document, reader.report


def _sources(document: dict[str, Any], translations: dict[str, dict[str, str]]):
    from .texts import text_pointers

    texts = dict(text_pointers(document))
    return {
        lang: {p: source_hash(texts[p]) for p in entries if p in texts}
        for lang, entries in translations.items()
    }


class _Builder:
    """Walks the survey rows and builds the schema, layout and translations."""

    def __init__(self, reader: _Reader, source: str, others: list[str], choices) -> None:
        self.reader, self.source, self.others, self.choices = reader, source, others, choices
        self.properties: dict[str, Any] = {}
        self.ui: dict[str, Any] = {}
        self.info: dict[str, Any] = {}
        self.required: list[str] = []
        self.sections: list[dict[str, Any]] = []
        self.translations: dict[str, dict[str, str]] = {lang: {} for lang in others}
        self.widgets: dict[str, str] = {}  # top-level questions so far, for conditions
        self.taken: set[str] = set()
        self.stack: list[tuple[str, _Row]] = []  # open begin_group / begin_repeat rows
        self.repeat: dict[str, Any] | None = None  # the open repeat: {"id", "schema", "ui"}
        #: Section titles' translations by section id (pointers are known once pages settle).
        self.section_texts: dict[str, dict[str, str]] = {}

    def note(self, row: _Row, code: str, **params: Any) -> None:
        self.reader.note("survey", row.number, code, **params)

    def translate(self, pointer: str, translated: dict[str, str]) -> None:
        for lang, text in translated.items():
            self.translations.setdefault(lang, {})[pointer] = text

    def section(self) -> dict[str, Any]:
        if not self.sections:
            self.sections.append({"id": "questions", "title": "Spørsmål", "items": []})
        return self.sections[-1]

    def ident(self, row: _Row, taken: set[str]) -> str:
        name = row.text("name")
        wanted = name if ID_PATTERN.match(name) else (slugify(name) or "question")
        ident = (
            unique_id(wanted, taken) if wanted in taken or not ID_PATTERN.match(wanted) else wanted
        )
        if ident != name:
            self.note(row, "renamed", name=name, id=ident)
        taken.add(ident)
        return ident

    def row(self, row: _Row) -> None:
        kind, _, rest = row.text("type").partition(" ")
        kind = kind.lower()
        if kind in ("begin_group", "begin group"):
            return self.begin_group(row)
        if kind in ("end_group", "end group", "end_repeat", "end repeat"):
            return self.end(row)
        if kind in ("begin_repeat", "begin repeat"):
            return self.begin_repeat(row)
        for column in ("relevant", "constraint", "required") if kind in METADATA else ():
            row.cells.pop(column, None)
        if kind in METADATA:
            return self.note(row, "metadata", type=kind)
        if kind == "note":
            return self.note_row(row)
        if kind in ("select_one", "select_multiple") and rest.strip():
            widget = "choice" if kind == "select_one" else "multichoice"
            return self.question(row, widget, rest.strip())
        if kind in TYPES:
            return self.question(row, TYPES[kind], None, integer=kind == "integer")
        self.note(row, "type", type=row.text("type"))

    def begin_group(self, row: _Row) -> None:
        self.stack.append(("group", row))
        if self.repeat is not None or len(self.stack) > 1:
            self.note(row, "nested_group")
            return
        label, translated = _texts(row, "label", self.source, self.others)
        taken = {s["id"] for s in self.sections}
        sid = self.ident(row, taken) if row.text("name") else unique_id(label or "section", taken)
        if self.sections and not self.sections[-1]["items"]:
            self.sections.pop()
        section = {"id": sid, "title": label or sid, "items": []}
        relevant = row.text("relevant")
        if relevant:
            condition = condition_of(relevant, self.widgets)
            if condition is None:
                self.note(row, "relevant", expression=relevant)
            else:
                section["visible_if"] = condition
        self.sections.append(section)
        self.section_texts[sid] = translated

    def end(self, row: _Row) -> None:
        if not self.stack:
            self.note(row, "unbalanced")
            return
        kind, _begun = self.stack.pop()
        if kind == "repeat":
            self.repeat = None
        elif not self.stack and self.sections:
            # Questions after the group go on a page of their own.
            self.sections.append({"id": unique_id("more", {s["id"] for s in self.sections}),
                                  "title": "Flere spørsmål", "items": []})  # fmt: skip

    def begin_repeat(self, row: _Row) -> None:
        if self.repeat is not None:
            self.stack.append(("nested", row))  # its questions join the open repeat
            self.note(row, "nested_repeat")
            return
        self.stack.append(("repeat", row))
        schema = {"type": "array", "items": {"type": "object", "properties": {},
                                              "additionalProperties": False}}  # fmt: skip
        qid = self.add(row, "group", schema)
        if qid is not None:
            self.repeat = {"id": qid, "schema": schema, "ui": self.ui[qid]}

    def note_row(self, row: _Row) -> None:
        if self.repeat is not None:
            return self.note(row, "note_in_repeat")
        label, translated = _texts(row, "label", self.source, self.others)
        ident = self.ident(row, self.taken)
        self.info[ident] = {"text": label or ident}
        self.section()["items"].append(ident)
        self.translate(f"/ui/info/{ident}/text", translated)

    def question(self, row: _Row, widget: str, list_name: str | None, integer: bool = False):
        schema: dict[str, Any] = (
            {"type": "integer" if integer else "number"}
            if widget == "number"
            else {"type": "string"}
        )
        if widget == "date":
            schema["format"] = "date"
        options = []
        if list_name is not None:
            options = self.choices.get(list_name, [])
            if not options:
                self.note(row, "no_choices", list=list_name)
                return
            listing = [{"const": value, "title": label} for value, label, _t, _n in options]
            if widget == "choice":
                schema["oneOf"] = listing
            else:
                schema = {"type": "array", "uniqueItems": True, "items": {"anyOf": listing}}
        self.add(row, widget, schema, options)

    def add(self, row: _Row, widget: str, schema: dict[str, Any], options=()) -> str | None:
        label, translated = _texts(row, "label", self.source, self.others)
        hint, hints = _texts(row, "hint", self.source, self.others)
        inside = self.repeat
        if inside is not None and widget == "group":
            return None
        siblings = inside["schema"]["items"]["properties"] if inside else self.properties
        qid = self.ident(row, set(siblings) if inside else self.taken)
        schema = {"title": label or qid, **schema}
        siblings[qid] = schema
        ui: dict[str, Any] = {"widget": widget}
        if hint:
            ui["help"] = hint
        if inside:
            inside["ui"].setdefault("items", {})[qid] = ui
            base, ui_base = (f"/schema/properties/{inside['id']}/items/properties/{qid}",
                             f"/ui/questions/{inside['id']}/items/{qid}")  # fmt: skip
        else:
            self.ui[qid] = ui
            self.section()["items"].append(qid)
            base, ui_base = f"/schema/properties/{qid}", f"/ui/questions/{qid}"
        self.translate(f"{base}/title", translated)
        self.translate(f"{ui_base}/help", hints)
        key = "oneOf" if widget == "choice" else "items/anyOf"
        for index, (_value, _label, option_texts, _n) in enumerate(options):
            self.translate(f"{base}/{key}/{index}/title", option_texts)
        if row.text("required").lower() in YES:
            required = (
                inside["schema"]["items"].setdefault("required", []) if inside else self.required
            )
            required.append(qid)
        elif row.text("required"):
            self.note(row, "required", expression=row.text("required"))
        self.rules(row, qid, widget, schema, ui, inside is not None)
        if not inside:
            self.widgets[qid] = widget
        return qid

    def rules(self, row: _Row, qid: str, widget: str, schema, ui, in_repeat: bool) -> None:
        relevant = row.text("relevant")
        if relevant:
            condition = None if in_repeat else condition_of(relevant, self.widgets)
            if condition is None:
                self.note(row, "relevant", expression=relevant)
            else:
                ui["visible_if"] = condition
        constraint = row.text("constraint")
        if constraint:
            limits = limits_of(constraint, widget)
            if limits is None:
                self.note(row, "constraint", expression=constraint)
            else:
                schema.update(limits)

    def finish(self) -> None:
        while self.stack:
            _kind, row = self.stack.pop()
            self.note(row, "unbalanced")
        self.sections = [s for s in self.sections if s["items"]] or self.sections[:1]
        for index, section in enumerate(self.sections):
            self.translate(f"/ui/sections/{index}/title", self.section_texts.get(section["id"], {}))


def report_lines(report: list[ReportLine]) -> Iterator[ReportLine]:
    """Yield the report in sheet and row order (columns first)."""
    yield from sorted(report, key=lambda line: (line.sheet, line.row or 0))
