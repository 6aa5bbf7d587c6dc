"""Questionnaires and their immutable published versions."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..questionnaires import Definition
from ..questionnaires.definition import build_definition
from .types import JSONType, UTCDateTime, utcnow


class Questionnaire(db.Model):
    """A questionnaire across its versions, named by its slug."""

    __table_args__ = (
        sa.CheckConstraint("audience IN ('participant', 'counsellor')", name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    audience: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number"
    )

    @property
    def latest(self) -> QuestionnaireVersion | None:
        return self.versions[-1] if self.versions else None


class QuestionnaireVersion(db.Model):
    """One published version: the document frozen, with its content hash."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (
        sa.UniqueConstraint("questionnaire_id", "number"),
        sa.UniqueConstraint("questionnaire_id", "content_hash"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id"))
    number: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")

    @cached_property
    def definition(self) -> Definition:
        """Return the checked definition (the document was checked before it was stored)."""
        return build_definition(self.document)

    def exported(self) -> dict[str, Any]:
        """Return the document with its version number, as ``forms export`` prints it."""
        exported: dict[str, Any] = {}
        for key, value in self.document.items():
            exported[key] = value
            if key == "slug":
                exported["version"] = self.number
        return exported


class QuestionAudio(db.Model):
    """A recorded clip that reads one question aloud in one language.

    Kept per questionnaire (not per version), so a clip survives a new version as long as the
    question id does. Played instead of the browser's speech synthesis when present.
    """

    __tablename__ = "question_audio"
    __table_args__ = (sa.UniqueConstraint("questionnaire_id", "question_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id"))
    question_id: Mapped[str] = mapped_column(sa.String(64))
    lang: Mapped[str] = mapped_column(sa.String(10))
    mimetype: Mapped[str] = mapped_column(sa.String(40))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id"))

    questionnaire: Mapped[Questionnaire] = relationship()
