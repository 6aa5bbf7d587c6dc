"""Command-line tools for accounts and privacy: ``flask --app wsgi staff|privacy ...``."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from .extensions import db
from .models import StaffUser
from .services import accounts, audit, privacy, totp

staff_cli = AppGroup(
    "staff", help="Staff accounts: deactivate, set a password, reset two-step sign-in, make a lead."
)
privacy_cli = AppGroup("privacy", help="Retention: delete data past its time.")


def _staff(email: str) -> StaffUser:
    user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        click.echo(f"No staff account {email!r}", err=True)
        sys.exit(1)
    return user


@staff_cli.command("deactivate")
@click.argument("email")
def staff_deactivate(email: str) -> None:
    """Close a staff account; it is signed out everywhere at once."""
    user = _staff(email)
    accounts.deactivate_staff(user)
    audit.record(None, "staff.deactivate", f"staff:{user.id}", user.municipality_id)
    db.session.commit()
    click.echo(f"staff:{user.id} deactivated and signed out everywhere")


@staff_cli.command("password")
@click.argument("email")
@click.password_option("--password", prompt="New password", confirmation_prompt=True)
def staff_password(email: str, password: str) -> None:
    """Set a new password; the account is signed out everywhere."""
    if len(password) < 12:
        click.echo("A password needs at least 12 characters.", err=True)
        sys.exit(1)
    user = _staff(email)
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


COMMANDS = (staff_cli, privacy_cli)
