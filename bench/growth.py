"""Pages as a municipality grows: the same pages at 1,000 and at 100,000 participants.

Run from the repository root::

    .venv/bin/python bench/growth.py                          # SQLite in a temporary folder
    .venv/bin/python bench/growth.py --database postgresql://postgres@127.0.0.1:5432/loype_bench
    .venv/bin/python bench/growth.py --sizes 1000 20000        # a quicker look

Each size gets a database of its own (SQLite files in a temporary folder, or PostgreSQL
databases ``<name>_<size>`` made next to the one named), made as ``make run`` makes it
(migrations, the shipped questionnaires, the demo accounts) and filled with participants of
the demo municipality: a hundred per counsellor (the demo counsellor has the first hundred),
each with a mapping response whose answers are generated from the questionnaire's JSON Schema
and checked by the validator (drafts, submitted and reviewed ones, one or two revisions each,
audit rows as the app writes them). Participant *n* is the same in both databases. Then,
through the Flask test client in this process, both databases are asked in turn, request by
request (so the machine's other work weighs on both alike): the demo counsellor's caseload,
the lead's caseload (the whole municipality: its first page, two searches by name, sorted by last
sync), a participant page and a response page. It prints the median time of each at both
sizes, the ratio (largest / smallest), the SQL statements and the size of each page, and exits
1 when a ratio is over 1.5 or a page needs more statements at the larger size.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import seed  # noqa: E402

TARGET = 1.5
PER_COUNSELLOR = 100
LANGUAGES = ["nb", "nn", "en", "ar", "ti", "so", "uk", "fa", "fa_AF", "ps", "ckb"]
FIRST = ["Amina", "Yonas", "Olena", "Ahmad", "Hodan", "Sara", "Mohammed", "Tesfay", "Iryna",
         "Farid", "Layla", "Abdi", "Maryam", "Dawit", "Oksana", "Reza", "Fatima"]  # fmt: skip
LAST = ["Ali", "Haile", "Kovalenko", "Rahimi", "Warsame", "Hassan", "Tesfamariam", "Shevchenko",
        "Ahmadi", "Yusuf", "Karimi", "Osman", "Bondarenko", "Nazari", "Gebremedhin"]  # fmt: skip
SENTENCES = ["Jeg har jobbet i butikk i to år.", "I was a nurse for six years.",
             "عملت في مخبز لمدة ثلاث سنوات.", "Я працювала бухгалтеркою.",
             "Waxaan ahaa darawal.", "Snekker, elektriker og litt IT."]  # fmt: skip


def person_name(n: int) -> str:
    """Participant n's name, the same at every size. The number in brackets makes it unique:
    a search for "Ali (500)" finds one person however many there are."""
    rnd = random.Random(f"name {n}")
    return f"{rnd.choice(FIRST)} {rnd.choice(LAST)} ({n})"


def value_for(schema: dict, rnd: random.Random):
    """A value of this JSON Schema, as a participant might give it (validated after)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rnd.choice(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return value_for(rnd.choice(schema[key]), rnd)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "array":
        items = schema.get("items", {})
        low, high = schema.get("minItems", 1), min(schema.get("maxItems", 3), 3)
        if "enum" in items or "oneOf" in items or "anyOf" in items:
            values = []
            for _ in range(rnd.randint(low, max(low, high))):
                value = value_for(items, rnd)
                if value not in values:
                    values.append(value)
            return values
        return [value_for(items, rnd) for _ in range(rnd.randint(low, max(low, high)))]
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: value_for(sub, rnd) for name, sub in properties.items()}
    if kind == "boolean":
        return rnd.random() < 0.5
    if kind in ("integer", "number"):
        low = schema.get("minimum", 0)
        high = schema.get("maximum", low + 40)
        return rnd.randint(int(low), int(high))
    if kind == "string":
        if schema.get("format") == "date":
            return (date(2025, 1, 1) + timedelta(days=rnd.randint(0, 600))).isoformat()
        text = rnd.choice(SENTENCES)
        return text[: schema.get("maxLength", len(text))]
    return None


def answer_pool(definition, size: int, seed_value: int = 7) -> list[dict]:
    """Answer sets generated from the schema; what the validator refuses is dropped."""
    from webapp.questionnaires import validate_answers

    rnd = random.Random(seed_value)
    properties = definition.schema.get("properties", {})
    pool = []
    for _ in range(size):
        answers = {}
        for name, schema in properties.items():
            if rnd.random() < 0.85:  # some questions are left unanswered
                value = value_for(schema, rnd)
                if value is not None:
                    answers[name] = value
        for _attempt in range(5):
            answers, errors = validate_answers(definition, answers, complete=False)
            if not errors:
                break
            for error in errors:
                answers.pop(error.question, None)
        answers, errors = validate_answers(definition, answers, complete=False)
        assert not errors, errors
        pool.append(answers)
    return pool


class Filler:
    """Adds participants (with counsellors, responses, revisions, reviews and audit rows)."""

    def __init__(self, app) -> None:
        import sqlalchemy as sa

        from webapp.extensions import db
        from webapp.models import Questionnaire, StaffUser

        self.app = app
        with app.app_context():
            self.counsellor = db.session.scalar(
                sa.select(StaffUser).where(StaffUser.email == "veileder@example.org")
            )
            self.lead_id = db.session.scalar(
                sa.select(StaffUser.id).where(StaffUser.email == "leder@example.org")
            )
            self.municipality_id = self.counsellor.municipality_id
            self.counsellor_ids = [self.counsellor.id]
            self.password_hash = self.counsellor.password_hash
            mapping = db.session.scalar(
                sa.select(Questionnaire).where(Questionnaire.slug == "kartlegging")
            )
            self.version_id = mapping.latest.id
            self.pool = answer_pool(mapping.latest.definition, 300)
        self.count = 0
        self.first_participant: int | None = None
        self.first_response: str | None = None

    def grow_to(self, total: int) -> None:
        import sqlalchemy as sa

        from webapp.extensions import db
        from webapp.models import (
            AuditEvent,
            Participant,
            Response,
            ResponseRevision,
            Review,
            StaffUser,
        )

        now = datetime.now(UTC)
        with self.app.app_context():
            while self.count < total:
                chunk = min(5000, total - self.count)
                needed = (self.count + chunk + PER_COUNSELLOR - 1) // PER_COUNSELLOR
                new_staff = [
                    {"municipality_id": self.municipality_id, "email": f"c{n}@growth.example",
                     "name": f"Veileder {n}", "role": "counsellor",
                     "password_hash": self.password_hash, "language": "nb", "active": True}
                    for n in range(len(self.counsellor_ids), needed)
                ]  # fmt: skip
                if new_staff:
                    db.session.execute(sa_insert(StaffUser), new_staff)
                    self.counsellor_ids = list(
                        db.session.scalars(
                            sa_select(StaffUser.id)
                            .where(StaffUser.municipality_id == self.municipality_id,
                                   StaffUser.role == "counsellor", StaffUser.lead.is_(False))
                            .order_by(StaffUser.id == self.counsellor.id, StaffUser.id)
                        )
                    )  # fmt: skip
                    # The demo counsellor first: it holds the first hundred.
                    self.counsellor_ids.remove(self.counsellor.id)
                    self.counsellor_ids.insert(0, self.counsellor.id)
                people = []
                numbers = range(self.count, self.count + chunk)
                for n in numbers:
                    rnd = random.Random(n)  # participant n is the same at every size
                    started = date(2025, 1, 1) + timedelta(days=rnd.randint(0, 600))
                    people.append({
                        "municipality_id": self.municipality_id,
                        "counsellor_id": self.counsellor_ids[n // PER_COUNSELLOR],
                        "display_name": person_name(n),
                        "language": rnd.choice(LANGUAGES),
                        "show_norwegian": False,
                        "joined_at": now - timedelta(days=rnd.randint(1, 600)),
                        "programme": rnd.choice(["integration_act", "introduction_act",
                                                      "other", None]),
                        "programme_start": started,
                        "mapping_completed_on": started + timedelta(days=60)
                        if rnd.random() < 0.4 else None,
                        "created_at": now - timedelta(days=rnd.randint(1, 700)),
                    })  # fmt: skip
                ids = list(
                    db.session.scalars(
                        sa_insert(Participant).returning(
                            Participant.id, sort_by_parameter_order=True
                        ),
                        people,
                    )
                )
                responses, revisions, reviews, audit = [], [], [], []
                for n, participant_id in zip(numbers, ids, strict=True):
                    rnd = random.Random(-1 - n)
                    response_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
                    answers = rnd.choice(self.pool)
                    status = rnd.choice(["draft", "draft", "submitted", "submitted"])
                    count = rnd.choice([1, 2])
                    at = now - timedelta(days=rnd.randint(0, 300))
                    responses.append({
                        "id": response_id, "participant_id": participant_id,
                        "version_id": self.version_id, "status": status, "answers": answers,
                        "revision": count, "conflicts": [], "text_languages": {},
                        "version_moves": [], "synced_at": at, "created_at": at,
                        "updated_at": at,
                        "submitted_at": at if status == "submitted" else None,
                    })  # fmt: skip
                    for number in range(1, count + 1):
                        revisions.append({
                            "response_id": response_id, "number": number,
                            "version_id": self.version_id,
                            "status": status if number == count else "draft",
                            "answers": answers, "source": "phone",
                            "base_number": number - 1 or None, "merged": False,
                            "received_at": at,
                        })  # fmt: skip
                    if status == "submitted" and rnd.random() < 0.5:
                        reviews.append({
                            "response_id": response_id, "reviewer_id": self.lead_id,
                            "status": rnd.choice(["in_review", "follow_up", "completed"]),
                            "note": "", "message": "", "created_at": at,
                        })  # fmt: skip
                    audit += [
                        {"at": at, "municipality_id": self.municipality_id, "actor": "cli",
                         "action": "participant.create", "target": f"participant:{participant_id}"},
                        {"at": at, "municipality_id": self.municipality_id,
                         "actor": f"participant:{participant_id}", "action": "response.sync",
                         "target": f"response:{response_id}"},
                    ]  # fmt: skip
                db.session.execute(sa_insert(Response), responses)
                db.session.execute(sa_insert(ResponseRevision), revisions)
                if reviews:
                    db.session.execute(sa_insert(Review), reviews)
                db.session.execute(sa_insert(AuditEvent), audit)
                # What services/revisions.py keeps with each phone sync.
                latest = (
                    sa_select(sa.func.max(Response.synced_at))
                    .where(Response.participant_id == Participant.id)
                    .scalar_subquery()
                )
                db.session.execute(
                    sa.update(Participant)
                    .where(Participant.id.in_(ids))
                    .values(last_synced_at=latest)
                    .execution_options(synchronize_session=False)
                )
                db.session.commit()
                if self.first_participant is None:
                    self.first_participant, self.first_response = ids[0], responses[0]["id"]
                self.count += chunk
                print(f"  {self.count:,} participants", file=sys.stderr, flush=True)
            if db.engine.dialect.name == "postgresql":
                # What autovacuum does after such a load: statistics for the planner, and the
                # visibility map that lets a count read the index alone.
                with db.engine.connect() as connection:
                    connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                        "VACUUM ANALYZE"
                    )


def sa_insert(model):
    import sqlalchemy as sa

    return sa.insert(model)


def sa_select(*what):
    import sqlalchemy as sa

    return sa.select(*what)


def signed_in(app, email: str, password: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code == 302, f"login of {email} answered {answer.status_code}"
    return client


class Meter:
    """One request at a time to one page of one database, timed; SQL statements counted."""

    def __init__(self, app, client, path: str) -> None:
        import sqlalchemy as sa

        from webapp.extensions import db

        self.client, self.path, self.times = client, path, []
        with app.app_context():
            engine = db.engine
        for _ in range(2):  # warm up: the session's first requests do more
            self.once()
        statements = []

        def count(*_args):
            statements.append(1)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            self.bytes = len(self.once())
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        self.statements = len(statements)
        self.times.clear()

    def once(self) -> bytes:
        started = time.perf_counter()
        answer = self.client.get(self.path)
        self.times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, f"{self.path} answered {answer.status_code}"
        return answer.data

    @property
    def median(self) -> float:
        return statistics.median(self.times)


#: The name of a participant both sizes have (the 500th), whole: it is found alone.
ONE = person_name(500).split(" ", 1)[1]


def pages(filler: Filler) -> list[tuple[str, str, str]]:
    return [
        ("caseload (counsellor, 100)", "counsellor", "/caseload"),
        ("caseload (lead, page 1)", "lead", "/caseload"),
        # One person at both sizes: what the search's index must keep flat.
        ("caseload (lead, search, 1 found)", "lead", "/caseload?" + urlencode({"q": ONE})),
        # A full page at both sizes (about 1 in 17 is an Amina: 59, then 5,880): counted up
        # to 1,000 (services/caseload.py SEARCH_COUNT_CAP), sorted in full.
        ("caseload (lead, search, page)", "lead", "/caseload?q=Amina"),
        ("caseload (lead, last sync)", "lead", "/caseload?sort=last_sync"),
        ("overview (lead)", "lead", "/overview"),
        ("participant page", "counsellor", f"/participants/{filler.first_participant}"),
        ("response page", "counsellor", f"/responses/{filler.first_response}"),
    ]


def database_url(args, folder: Path, size: int) -> str:
    """A database of its own for each size (emptied first): sqlite file or PostgreSQL."""
    if not args.database:
        return f"sqlite:///{folder / f'loype-{size}.sqlite3'}"
    import sqlalchemy as sa

    base = "postgresql+psycopg://" + args.database.split("://", 1)[1]
    name = f"{base.rsplit('/', 1)[1]}_{size}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base.rsplit('/', 1)[0]}/{name}"


def prepare(url: str, size: int):
    """Make the database as `make run` does and fill it; return (app, filler, clients)."""
    from webapp import create_app

    secret = "growth-" + "0" * 57
    seed(dict(os.environ, FLASK_APP="wsgi", DATABASE_URL=url, SECRET_KEY=secret))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret})
    started = time.perf_counter()
    filler = Filler(app)
    filler.grow_to(size)
    print(f"[{size:,}] filled in {time.perf_counter() - started:.0f} s", flush=True)
    clients = {
        "counsellor": signed_in(app, "veileder@example.org", "demo-veileder-pass"),
        "lead": signed_in(app, "leder@example.org", "demo-leder-pass"),
    }
    return app, filler, clients


def exports(worlds: dict, small: int, large: int, runs: int) -> list[str]:
    """Export the responses of participants who use Arabic (one in eleven: about 90 rows at
    1,000 and 9,000 at 100,000) as CSV, as the lead. Exports grow with their rows, so what
    must stay flat is the time per row, and the memory an export holds (measured with
    tracemalloc on one export; the file itself is streamed)."""
    import tracemalloc

    measured = {}
    for size, (_app, filler, clients) in worlds.items():
        path = ("/exports/responses?" + urlencode({
            "version": filler.version_id, "language": "ar", "values": "labels",
            "label_language": "nb", "format": "csv",
        }))  # fmt: skip
        client = clients["lead"]
        body = client.get(path)
        assert body.status_code == 200, f"export answered {body.status_code}"
        rows = body.data.count(b"\n") - 1
        tracemalloc.start()
        answer = client.get(path, buffered=False)
        for _chunk in answer.response:  # read as a browser would, chunk by chunk
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        times = []
        for _ in range(max(3, runs // 3)):
            started = time.perf_counter()
            client.get(path).close()
            times.append((time.perf_counter() - started) * 1000)
        measured[size] = (rows, statistics.median(times), peak)
    (rows_a, ms_a, peak_a), (rows_b, ms_b, peak_b) = measured[small], measured[large]
    per_a, per_b = ms_a / rows_a * 1000, ms_b / rows_b * 1000
    ratio = per_b / per_a
    flag = "" if ratio <= TARGET else "  ✗"
    print(
        f"\n{'export (CSV, lead, Arabic)':<28} {f'{small:,}':>10} {f'{large:,}':>10} {'ratio':>6}"
    )
    print(f"{'  rows':<28} {rows_a:10,} {rows_b:10,}")
    print(f"{'  time':<28} {ms_a:8.0f}ms {ms_b:8.0f}ms")
    print(f"{'  time per 1,000 rows':<28} {per_a:8.0f}ms {per_b:8.0f}ms {ratio:6.2f}{flag}")
    print(f"{'  peak memory (tracemalloc)':<28} {peak_a / 2**20:8.1f}MB {peak_b / 2**20:8.1f}MB "
          f"{peak_b / peak_a:6.2f}")  # fmt: skip
    return ["export (time per row)"] if flag else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a PostgreSQL URL; databases <name>_<size> are made")
    parser.add_argument("--sizes", type=int, nargs=2, default=[1000, 100_000])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    logging.getLogger("webapp").setLevel(logging.WARNING)  # one audit line per read otherwise
    os.environ["LOYPE_SECURE_COOKIES"] = "0"  # the test client speaks plain http
    folder = Path(tempfile.mkdtemp(prefix="loype-growth-"))
    small, large = sorted(args.sizes)
    worlds = {size: prepare(database_url(args, folder, size), size) for size in (small, large)}
    meters: dict[str, dict[int, Meter]] = {}
    for size, (app, filler, clients) in worlds.items():
        for name, who, path in pages(filler):
            meters.setdefault(name, {})[size] = Meter(app, clients[who], path)
    # Both sizes in turn, request by request: whatever else the machine does weighs on both.
    for _ in range(args.runs):
        for by_size in meters.values():
            for meter in by_size.values():
                meter.once()
    failed = []
    print(f"\n{'page':<28} {f'{small:,}':>10} {f'{large:,}':>10} {'ratio':>6} "
          f"{'statements':>11} {'KB':>11}")  # fmt: skip
    for name, by_size in meters.items():
        a, b = by_size[small], by_size[large]
        ratio = b.median / a.median
        flag = "" if ratio <= TARGET and b.statements <= a.statements else "  ✗"
        if flag:
            failed.append(name)
        print(f"{name:<28} {a.median:8.1f}ms {b.median:8.1f}ms {ratio:6.2f} "
              f"{a.statements:5}→{b.statements:<5} {a.bytes / 1024:5.1f}→{b.bytes / 1024:<5.1f}"
              f"{flag}")  # fmt: skip
    failed += exports(worlds, small, large, args.runs)
    if failed:
        print(f"FAIL: over {TARGET} × or more statements at {large:,}: {', '.join(failed)}")
        return 1
    print(f"OK: every page within {TARGET} × from {small:,} to {large:,} participants")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
