"""Production settings for gunicorn: ``gunicorn -c gunicorn.conf.py wsgi:app``.

``make run`` and ``bench/server.py`` use this file, so what is measured and what is run by hand
is what a deployment runs. Each setting can be overridden on the command line.
"""

import os

bind = "127.0.0.1:5000"  # `make run` and the bench name theirs with -b
# Sync workers: the app does blocking database work per request and keeps no state between
# requests (sessions are in the database), so processes scale it; 2 fits a small machine.
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
worker_class = "sync"
# Import the app once before forking: workers share its memory and start fast, and a
# SECRET_KEY generated into instance/ on a first start is the same for every worker.
preload_app = True
timeout = 30
graceful_timeout = 10
# Recycle workers now and then, so a slow leak cannot grow without bound.
max_requests = 10000
max_requests_jitter = 1000
# The app logs what matters itself (webapp/logs.py keeps invite codes out of request lines),
# and nginx logs each request (deploy/nginx.conf). Should an operator turn gunicorn's own log on
# (--access-logfile), its lines have the path alone: not the query string (a caseload search
# is /caseload?q=<a participant's name>, and erasing a participant cannot reach a log file),
# the Referer or the browser (gunicorn's default format has all three).
accesslog = None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)s'
# gunicorn 24+ opens a control socket at one fixed path in the home folder; two instances on a
# machine (two deployments, the bench beside `make run`) would fight over it, and nothing here
# uses it.
control_socket_disable = True
errorlog = "-"


def when_ready(server):
    """In the master, once the app is loaded and before any worker is forked: compile the
    templates and load the languages, so no worker (nor one replacing another after
    ``max_requests``) spends its first requests on it (webapp/warm.py)."""
    import sys

    preloaded = sys.modules.get("wsgi")
    if preloaded is None:
        return  # another app under these settings (bench/bare_app.py)
    from webapp.warm import uncompiled_languages, warm

    _check_keys(server, preloaded.app)  # first: a server that may not start needs no warm-up
    if missing := uncompiled_languages(preloaded.app):
        server.log.error(
            "No compiled translations for %s: these languages are shown in English. Run "
            "`make release` (or `flask --app wsgi translate compile`) and restart.",
            ", ".join(missing),
        )
    try:
        done = warm(preloaded.app)
    except Exception:  # a head start only: never a reason not to serve
        server.log.exception("Warming the app failed; the workers start cold")
        return
    server.log.info("Warmed: %(templates)d templates, %(languages)d languages", done)


def _check_keys(server, app):
    """Refuse to start with another SECRET_KEY or VAPID key than the database's other servers
    use (webapp/services/key_check.py): such a server would serve, and refuse their sessions
    and invite codes request by request. The one connection this opens in the master is
    closed again before any worker is forked."""
    import sqlalchemy as sa

    from webapp.services import key_check

    try:
        checked = key_check.check_at_start(app)
    except key_check.KeysDiffer as error:
        server.log.critical("%s", error.message)
        server.halt(reason="the keys are not the database's", exit_status=4)
    except sa.exc.SQLAlchemyError as error:
        # The database not reachable yet: serve as without the check (requests fail until it
        # is back). Only the error's kind is logged (its text can hold a statement's values).
        server.log.warning("Keys not checked: database error (%s)", type(error).__name__)
    else:
        if checked:
            names = ", ".join(state.name for state in checked)
            server.log.info("The database's keys: %s (the same here)", names)
        else:
            server.log.warning("Keys not checked: the database is not migrated yet")


def post_fork(server, worker):
    """Give each worker its own database connections: none may cross a fork."""
    import sys

    preloaded = sys.modules.get("wsgi")  # the app the master loaded (preload_app)
    if preloaded is None:
        # Another app under these settings (bench/bare_app.py): importing Løype here would
        # build a second app in every worker, minifying and compressing the release again.
        return
    from webapp.extensions import db

    with preloaded.app.app_context():
        db.engine.dispose(close=False)
