"""Questionnaires and their immutable published versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..questionnaires import Definition
from ..questionnaires.definition import build_definition
from ..questionnaires.localize import localized_document
from ..questionnaires.published import published_versions
from .tenancy import Municipality, Participant, StaffUser
from .types import JSONType, UTCDateTime, utcnow

#: Questionnaire documents keep their key order: the order of a group's ``properties`` is the
#: order of its questions. PostgreSQL's JSONB would sort the keys, so documents are plain JSON.
DocumentJSON = sa.JSON()

#: Who a municipality's questionnaire is offered to: nobody yet, every participant of the
#: municipality, or only those a counsellor assigned it to.
OFFERS = ("none", "all", "assigned")


class Questionnaire(db.Model):
    """A questionnaire across its versions, named by its slug (unique across the installation).

    It belongs to a municipality, or to nobody: then it is a *national template* (the shipped
    ``kartlegging`` and ``muligheter``), readable by every administrator, never edited in
    place, and copied into a municipality to be changed.
    """

    __table_args__ = (
        sa.CheckConstraint("audience IN ('participant', 'counsellor')", name="audience_known"),
        sa.CheckConstraint("offered_to IN ('none', 'all', 'assigned')", name="offered_to_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    audience: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None for a national template.
    municipality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("municipality.id"), index=True
    )
    copied_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("questionnaire.id"))
    offered_to: Mapped[str] = mapped_column(sa.String(20), default="none", server_default="none")
    #: When set, nobody starts it any more; responses given to it stay readable and finishable.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number"
    )
    municipality: Mapped[Municipality | None] = relationship()
    draft: Mapped[QuestionnaireDraft | None] = relationship(back_populates="questionnaire")

    @property
    def latest(self) -> QuestionnaireVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def is_template(self) -> bool:
        return self.municipality_id is None


class QuestionnaireVersion(db.Model):
    """One published version: the document frozen, with its content hash.

    Two versions may hold the same content: a change published and then taken back.
    """

    __tablename__ = "questionnaire_version"
    __table_args__ = (
        sa.UniqueConstraint("questionnaire_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id"))
    number: Mapped[int]
    #: Deferred: requests read the document through ``definition`` and ``localized``, which
    #: come from the per-process cache of published versions and load it only on a miss.
    document: Mapped[dict[str, Any]] = mapped_column(DocumentJSON, deferred=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Languages of the document that participants are not offered for this version: the
    #: builder publishes a language with missing texts only this way. Its translations stay in
    #: the document (for the next version); participants who use it read the fallback.
    withheld_languages: Mapped[list[str]] = mapped_column(
        JSONType, default=list, server_default="[]"
    )

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")

    @property
    def offered_languages(self) -> list[str]:
        """Return the languages participants are offered for this version."""
        withheld = set(self.withheld_languages or ())
        return [lang for lang in self.definition.languages if lang not in withheld]

    @property
    def definition(self) -> Definition:
        """Return the checked definition (the document was checked before it was stored).

        Shared with every request of this process that reads the same version: never change
        it, nor its ``document``.
        """
        if self.id is None or not self.content_hash:
            return build_definition(self.document)  # not stored yet: nothing to key it by
        return published_versions.definition(self.id, self.content_hash, self._stored_document)

    def localized(self, lang: str) -> dict[str, Any]:
        """Return the document with only the translations ``lang`` falls back on (shared)."""
        if self.id is None or not self.content_hash:
            return localized_document(self.document, lang)
        return published_versions.localized(self.id, self.content_hash, lang, self._stored_document)

    def _stored_document(self) -> dict[str, Any]:
        return self.document

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


class QuestionnaireAssignment(db.Model):
    """A questionnaire offered to one participant (when it is offered to ``assigned`` only)."""

    __tablename__ = "questionnaire_assignment"

    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire.id"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id"), primary_key=True, index=True
    )
    assigned_by: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship()
    participant: Mapped[Participant] = relationship()


class QuestionnaireDraft(db.Model):
    """The document an administrator is editing: one per questionnaire.

    ``revision`` goes up with every save, and a save names the revision it was based on, so an
    edit made on an old revision is refused instead of overwriting someone else's work.
    ``source_text`` keeps a JSON edit that could not be parsed, verbatim, until it is fixed.
    """

    __tablename__ = "questionnaire_draft"
    __table_args__ = (sa.CheckConstraint("revision >= 1", name="revision_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id"), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(DocumentJSON)
    source_text: Mapped[str | None] = mapped_column(sa.Text)
    revision: Mapped[int] = mapped_column(default=1)
    editor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id"))
    editing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="draft")
    editor: Mapped[StaffUser | None] = relationship()
    changes: Mapped[list[DraftChange]] = relationship(
        back_populates="draft", order_by="DraftChange.revision", cascade="all, delete-orphan"
    )


class DraftChange(db.Model):
    """One saved change to a draft: which revision it made, who, when, and what (in words)."""

    __tablename__ = "draft_change"
    __table_args__ = (sa.UniqueConstraint("draft_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire_draft.id"), index=True)
    revision: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The operation and its target, e.g. {"op": "add_question", "target": "age"}.
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)

    draft: Mapped[QuestionnaireDraft] = relationship(back_populates="changes")
    actor: Mapped[StaffUser | None] = relationship()
