"""Administrators curate resources in the browser: their municipality's own, never national."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa

from ..extensions import db
from ..models import RESOURCE_AUDIENCES, Municipality, Resource, StaffUser
from ..models.types import utcnow
from . import audit

#: Where a municipality's own resource applies: its county or only the municipality.
REGIONS = ("county", "municipality")
#: A resource's tag is what an answer option's ``resource_tags`` name in a questionnaire
#: (questionnaires/meta-schema.json: a small letter, then small letters, digits and -). A tag
#: the questionnaires cannot write, "norsk_kurs" say, was once taken here and never matched.
TAG_CHARACTERS = re.compile(r"^[a-z][a-z0-9-]*$")
TAG = re.compile(r"^[a-z][a-z0-9-]{0,39}$")  # and at most 40 characters
URL_MAX = 500
TITLE_MAX = 200
DESCRIPTION_MAX = 2000


@dataclass(frozen=True)
class ResourceInput:
    """What an administrator typed: texts per language, already stripped."""

    url: str
    title: dict[str, str]
    description: dict[str, str]
    tags: list[str]
    region: str
    audience: str
    active: bool


def visible_to_admin(admin: StaffUser) -> sa.Select[tuple[Resource]]:
    """Return national resources, those of the administrator's municipality, and the active
    county-wide ones other municipalities of its county made: their counsellors are offered
    those too (resources.applies_to), so the administrator sees them, read-only."""
    county = admin.municipality.county if admin.municipality else None
    neighbours = (
        sa.and_(Resource.region == county, Resource.region_municipality_id.is_(None),
                Resource.active)
        if county
        else sa.false()
    )  # fmt: skip
    return (
        sa.select(Resource)
        .where(
            sa.or_(
                Resource.municipality_id.is_(None),
                Resource.municipality_id == admin.municipality_id,
                neighbours,
            )
        )
        .order_by(Resource.municipality_id.is_(None), Resource.slug)
    )


def owner_name(resource: Resource) -> str | None:
    """The municipality that manages a resource; None for a national one."""
    if resource.municipality_id is None:
        return None
    town = db.session.get(Municipality, resource.municipality_id)
    return town.name if town else None


def may_edit(admin: StaffUser, resource: Resource) -> bool:
    """Return whether ``admin`` manages ``resource`` (national ones are read-only)."""
    return (
        admin.is_administrator
        and admin.active
        and resource.municipality_id is not None
        and resource.municipality_id == admin.municipality_id
    )


def url_problem(url: str) -> str | None:
    """Return why ``url`` is no usable web address (a code), or None."""
    if len(url) > URL_MAX:
        return "too_long"
    # Spaces, control characters and invisible ones (a right-to-left override makes a link
    # read as another address than the one it opens).
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp") for c in url):
        return "characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is no number raises here)
    except ValueError:  # e.g. https://[::1/ (an unclosed IPv6 address)
        return "scheme"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "scheme"
    return None


def parse_tags(text: str) -> tuple[list[str], list[str]]:
    """Split comma-separated tags; return ``(tags, bad ones)``.

    Only a comma separates, as in the builder's resource tags of an answer option. A space
    inside a tag makes it a bad one (``tag_problem``), never two tags: "norsk kurs" split in two
    would match every answer tagged ``norsk`` or ``kurs``, more and other than meant.
    """
    tags = sorted({" ".join(t.split()).lower() for t in text.split(",") if t.strip()})
    return [t for t in tags if TAG.match(t)], [t for t in tags if not TAG.match(t)]


def tag_problem(tag: str) -> str | None:
    """Return why ``tag`` cannot be a tag ("long", "space", "characters"), or None."""
    if TAG.match(tag):
        return None
    if TAG_CHARACTERS.match(tag):
        return "long"
    if TAG_CHARACTERS.match(tag.replace(" ", "-")):
        return "space"  # words of one tag, or tags that want a comma between them
    return "characters"


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:50] or "resource"
    slug, n = base, 1
    while db.session.scalar(sa.select(Resource.id).where(Resource.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _apply(resource: Resource, admin: StaffUser, values: ResourceInput) -> None:
    if values.audience not in RESOURCE_AUDIENCES or values.region not in REGIONS:
        raise ValueError("unknown audience or region")
    resource.url = values.url
    resource.title = {k: v for k, v in values.title.items() if v}
    resource.description = {k: v for k, v in values.description.items() if v}
    resource.tags = sorted(values.tags)
    resource.audience = values.audience
    resource.active = values.active
    if values.region == "county":
        resource.region, resource.region_municipality_id = admin.municipality.county, None
    else:
        resource.region, resource.region_municipality_id = None, admin.municipality_id
    resource.updated_at = utcnow()


def create(admin: StaffUser, values: ResourceInput) -> Resource:
    """Add a resource of the administrator's municipality."""
    resource = Resource(slug=_slug(values.title["nb"]), municipality_id=admin.municipality_id)
    _apply(resource, admin, values)
    db.session.add(resource)
    db.session.flush()
    audit.record(admin, "resource.create", resource.slug)
    return resource


def update(admin: StaffUser, resource: Resource, values: ResourceInput) -> None:
    """Change one of the municipality's resources."""
    if not may_edit(admin, resource):
        raise PermissionError(resource.slug)
    _apply(resource, admin, values)
    audit.record(admin, "resource.update", resource.slug)


def set_active(admin: StaffUser, resource: Resource, active: bool) -> None:
    """Offer a resource again, or stop suggesting it (shared links stay with participants)."""
    if not may_edit(admin, resource):
        raise PermissionError(resource.slug)
    if resource.active != active:
        resource.active = active
        resource.updated_at = utcnow()
        audit.record(admin, "resource.activate" if active else "resource.deactivate", resource.slug)


def region_label(resource: Resource) -> str | None:
    """Return the county or municipality a resource is limited to, if any."""
    if resource.region_municipality_id is not None:
        town = db.session.get(Municipality, resource.region_municipality_id)
        return town.name if town else None
    return resource.region
