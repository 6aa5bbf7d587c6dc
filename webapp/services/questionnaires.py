"""Import questionnaire documents as versions; a bad document imports nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Questionnaire, QuestionnaireVersion
from ..questionnaires import Problem, check_document
from ..questionnaires.definition import content_hash
from . import audit


@dataclass
class ImportResult:
    slug: str
    version: QuestionnaireVersion
    created: bool


def read_document(path: Path) -> tuple[Any, list[Problem]]:
    """Read a JSON file; return the document and any problem reading or checking it."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem("", f"cannot read file: {exc}")]
    except json.JSONDecodeError as exc:
        return None, [
            Problem("", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        ]
    return document, check_document(document)


def import_document(document: dict[str, Any]) -> ImportResult:
    """Store a checked document as a new version unless the latest version has its content."""
    problems = check_document(document)
    if problems:
        raise ValueError(f"document has {len(problems)} problem(s); run `forms check`")
    digest = content_hash(document)
    content = {k: v for k, v in document.items() if k != "version"}
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.slug == document["slug"])
    )
    if questionnaire is None:
        questionnaire = Questionnaire(slug=document["slug"], audience=document["audience"])
        db.session.add(questionnaire)
    elif questionnaire.audience != document["audience"]:
        raise ValueError("a questionnaire cannot change its audience; use a new slug")
    latest = questionnaire.latest
    if latest is not None and latest.content_hash == digest:
        return ImportResult(questionnaire.slug, latest, created=False)
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        number=(latest.number + 1) if latest else 1,
        document=content,
        content_hash=digest,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(None, "questionnaire.publish", f"{questionnaire.slug}@{version.number}")
    return ImportResult(questionnaire.slug, version, created=True)


def find_version(slug: str, number: int | None = None) -> QuestionnaireVersion | None:
    """Return a version of a questionnaire (the latest when ``number`` is None)."""
    query = (
        sa.select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.slug == slug)
        .order_by(QuestionnaireVersion.number.desc())
    )
    if number is not None:
        query = query.where(QuestionnaireVersion.number == number)
    return db.session.scalars(query.limit(1)).first()
