"""Recorded clips that read a question aloud: checked on upload, kept in the database."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from ..extensions import db
from ..models import QuestionAudio, Questionnaire, StaffUser
from . import audit

MAX_BYTES = 2 * 1024 * 1024  # a spoken question is seconds long; 2 MB is plenty

#: Accepted types, each recognised by the bytes it starts with (never by the file name).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "audio/ogg": (b"OggS",),
    "audio/webm": (b"\x1a\x45\xdf\xa3",),
    "audio/mp4": (b"ftyp",),  # at offset 4
    "audio/wav": (b"RIFF",),
}
EXTENSIONS = {"audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/webm": "webm",
              "audio/mp4": "m4a", "audio/wav": "wav"}  # fmt: skip


class AudioRejected(ValueError):
    """The upload is not a clip we can keep; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sniff(data: bytes) -> str | None:
    """Return the audio type the bytes are, or None."""
    for mimetype, starts in SIGNATURES.items():
        for start in starts:
            if mimetype == "audio/mp4" and data[4:8] == start:
                return mimetype
            if mimetype == "audio/wav" and data.startswith(start) and data[8:12] == b"WAVE":
                return mimetype
            if mimetype not in ("audio/mp4", "audio/wav") and data.startswith(start):
                return mimetype
    return None


def store_clip(
    questionnaire: Questionnaire, question_id: str, lang: str, data: bytes, uploader: StaffUser
) -> QuestionAudio:
    """Keep (or replace) the clip for one question in one language."""
    definition = questionnaire.latest.definition
    if question_id not in definition.questions:
        raise AudioRejected("question")
    if lang not in definition.languages:
        raise AudioRejected("language")
    if not data:
        raise AudioRejected("empty")
    if len(data) > MAX_BYTES:
        raise AudioRejected("size")
    mimetype = sniff(data)
    if mimetype is None:
        raise AudioRejected("type")
    clip = db.session.scalar(
        sa.select(QuestionAudio).where(
            QuestionAudio.questionnaire_id == questionnaire.id,
            QuestionAudio.question_id == question_id,
            QuestionAudio.lang == lang,
        )
    )
    if clip is None:
        clip = QuestionAudio(questionnaire=questionnaire, question_id=question_id, lang=lang)
        db.session.add(clip)
    clip.data = data
    clip.mimetype = mimetype
    clip.sha256 = hashlib.sha256(data).hexdigest()
    clip.uploaded_by = uploader.id
    db.session.flush()
    audit.record(uploader, "audio.upload", f"{questionnaire.slug}/{question_id}/{lang}")
    return clip


def clip_url(clip: QuestionAudio) -> str:
    return f"/media/audio/{clip.id}-{clip.sha256[:12]}.{EXTENSIONS[clip.mimetype]}"


def clips_for(questionnaire_id: int, lang: str) -> dict[str, str]:
    """Return ``{question id: clip URL}`` for one language."""
    clips = db.session.scalars(
        sa.select(QuestionAudio).where(
            QuestionAudio.questionnaire_id == questionnaire_id, QuestionAudio.lang == lang
        )
    )
    return {clip.question_id: clip_url(clip) for clip in clips}
