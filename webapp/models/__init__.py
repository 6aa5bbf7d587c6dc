"""Database models, one module per part of the domain."""

from __future__ import annotations

from .audit import AuditEvent
from .notification import (
    DELIVERY_STATES,
    NOTIFICATION_KINDS,
    Delivery,
    Notification,
    PushSubscription,
)
from .questionnaire import (
    OFFERS,
    DraftChange,
    QuestionAudio,
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireDraft,
    QuestionnaireVersion,
)
from .resource import Resource
from .response import COMMENT_KINDS, REVIEW_STATUSES, Comment, Response, ResponseRevision, Review
from .security import LoginSession, ThrottleCounter
from .tenancy import PROGRAMMES, ROLES, Municipality, Participant, StaffUser

__all__ = [
    "COMMENT_KINDS",
    "DELIVERY_STATES",
    "NOTIFICATION_KINDS",
    "Delivery",
    "Notification",
    "PushSubscription",
    "OFFERS",
    "PROGRAMMES",
    "DraftChange",
    "QuestionnaireAssignment",
    "QuestionnaireDraft",
    "REVIEW_STATUSES",
    "ROLES",
    "AuditEvent",
    "Comment",
    "LoginSession",
    "Municipality",
    "Participant",
    "QuestionAudio",
    "Questionnaire",
    "QuestionnaireVersion",
    "Resource",
    "Response",
    "ResponseRevision",
    "Review",
    "StaffUser",
    "ThrottleCounter",
]
