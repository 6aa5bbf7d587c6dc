"""Configuration: defaults here, overridden by environment variables (see README)."""

from __future__ import annotations

import functools
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

#: Interface languages with a catalog under translations/ (the first is the default).
LANGUAGES = ["nb", "nn", "en", "ar", "ti", "so", "uk", "fa", "fa_AF", "ps", "ckb"]


class ConfigError(click.ClickException, RuntimeError):
    """The configuration cannot work: the app refuses to start, naming the variable.

    ``flask ...`` prints a click exception as "Error: <message>" and gunicorn a RuntimeError
    the same way, instead of a traceback an operator has to read to its last line.
    """


def _secret_key(instance_path: Path, database_url: str) -> str | None:
    """Return SECRET_KEY from the environment, or (SQLite: one machine) one generated once and
    kept in instance/.

    With PostgreSQL there may be several app servers: each would generate its own key and
    reject the sessions the others signed, so none is generated (``check`` refuses to start).
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if not database_url.startswith("sqlite"):
        return None
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def session_cookie_name(secure: bool) -> str:
    """Return the session cookie's name: ``__Host-`` binds it to this exact origin over HTTPS
    (no Domain, Path=/, Secure), so a sibling subdomain cannot set or overwrite it."""
    return "__Host-loype" if secure else "loype"


def default_config(instance_path: Path) -> dict[str, object]:
    """Return the configuration for a real deployment (``make run`` or a WSGI server)."""
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{instance_path / 'loype.sqlite3'}")
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://") :]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    secure = os.environ.get("LOYPE_SECURE_COOKIES", "1") != "0"
    return {
        "SECRET_KEY": _secret_key(instance_path, database_url),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # allow_nan=False: NaN or Infinity in a JSON column fails loudly instead of being stored
        # as text no JSON reader accepts (a phone could then never load its answers again).
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "json_serializer": functools.partial(json.dumps, allow_nan=False),
            # A failed statement's error names its parameters ([parameters: ...]), and an
            # unhandled error is logged with it: a response's answers, a password hash or a
            # token would reach the log. The statement itself is still shown.
            "hide_parameters": True,
        },
        # A pooled connection to PostgreSQL that sat unused this long is checked before use
        # (a restarted database or a dropped idle connection); one in steady use is not, which
        # saved a round trip on every request (issue 12). See docs/deploy.md.
        "DATABASE_PING_AFTER_IDLE": float(os.environ.get("LOYPE_DATABASE_PING_AFTER_IDLE", 10)),
        "LANGUAGES": LANGUAGES,
        "BABEL_DEFAULT_LOCALE": LANGUAGES[0],
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("LOYPE_TIMEZONE", "Europe/Oslo"),
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent.parent / "translations"),
        # Answers are small; anything bigger is a mistake or an attack.
        "MAX_CONTENT_LENGTH": int(os.environ.get("LOYPE_MAX_CONTENT_LENGTH", 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure unless told otherwise: only `make run` on http://127.0.0.1 turns it off.
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_NAME": session_cookie_name(secure),
        "SESSION_COOKIE_PATH": "/",
        # The session on the server ends at a fixed time (services/sessions.py), and so does
        # the cookie: signing and sending it again on every request bought nothing (issue 12).
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PERMANENT_SESSION_LIFETIME": timedelta(
            hours=int(os.environ.get("LOYPE_SESSION_HOURS", 24 * 30))
        ),
        # More than 20 hours: WCAG 2.2.1 needs no warning for such limits (a working day plus).
        "STAFF_SESSION_HOURS": int(os.environ.get("LOYPE_STAFF_SESSION_HOURS", 24)),
        "WTF_CSRF_TIME_LIMIT": None,  # the session's own lifetime bounds the token
        "PUBLIC_URL": os.environ.get("LOYPE_PUBLIC_URL"),
        "PASSWORD_HASH_PROFILE": os.environ.get(
            "LOYPE_PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY"
        ),
        "INVITE_DAYS": int(os.environ.get("LOYPE_INVITE_DAYS", 7)),
        # How long a participant's data is kept after they leave the programme (docs/privacy.md).
        "RETENTION_DAYS": int(os.environ.get("LOYPE_RETENTION_DAYS", 365)),
        # Days a draft is left untouched before its participant is reminded (0: never).
        "DRAFT_REMINDER_DAYS": int(os.environ.get("LOYPE_DRAFT_REMINDER_DAYS", 3)),
        # How many reverse proxies stand in front of the app. Each appends the address it got
        # the request from to X-Forwarded-For; only that many (counted from the right) are
        # believed, so 0 (no proxy) ignores the header: a client could write anything there.
        "TRUSTED_PROXIES": int(os.environ.get("LOYPE_TRUSTED_PROXIES", 0)),
        # Web Push (docs/notifications.md): the VAPID private key (else instance/vapid_private.pem),
        # the contact push services see in each push, and the push services' hosts the worker
        # may send to (host suffixes; the browsers' own by default).
        "VAPID_PRIVATE_KEY": os.environ.get("LOYPE_VAPID_PRIVATE_KEY"),
        "VAPID_SUBJECT": os.environ.get("LOYPE_VAPID_SUBJECT", "mailto:push@loype.invalid"),
        "PUSH_SERVICES": [
            host.strip()
            for host in os.environ.get("LOYPE_PUSH_SERVICES", "").split(",")
            if host.strip()
        ],
    }


def check(config: dict) -> None:
    """Refuse to start with a configuration that would only fail later, request by request.

    Each error names the environment variable to fix (never a secret's value).
    """
    if not config.get("SECRET_KEY"):
        raise ConfigError(
            "SECRET_KEY is not set. With PostgreSQL (DATABASE_URL) every app server must use "
            "the same SECRET_KEY, or each rejects the sessions the others signed: set it in "
            "the environment of every server (e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
        )
    timezone = config.get("BABEL_DEFAULT_TIMEZONE")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"LOYPE_TIMEZONE {timezone!r} is not a time zone: use a name of the IANA time "
            "zone database, such as Europe/Oslo."
        ) from None
    public_url = config.get("PUBLIC_URL")
    if public_url:
        parts = urlsplit(public_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ConfigError(
                f"LOYPE_PUBLIC_URL {public_url!r} is not a web address: write it with its "
                "scheme, such as https://loype.example.no (invite links and QR codes are made "
                "from it)."
            )
