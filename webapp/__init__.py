"""Løype: mapping questionnaires for adults in Norwegian qualification programmes.

``create_app`` is the only way to make the application; ``wsgi.py`` holds the one instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    access,
    admin,
    api,
    assets,
    auth,
    builder,
    cli,
    counsellor,
    errors,
    fill,
    input_guard,
    logs,
    participant,
    pwa,
    security_headers,
    site,
    templating,
)
from .config import ConfigError, check, default_config, session_cookie_name
from .extensions import babel, csrf, db, migrate, tune_engine
from .models import name_search
from .services import accounts, push_keys

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app; ``test_config`` overrides the environment-based configuration."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    app.config.from_mapping(default_config(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
        if "SESSION_COOKIE_NAME" not in test_config:
            app.config["SESSION_COOKIE_NAME"] = session_cookie_name(
                app.config["SESSION_COOKIE_SECURE"]
            )
    _check_config(app)
    _trust_proxies(app)
    accounts.use_hash_profile(app.config["PASSWORD_HASH_PROFILE"])
    logs.init_app(app)

    db.init_app(app)
    with app.app_context():
        tune_engine(db.engine, app.config["DATABASE_PING_AFTER_IDLE"])
    # The name search's index is per database and outside the models (models/name_search.py).
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), include_object=name_search.outside_models
    )
    babel.init_app(app, locale_selector=site.select_locale)
    access.init_app(app)
    auth.init_app(app)  # before CSRF, so its errors are in the signed-in person's language
    input_guard.init_app(app)  # after auth, for the same reason
    csrf.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    assets.init_app(app)
    security_headers.init_app(app)
    cli.init_app(app)

    # The API takes JSON only, which a cross-site form cannot send, and SameSite cookies.
    csrf.exempt(api.bp)
    for blueprint in (
        site.bp,
        auth.bp,
        participant.bp,
        fill.bp,
        counsellor.bp,
        counsellor.overview_bp,
        admin.bp,
        builder.bp,
        api.bp,
        pwa.bp,
    ):
        app.register_blueprint(blueprint)
    return app


def _check_config(app: Flask) -> None:
    """Refuse to start (ConfigError, naming the variable) with settings that would only fail
    later: request by request, or in the push worker."""
    check(app.config)
    try:
        push_keys.check_configured(app.config)
    except push_keys.BadPushKey as error:
        raise ConfigError(str(error)) from None


def _trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from the proxies' headers, if there are proxies.

    Sign-in throttling counts per address (services/throttle.py): behind a proxy every request
    would otherwise come from the proxy, and one guesser would lock everyone out. Only
    X-Forwarded-For and X-Forwarded-Proto are read; the host comes from LOYPE_PUBLIC_URL.
    """
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
