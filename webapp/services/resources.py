"""Import the resource list and suggest resources from answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Resource
from ..models.types import utcnow
from ..questionnaires import Definition
from ..questionnaires.conditions import is_empty
from .resource_editing import TAG

RESOURCES_FORMAT = "loype-resources/1"


def check_resources(document: Any) -> list[str]:
    """Return every problem with a resources document, as ``pointer: reason`` lines."""
    if not isinstance(document, dict) or document.get("format") != RESOURCES_FORMAT:
        return [f"/format: must be {RESOURCES_FORMAT!r}"]
    problems = []
    seen: set[str] = set()
    for index, entry in enumerate(document.get("resources") or []):
        here = f"/resources/{index}"
        if not isinstance(entry, dict):
            problems.append(f"{here}: must be an object")
            continue
        slug = entry.get("slug")
        if not isinstance(slug, str) or not slug:
            problems.append(f"{here}/slug: missing")
        elif slug in seen:
            problems.append(f"{here}/slug: duplicate slug {slug!r}")
        seen.add(slug)
        if not str(entry.get("url", "")).startswith("https://"):
            problems.append(f"{here}/url: must be an https:// address")
        for field in ("title", "description"):
            texts = entry.get(field)
            if not isinstance(texts, dict) or not str(texts.get("nb", "")).strip():
                problems.append(f"{here}/{field}: needs at least a bokmål ('nb') text")
        tags = entry.get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            problems.append(f"{here}/tags: must be a list of strings")
            continue
        problems += [
            f"{here}/tags/{n}: {tag!r} cannot be a tag: small letters a-z, digits and -, "
            "starting with a letter, at most 40 characters (as a questionnaire's resource_tags)"
            for n, tag in enumerate(tags)
            if not TAG.match(tag)
        ]
    return problems


def import_resources(document: dict[str, Any]) -> tuple[int, int]:
    """Create or update resources by slug; return ``(created, updated)``."""
    created = updated = 0
    for entry in document["resources"]:
        resource = db.session.scalar(sa.select(Resource).where(Resource.slug == entry["slug"]))
        values = {
            "url": entry["url"],
            "title": entry["title"],
            "description": entry["description"],
            "tags": sorted(entry.get("tags") or []),
            "region": entry.get("region"),
        }
        if resource is None:
            db.session.add(Resource(slug=entry["slug"], **values))
            created += 1
        elif any(getattr(resource, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(resource, key, value)
            resource.updated_at = utcnow()
            updated += 1
    return created, updated


def tags_for_answers(definition: Definition, answers: dict[str, Any]) -> set[str]:
    """Return the resource tags that the given answers point to."""
    tags: set[str] = set()
    for qid, question in definition.questions.items():
        value = answers.get(qid)
        if is_empty(value) or not question.resource_tags:
            continue
        values: Iterable[Any] = value if isinstance(value, list) else [value]
        for item in values:
            key = ("true" if item else "false") if isinstance(item, bool) else str(item)
            tags.update(question.resource_tags.get(key, ()))
    return tags


def applies_to(resource: Resource, county: str | None, municipality_id: int | None) -> bool:
    """Return whether a resource is meant for a participant of this county and municipality."""
    if resource.region_municipality_id is not None:
        return resource.region_municipality_id == municipality_id
    if resource.region is not None:
        return resource.region == county
    return resource.municipality_id is None or resource.municipality_id == municipality_id


def suggest(
    definition: Definition,
    answers: dict[str, Any],
    county: str | None,
    municipality_id: int | None = None,
) -> list[tuple[Resource, list[str]]]:
    """Return active resources matching the answers' tags, for the participant's place:
    national ones, those of their county (the county career centre) and municipality."""
    wanted = tags_for_answers(definition, answers)
    if not wanted:
        return []
    resources = db.session.scalars(
        sa.select(Resource).where(Resource.active.is_(True)).order_by(Resource.slug)
    )
    suggestions = []
    for resource in resources:
        matched = sorted(wanted.intersection(resource.tags))
        if matched and applies_to(resource, county, municipality_id):
            suggestions.append((resource, matched))
    return suggestions
