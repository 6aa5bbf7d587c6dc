"""``flask push keys`` (the VAPID key pair) and ``flask push work`` (the delivery worker)."""

from __future__ import annotations

import logging
import signal
import threading

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from .extensions import db
from .models.types import utcnow
from .services import key_check, plan, push_delivery, push_keys, reminders

log = logging.getLogger(__name__)

push_cli = AppGroup("push", help="Web Push: the server's key pair and the delivery worker.")


@push_cli.command("keys")
@click.option(
    "--new-private", is_flag=True,
    help="Print a new private key for LOYPE_VAPID_PRIVATE_KEY (and its public key); "
    "nothing is stored.",
)  # fmt: skip
def keys(new_private: bool) -> None:
    """Make the VAPID key pair (once) and print its public key.

    With --new-private: print a new private key, in the one-line form LOYPE_VAPID_PRIVATE_KEY
    takes, to set on every app server and push worker. Keep it secret, and keep it: phones
    subscribed with its public half.
    """
    if new_private:
        key, private = push_keys.new_private_key()
        click.echo(f"LOYPE_VAPID_PRIVATE_KEY={private}")
        click.echo(f"# its public key: {push_keys.application_server_key(key)}")
        return
    key, made = push_keys.ensure(current_app.config, current_app.instance_path)
    where = (
        "from LOYPE_VAPID_PRIVATE_KEY"
        if current_app.config.get("VAPID_PRIVATE_KEY")
        else f"in {push_keys._key_file(current_app.instance_path)}"
    )
    click.echo(f"VAPID key {'made' if made else 'kept'} ({where}); public key:")
    click.echo(push_keys.application_server_key(key))


@push_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
def work(once: bool, interval: float) -> None:
    """Send due notifications to the push services, again and again (or once).

    Each pass first writes the notifications the clock brings (next steps falling due,
    reminders of unfinished drafts).

    SIGTERM or Ctrl-C stops it between two deliveries: the one being sent is recorded first.
    """
    try:
        key = push_keys.load(current_app.config, current_app.instance_path)
    except push_keys.NoPushKey:
        raise click.ClickException("No VAPID key yet: run `flask push keys` first.") from None
    stopping = threading.Event()
    checked = False  # the keys, against the database's (services/key_check.py), on the first pass
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.set())
    while not stopping.is_set():
        try:
            # Events that come from the clock rather than from a request: written here, sent
            # below.
            if not checked:
                # A worker signing with another VAPID key than the phones subscribed with
                # would have every push refused: KeysDiffer stops it, naming the variable.
                key_check.verify(current_app)
                checked = True
            now = utcnow()
            plan.notify_due_steps(now)
            reminders.remind_drafts(now, current_app.config["DRAFT_REMINDER_DAYS"])
            db.session.commit()
        except sa.exc.OperationalError as error:
            # The database restarting, a lost connection, a deadlock: the next pass writes
            # them. Only the error's kind is logged (its text holds the statement's values).
            db.session.rollback()
            log.warning("push worker: database error (%s), tried again later",
                        type(error.orig).__name__)  # fmt: skip
            if once:
                db.session.remove()
                raise click.ClickException("the database could not be reached") from None
        tried = push_delivery.send_due(key, current_app.config, stop=stopping.is_set)
        db.session.remove()
        if once:
            click.echo(f"{tried} deliveries tried")
            return
        if tried == 0:
            stopping.wait(interval)
    click.echo("push worker stopped")


COMMANDS = [push_cli]
