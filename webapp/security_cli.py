"""Command-line tools for accounts, privacy and keys: ``flask --app wsgi
municipalities|staff|privacy|keys``.

Passwords are only ever typed at a hidden prompt, never given as an option: an option lands in
the shell's history and in the process list.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from .extensions import db
from .models import Municipality, StaffUser
from .services import accounts, audit, key_check, privacy, totp

staff_cli = AppGroup(
    "staff",
    help="Staff accounts: add, deactivate and activate, set a password, reset two-step "
    "sign-in, make a lead.",
)
municipalities_cli = AppGroup("municipalities", help="Municipalities (the tenants): add, list.")
privacy_cli = AppGroup("privacy", help="Retention: delete data past its time.")
keys_cli = AppGroup(
    "keys", help="Check that this server's SECRET_KEY and VAPID key are the database's."
)


def _staff(email: str) -> StaffUser:
    user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        click.echo(f"No staff account {email!r}", err=True)
        sys.exit(1)
    return user


@staff_cli.command("deactivate")
@click.argument("email")
@click.option(
    "--last-administrator", is_flag=True,
    help="Close it even if it is the municipality's last active administrator.",
)  # fmt: skip
def staff_deactivate(email: str, last_administrator: bool) -> None:
    """Close a staff account; it is signed out everywhere at once.

    The municipality's last active administrator is kept open unless --last-administrator is
    given (an account taken over, say): nobody could then add or open accounts in the browser
    until `staff add` or `staff activate` gives it an administrator again.
    """
    user = _staff(email)
    if not user.active:
        click.echo(f"staff:{user.id} is already deactivated")
        return
    if (
        user.is_administrator
        and not last_administrator
        and accounts.other_active_administrators(user) == 0
    ):
        _fail(
            f"staff:{user.id} is the last active administrator of its municipality: nobody "
            "could add, open or close accounts in the browser. Add or activate another "
            "administrator first, or give --last-administrator."
        )
    accounts.deactivate_staff(user)
    audit.record(None, "staff.deactivate", f"staff:{user.id}", user.municipality_id)
    db.session.commit()
    click.echo(f"staff:{user.id} deactivated and signed out everywhere")


def _new_password() -> str:
    """Ask for a new password twice at a hidden prompt; exit 1 if it breaks the rules."""
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    problem = accounts.password_problem(password)
    if problem:
        click.echo(problem, err=True)
        sys.exit(1)
    return password


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def _municipality(ref: str) -> Municipality:
    """Return the municipality with this id or (exact) name; exit 1 if there is none."""
    ref = ref.strip()
    found = None
    if ref.isdigit():
        found = db.session.get(Municipality, int(ref))
    if found is None:
        found = db.session.scalar(sa.select(Municipality).where(Municipality.name == ref))
    if found is None:
        _fail(f"No municipality {ref!r}: see `flask --app wsgi municipalities list`.")
    return found


@municipalities_cli.command("add")
@click.argument("name")
@click.option(
    "--county", required=True,
    help="Its county, written as resources name theirs (e.g. Agder): a county's resources "
    "are suggested to its participants.",
)  # fmt: skip
@click.option("--require-totp", is_flag=True, help="Staff must sign in with two steps.")
def municipalities_add(name: str, county: str, require_totp: bool) -> None:
    """Add a municipality; print its id (for `staff add --municipality`)."""
    name, county = name.strip(), county.strip()
    if not name or not county:
        _fail("A municipality needs a name and a county.")
    if len(name) > 120 or len(county) > 120:
        _fail("A name or county can have at most 120 characters.")
    if db.session.scalar(sa.select(Municipality).where(Municipality.name == name)):
        _fail(f"There is already a municipality {name!r}.")
    municipality = Municipality(name=name, county=county, require_totp=require_totp)
    db.session.add(municipality)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # added at this moment by someone else
        db.session.rollback()
        _fail(f"There is already a municipality {name!r}.")
    audit.record(None, "municipality.create", f"municipality:{municipality.id}",
                 municipality.id)  # fmt: skip
    db.session.commit()
    click.echo(f"municipality {municipality.id} {name!r} ({county}) added")


@municipalities_cli.command("list")
def municipalities_list() -> None:
    """List the municipalities: id, name, county, and how many staff accounts are open."""
    open_staff = (
        sa.select(StaffUser.municipality_id, sa.func.count().label("n"))
        .where(StaffUser.active)
        .group_by(StaffUser.municipality_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Municipality, sa.func.coalesce(open_staff.c.n, 0))
        .outerjoin(open_staff, open_staff.c.municipality_id == Municipality.id)
        .order_by(Municipality.id)
    ).all()
    if not rows:
        click.echo("No municipalities yet: `flask --app wsgi municipalities add NAME --county X`.")
    for municipality, staff in rows:
        totp_note = ", two-step sign-in required" if municipality.require_totp else ""
        click.echo(f"{municipality.id:>4}  {municipality.name} ({municipality.county or '-'})"
                   f"  {staff} staff{totp_note}")  # fmt: skip


ROLES = {"admin": "administrator", "administrator": "administrator", "counsellor": "counsellor"}


@staff_cli.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as colleagues see it.")
@click.option(
    "--role", required=True, type=click.Choice(sorted(ROLES)),
    help="admin (administrator: staff, questionnaires, resources) or counsellor.",
)  # fmt: skip
@click.option("--lead", is_flag=True, help="A counsellor who leads the municipality's work.")
@click.option("--municipality", "municipality_ref", required=True, help="Its id or name.")
@click.option("--language", default="nb", show_default=True, help="The interface language.")
def staff_add(
    email: str, name: str, role: str, lead: bool, municipality_ref: str, language: str
) -> None:
    """Add a staff account; the password is asked for (hidden, twice)."""
    role = ROLES[role]
    email, name = email.strip().lower(), name.strip()
    if len(email) > 254 or not accounts.email_shaped(email):
        _fail(f"{email!r} is not an e-mail address.")
    if not name or len(name) > 120:
        _fail("A name needs 1 to 120 characters.")
    if lead and role != "counsellor":
        _fail("Only a counsellor can be a lead.")
    if language not in current_app.config["LANGUAGES"]:
        _fail(f"{language!r} is not one of {', '.join(current_app.config['LANGUAGES'])}.")
    municipality = _municipality(municipality_ref)
    if accounts.email_taken(email):
        _fail(f"There is already a staff account {email!r}.")
    password = _new_password()
    user = accounts.create_staff(municipality, email, name, role, password, language)
    user.lead = lead
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # added at this moment by someone else
        db.session.rollback()
        _fail(f"There is already a staff account {email!r}.")
    audit.record(None, "staff.create", f"staff:{user.id}", municipality.id,
                 {"role": role, "lead": lead})  # fmt: skip
    db.session.commit()
    kind = "lead counsellor" if lead else role
    click.echo(f"staff:{user.id} {email} added: {kind} in {municipality.name}")


@staff_cli.command("activate")
@click.argument("email")
def staff_activate(email: str) -> None:
    """Open a deactivated staff account again (it signs in with its password)."""
    user = _staff(email)
    if user.active:
        click.echo(f"staff:{user.id} is already active")
        return
    accounts.activate_staff(user)
    audit.record(None, "staff.activate", f"staff:{user.id}", user.municipality_id)
    db.session.commit()
    click.echo(f"staff:{user.id} is active again")


@staff_cli.command("password")
@click.argument("email")
def staff_password(email: str) -> None:
    """Set a new password (asked for, hidden, twice); the account is signed out everywhere."""
    user = _staff(email)
    password = _new_password()
    accounts.set_password(user, password)
    audit.record(None, "staff.password", f"staff:{user.id}", user.municipality_id)
    db.session.commit()
    click.echo(f"staff:{user.id} has a new password and is signed out everywhere")


@staff_cli.command("reset-totp")
@click.argument("email")
def staff_reset_totp(email: str) -> None:
    """Clear two-step sign-in (a lost phone, no administrator left); signs out everywhere."""
    user = _staff(email)
    totp.reset(user, None)
    db.session.commit()
    click.echo(f"staff:{user.id} has no two-step sign-in now and is signed out everywhere")


@staff_cli.command("lead")
@click.argument("email")
@click.option("--off", is_flag=True, help="Make them an ordinary counsellor again.")
def staff_lead(email: str, off: bool) -> None:
    """Make a counsellor the municipality's lead (sees every participant, reassigns them)."""
    user = _staff(email)
    if not user.is_counsellor:
        click.echo("Only a counsellor can be a lead.", err=True)
        sys.exit(1)
    user.lead = not off
    audit.record(None, "staff.lead.off" if off else "staff.lead", f"staff:{user.id}",
                 user.municipality_id)  # fmt: skip
    db.session.commit()
    click.echo(f"staff:{user.id} is {'no longer' if off else 'now'} a lead")


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only list who would be deleted.")
def privacy_purge(dry_run: bool) -> None:
    """Delete participants who left the programme more than the retention period ago.

    Safe to run again (a cron job, daily): those already deleted are gone, so nothing happens.
    """
    days = current_app.config["RETENTION_DAYS"]
    ids = privacy.purge(days, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"retention {days} days: {verb} {len(ids)} participants {ids}")


def _show(states: list[key_check.KeyState]) -> None:
    for state in states:
        if state.fingerprint is None:
            verdict = "MISSING on this server (recorded by the others)"
        elif state.recorded is None:
            verdict = "not recorded yet"
        elif state.differs:
            verdict = "DIFFERS from the one recorded"
        else:
            verdict = "the same as recorded"
        when = f" ({state.recorded_at:%Y-%m-%d %H:%M} UTC)" if state.recorded_at else ""
        click.echo(f"{state.name}: {verdict}{when}")


@keys_cli.command("check")
def keys_check() -> None:
    """Say whether this server's keys are those the database recorded (exit 1 if one differs);
    record them if none are recorded yet, as a starting app server does."""
    if not key_check.migrated():
        _fail("The database has no table of keys yet: run `flask --app wsgi db upgrade`.")
    try:
        _show(key_check.verify(current_app))
    except key_check.KeysDiffer as error:
        _show(key_check.states(current_app))
        _fail(error.message)


@keys_cli.command("accept")
@click.confirmation_option(
    prompt="Record this server's keys as the database's? Servers with the old ones then refuse "
    "to start."
)
def keys_accept() -> None:
    """Record this server's keys after a deliberate change (docs/deploy.md: what it ends)."""
    if not key_check.migrated():
        _fail("The database has no table of keys yet: run `flask --app wsgi db upgrade`.")
    before = key_check.accept(current_app)
    audit.record(
        None, "keys.accept", "keys:" + (",".join(s.name for s in before if s.differs) or "-")
    )
    db.session.commit()
    _show(key_check.states(current_app))


COMMANDS = (municipalities_cli, staff_cli, privacy_cli, keys_cli)
