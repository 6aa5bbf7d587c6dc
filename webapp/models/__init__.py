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
from .overview import OverviewFigures
from .plan import OPEN_STEP_STATUSES, RESPONSIBLE, STEP_STATUSES, NextStep
from .questionnaire import (
    OFFERS,
    DraftChange,
    QuestionAudio,
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireDraft,
    QuestionnaireVersion,
)
from .resource import RESOURCE_AUDIENCES, Resource, SharedResource
from .response import COMMENT_KINDS, REVIEW_STATUSES, Comment, Response, ResponseRevision, Review
from .security import KeyFingerprint, LoginSession, ThrottleCounter
from .tenancy import PROGRAMMES, ROLES, Municipality, Participant, StaffUser

__all__ = [
    "COMMENT_KINDS",
    "DELIVERY_STATES",
    "NOTIFICATION_KINDS",
    "Delivery",
    "Notification",
    "PushSubscription",
    "OFFERS",
    "OPEN_STEP_STATUSES",
    "RESPONSIBLE",
    "STEP_STATUSES",
    "NextStep",
    "OverviewFigures",
    "PROGRAMMES",
    "RESOURCE_AUDIENCES",
    "DraftChange",
    "QuestionnaireAssignment",
    "QuestionnaireDraft",
    "REVIEW_STATUSES",
    "ROLES",
    "AuditEvent",
    "Comment",
    "KeyFingerprint",
    "LoginSession",
    "Municipality",
    "Participant",
    "QuestionAudio",
    "Questionnaire",
    "QuestionnaireVersion",
    "Resource",
    "Response",
    "ResponseRevision",
    "SharedResource",
    "Review",
    "StaffUser",
    "ThrottleCounter",
]
