"""Every registered route with sample arguments, so tests can walk the whole app."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.assets import release
from webapp.extensions import db
from webapp.models import Participant, Questionnaire, StaffUser
from webapp.services import responses


def sample_records(app, world) -> dict[str, object]:
    """Create one response of each kind and return values for every URL argument."""
    with app.app_context():
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        muligheter = db.session.scalar(sa.select(Questionnaire).filter_by(slug="muligheter"))
        p1 = db.session.get(Participant, world.p1)
        r1 = responses.start(p1, kartlegging)
        m1 = responses.start(p1, muligheter, author=db.session.get(StaffUser, world.c1))
        db.session.commit()
        return {
            "participant_id": world.p1,
            "response_id": r1.id,
            "counsellor_response_id": m1.id,
            "slug": "kartlegging",
            "number": 1,
            "version_id": kartlegging.latest.id,
            "page": 1,
            "code": "ABCD-EFGH-JK",
            "token": "A" * 43,
            "release_hash": release().hash,
            "path": "css/app.css",
            "filename": "css/app.css",
            "clip_id": 1,
            "digest": "0" * 16,
            "ext": "ogg",
            "session_id": 1,
            "comment_id": 1,
            "first": 1,
            "second": 1,
            "staff_id": world.c1,
            "lang": "en",
            "notification_id": "A" * 22,
            "resource_id": 1,
            "step_id": 1,
            "index": 0,
        }


def all_requests(app, values: dict[str, object]) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, url) for every rule and method of the app."""
    found = []
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", str(values[argument]))
            for converter in ("int", "uuid", "path"):
                url = url.replace(f"<{converter}:{argument}>", str(values[argument]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return sorted(found)
