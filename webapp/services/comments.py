"""The thread on a response: notes between staff and messages to the participant.

A comment is written by a member of staff who may read the response. Its author may change
the text for :data:`EDIT_MINUTES` minutes (a typo, a missing word); after that, and for
everyone else, it stands as written. Nobody deletes one: the thread is the record of what
was said. Only erasing the participant (services/privacy.py) removes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import COMMENT_KINDS, Comment, Response, StaffUser
from ..models.types import utcnow
from . import audit, notifications

EDIT_MINUTES = 15
#: Longest text per kind, in characters (a message is read on a phone).
LIMITS = {"note": 4000, "message": 2000}


class CommentError(ValueError):
    """A comment that cannot be stored; ``code`` says why: kind, empty, too_long,
    not_author, too_late, unseen (a message on a questionnaire the participant does not see)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _checked(kind: str, body: str) -> str:
    if kind not in COMMENT_KINDS:
        raise CommentError("kind")
    body = body.strip()
    if not body:
        raise CommentError("empty")
    if len(body) > LIMITS[kind]:
        raise CommentError("too_long")
    return body


def add(response: Response, author: StaffUser, kind: str, body: str) -> Comment:
    """Add a note or a message to the response's thread (the caller commits)."""
    if kind == "message" and response.version.definition.audience != "participant":
        # The participant reads messages on their own questionnaires only (api/me.py): one
        # here would be stored and never read.
        raise CommentError("unseen")
    comment = Comment(response=response, author=author, kind=kind, body=_checked(kind, body))
    db.session.add(comment)
    db.session.flush()
    audit.record(author, f"comment.{kind}", f"response:{response.id}:comment:{comment.id}")
    if kind == "message":
        # In the same transaction as the message: the inbox entry, and a push to each device.
        notifications.notify(response.participant, "message", response=response)
    return comment


def editable_until(comment: Comment) -> datetime:
    return comment.created_at + timedelta(minutes=EDIT_MINUTES)


def may_edit(comment: Comment, actor: StaffUser, now: datetime | None = None) -> bool:
    """Return whether ``actor`` may still change the comment: its author, for a while."""
    return comment.author_id == actor.id and (now or utcnow()) <= editable_until(comment)


def edit(comment: Comment, actor: StaffUser, body: str, now: datetime | None = None) -> None:
    """Change a comment's text (its author, within EDIT_MINUTES); raise CommentError."""
    if comment.author_id != actor.id:
        raise CommentError("not_author")
    if not may_edit(comment, actor, now):
        raise CommentError("too_late")
    body = _checked(comment.kind, body)
    if body != comment.body:
        comment.body = body
        comment.edited_at = now or utcnow()
        audit.record(actor, "comment.edit", f"response:{comment.response_id}:comment:{comment.id}")


def thread(response: Response) -> list[Comment]:
    """Return the response's comments, oldest first, with their authors."""
    return list(
        db.session.scalars(
            sa.select(Comment)
            .where(Comment.response_id == response.id)
            .options(joinedload(Comment.author))
            .order_by(Comment.id)
        )
    )


def messages_for(response_ids: Iterable[str]) -> dict[str, list[Comment]]:
    """Return the messages to the participant on each response, oldest first (one query)."""
    ids = list(response_ids)
    found: dict[str, list[Comment]] = {rid: [] for rid in ids}
    if not ids:
        return found
    for comment in db.session.scalars(
        sa.select(Comment)
        .where(Comment.response_id.in_(ids), Comment.kind == "message")
        .options(joinedload(Comment.author))
        .order_by(Comment.id)
    ):
        found[comment.response_id].append(comment)
    return found
