"""Who is who: municipalities (tenants), staff and participants."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

ROLES = ("administrator", "counsellor")
#: The qualification programme a participant is in: the introduction programme under the
#: Integration Act (integreringsloven, 2021), under the older Introduction Act
#: (introduksjonsloven, for those who started before 2021), or another qualification path.
PROGRAMMES = ("integration_act", "introduction_act", "other")


class Municipality(db.Model):
    """A municipality: the tenant. Nobody reaches another municipality's data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    county: Mapped[str | None] = mapped_column(sa.String(120))
    #: Staff must sign in with a second factor (a TOTP code): those not yet enrolled are sent
    #: to set it up before they reach anything else.
    require_totp: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffUser(db.Model):
    """An administrator or counsellor who logs in with e-mail and password."""

    __tablename__ = "staff_user"
    __table_args__ = (
        sa.CheckConstraint("role IN ('administrator', 'counsellor')", name="role_known"),
        sa.CheckConstraint("NOT lead OR role = 'counsellor'", name="lead_is_counsellor"),
        # The audit trail names staff by id ("staff:3"): an id is never given again, even on
        # SQLite after the newest row is deleted (PostgreSQL's sequences never reuse one).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipality.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(20))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    language: Mapped[str] = mapped_column(sa.String(10), default="nb")
    active: Mapped[bool] = mapped_column(default=True)
    #: The TOTP secret (base32, RFC 6238) shared with the person's authenticator app. It must
    #: be readable to check a code, so it cannot be hashed. Set while enrolling; in use from
    #: ``totp_confirmed_at`` on (services/totp.py).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The time step of the last code accepted: a code (and any older one) works only once.
    totp_last_step: Mapped[int | None] = mapped_column()
    #: A counsellor who leads the municipality's work: sees every participant of the
    #: municipality and can give a participant another counsellor.
    lead: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: HMAC-SHA256 of the one-time link with which the person sets their own password (an
    #: administrator makes it for a new colleague or a forgotten password); the link itself is
    #: shown once and never stored (services/accounts.py).
    password_link_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True, unique=True)
    password_link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()

    @property
    def has_totp(self) -> bool:
        """Whether signing in asks for a code (an enrolment was confirmed)."""
        return self.totp_confirmed_at is not None and self.totp_secret is not None

    @property
    def is_counsellor(self) -> bool:
        return self.role == "counsellor"

    @property
    def is_lead(self) -> bool:
        return self.role == "counsellor" and self.lead

    @property
    def is_administrator(self) -> bool:
        return self.role == "administrator"


#: The caseload's order "last sync, newest first" (services/caseload.py uses the same terms).
SYNC_ORDER = (
    sa.column("last_synced_at").is_(None),
    sa.column("last_synced_at").desc(),
    sa.func.lower(sa.column("display_name")),
    sa.column("id"),
)


class Participant(db.Model):
    """A person in a qualification programme. Known by a display name, never by e-mail."""

    __table_args__ = (
        sa.UniqueConstraint("invite_code_hash"),
        sa.CheckConstraint(
            "programme IS NULL OR programme IN ('integration_act', 'introduction_act', 'other')",
            name="programme_known",
        ),
        # The caseload's default order (services/caseload.py): one page of a municipality or
        # of a counsellor is read in index order and stops after the page, whatever the size.
        sa.Index(
            "ix_participant_municipality_name",
            "municipality_id", sa.func.lower(sa.column("display_name")), "id",
        ),
        # Both equalities of a counsellor's caseload (access.sees) lead this one, so the
        # planner takes it over the municipality's even without table statistics.
        sa.Index(
            "ix_participant_counsellor_name",
            "municipality_id", "counsellor_id", sa.func.lower(sa.column("display_name")), "id",
        ),
        # Sorted by last sync, newest first, never-synced last, then by name: in index order
        # on both databases (the IS NULL part keeps PostgreSQL's NULLs-first of DESC aside).
        sa.Index(
            "ix_participant_municipality_synced",
            "municipality_id", *SYNC_ORDER,
        ),
        sa.Index(
            "ix_participant_counsellor_synced",
            "municipality_id", "counsellor_id", *SYNC_ORDER,
        ),
        # The audit trail, the phone's storage and the owner cookie name a participant by id:
        # an erased participant's id is never given to someone else, which SQLite's plain
        # INTEGER PRIMARY KEY does (the highest id plus one). PostgreSQL's sequences never
        # reuse one. Migration f4a6b8c0d2e4 rebuilt the SQLite tables.
        {"sqlite_autoincrement": True},
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipality.id"), index=True)
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_user.id"), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    language: Mapped[str] = mapped_column(sa.String(10), default="nb")
    #: Show each question's Norwegian text beside the participant's language.
    show_norwegian: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: HMAC-SHA256 of the invite code; the code itself is shown once and never stored.
    invite_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the participant left the programme; their data is deleted a retention period
    #: later (``flask privacy purge``, docs/privacy.md).
    left_programme_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The key the participant's phones encrypt stored answers with (services/phone_keys.py):
    #: a phone holds a copy only while the participant is signed in on it.
    phone_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    #: One of PROGRAMMES, or None while not recorded.
    programme: Mapped[str | None] = mapped_column(sa.String(20))
    programme_start: Mapped[date | None] = mapped_column(sa.Date)
    #: When the competence mapping and the career guidance were completed (the deadlines
    #: for them are in services/deadlines.py).
    mapping_completed_on: Mapped[date | None] = mapped_column(sa.Date)
    guidance_completed_on: Mapped[date | None] = mapped_column(sa.Date)
    #: When a phone of theirs last stored answers here (services/revisions.py keeps it with
    #: each response's ``synced_at``), so the caseload sorts by it without reading responses.
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When a career guidance conversation was offered, and at which career centre.
    guidance_offered_on: Mapped[date | None] = mapped_column(sa.Date)
    guidance_centre: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()
    counsellor: Mapped[StaffUser] = relationship()
