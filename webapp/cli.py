"""Command-line tools: ``flask --app wsgi forms|resources|demo|translate ...``."""

from __future__ import annotations

import io
import json
import sys
from datetime import date, timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import push_cli, security_cli
from .extensions import db
from .i18n import interface_report
from .models import Municipality, Participant, Questionnaire, Resource, StaffUser
from .questionnaires import check_document
from .questionnaires import translation as questionnaire_translation
from .questionnaires.check import stopped_early
from .services import (
    accounts,
    comments,
    deadlines,
    plan,
    resource_editing,
    resource_texts,
    resources,
    revisions,
    sharing,
)
from .services import questionnaires as questionnaire_service
from .services import responses as response_service

ROOT = Path(__file__).resolve().parent.parent
PO_WIDTH = 100  # the width the catalogs are kept at
forms_cli = AppGroup("forms", help="Check, import and export questionnaire documents.")
resources_cli = AppGroup("resources", help="Import the resource list.")
translate_cli = AppGroup("translate", help="Interface translation catalogs (gettext).")


@forms_cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def forms_check(paths: tuple[Path, ...]) -> None:
    """Report every problem in questionnaire files; exit 1 if there is any.

    A resources file (forms/resources.json, ``"format": "loype-resources/1"``) is checked as
    ``resources import`` checks it, so ``forms check forms/*.json`` checks all shipped files.
    """
    failed = False
    for path in paths:
        document, problems = questionnaire_service.read_document(path)
        kind = ""
        if isinstance(document, dict) and document.get("format") == resources.RESOURCES_FORMAT:
            problems, kind = resources.check_resources(document), " (resources)"
        for problem in problems:
            click.echo(f"{path}: {problem}")
        if problems and not kind and stopped_early(problems):
            click.echo(
                f"{path}: some of these problems keep the rest of the file from being checked; "
                "more may appear once they are fixed"
            )
        if problems:
            failed = True
        else:
            click.echo(f"{path}: ok{kind}")
    sys.exit(1 if failed else 0)


@forms_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def forms_import(paths: tuple[Path, ...]) -> None:
    """Import questionnaire files as new versions; unchanged files change nothing."""
    documents = []
    failed = False
    for path in paths:
        document, problems = questionnaire_service.read_document(path)
        for problem in problems:
            click.echo(f"{path}: {problem}", err=True)
        failed = failed or bool(problems)
        documents.append((path, document))
    if failed:
        click.echo("Nothing imported: fix the problems above first.", err=True)
        sys.exit(1)
    for path, document in documents:
        result = questionnaire_service.import_document(document)
        state = "imported as" if result.created else "unchanged, still"
        click.echo(f"{path}: {state} {result.slug} version {result.version.number}")
    db.session.commit()


@forms_cli.command("export")
@click.argument("slug")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
def forms_export(slug: str, number: int | None) -> None:
    """Print a stored questionnaire version as a document."""
    version = questionnaire_service.find_version(slug, number)
    if version is None:
        click.echo(
            f"No questionnaire {slug!r}" + (f" version {number}" if number else ""), err=True
        )
        sys.exit(1)
    click.echo(json.dumps(version.exported(), ensure_ascii=False, indent=2))


@resources_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def resources_import(path: Path) -> None:
    """Create or update resources from a resources file (by slug)."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        click.echo(f"{path}: not valid JSON: {exc}", err=True)
        sys.exit(1)
    problems = resources.check_resources(document)
    for problem in problems:
        click.echo(f"{path}: {problem}", err=True)
    if problems:
        sys.exit(1)
    created, updated = resources.import_resources(document)
    db.session.commit()
    click.echo(f"{path}: {created} created, {updated} updated")


DEMO_MUNICIPALITY = "Demo kommune"
DEMO_ACCOUNTS = (
    ("administrator", "admin@example.org", "Ada Administrator", "demo-admin-pass"),
    ("counsellor", "veileder@example.org", "Vera Veileder", "demo-veileder-pass"),
    ("lead", "leder@example.org", "Leo Leder", "demo-leder-pass"),
)
DEMO_PARTICIPANT = "Demo deltaker"
#: A second participant, of the lead, so the caseload shows a draft, a message and a deadline.
DEMO_SECOND = "Amina (demo)"


@click.command("demo")
@with_appcontext
@click.option("--port", default=5000, show_default=True, help="Port for the printed invite URL.")
@click.option(
    "--language", default="nb", show_default=True,
    help="The demo participant's language (a code of LANGUAGES, e.g. ar), also when it exists.",
)  # fmt: skip
def demo(port: int, language: str) -> None:
    """Create (once) a demo municipality, staff accounts and a participant; print the logins."""
    if language not in current_app.config["LANGUAGES"]:
        known = ", ".join(current_app.config["LANGUAGES"])
        raise click.BadParameter(f"{language!r} is not one of {known}", param_hint="--language")
    municipality = db.session.scalar(
        sa.select(Municipality).where(Municipality.name == DEMO_MUNICIPALITY)
    )
    if municipality is None:
        municipality = Municipality(name=DEMO_MUNICIPALITY, county="Oslo")
        db.session.add(municipality)
    users = {}
    for role, email, name, password in DEMO_ACCOUNTS:
        user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email))
        if user is None:
            kind = "counsellor" if role == "lead" else role
            user = accounts.create_staff(municipality, email, name, kind, password, "nb")
            user.lead = role == "lead"
        users[role] = user
    db.session.flush()
    participant = db.session.scalar(
        sa.select(Participant).where(
            Participant.municipality_id == municipality.id,
            Participant.display_name == DEMO_PARTICIPANT,
        )
    )
    key = current_app.config["SECRET_KEY"]
    days = current_app.config["INVITE_DAYS"]
    if participant is None:
        participant, code = accounts.create_participant(
            users["counsellor"], users["counsellor"], DEMO_PARTICIPANT, language, key, days
        )
        participant.programme = "integration_act"
        participant.programme_start = date.today() - timedelta(days=30)
    else:
        code = accounts.new_invite(participant, key, days)  # the old code cannot be shown again
        participant.language = language
    _demo_second_participant(municipality, users["lead"])
    _demo_resource(users["administrator"])
    db.session.commit()
    click.echo("Demo accounts (role, e-mail, password):")
    for role, email, _name, password in DEMO_ACCOUNTS:
        click.echo(f"  {role:<14} {email:<24} {password}")
    click.echo(
        f"  participant    invite link: http://127.0.0.1:{port}/join/{code}"
        f"  (code {accounts.format_code(code)})"
    )
    click.echo(
        "  Open the link and press the button to sign in. The code works once and for "
        f"{days} days; run `flask demo` again for a new one."
    )


def _demo_second_participant(municipality: Municipality, lead: StaffUser) -> None:
    """Add (once) a participant of the lead with a started mapping, a comment thread and a
    mapping deadline that has passed."""
    exists = db.session.scalar(
        sa.select(Participant).where(
            Participant.municipality_id == municipality.id, Participant.display_name == DEMO_SECOND
        )
    )
    if exists is not None:
        return
    person, _code = accounts.create_participant(
        lead, lead, DEMO_SECOND, "ar", current_app.config["SECRET_KEY"], 1
    )
    person.programme = "integration_act"
    person.programme_start = date.today() - timedelta(days=deadlines.MAPPING_DAYS + 10)
    kartlegging = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.slug == "kartlegging")
    )
    if kartlegging is None or kartlegging.latest is None:
        return  # the questionnaires are imported first by `make run`
    response = response_service.start(person, kartlegging)
    revisions.write(
        response, revisions.Author("web", person), base=response.revision, status="draft",
        answers={"mapped_before": "no", "anything_else": "أريد أن أعمل ممرضة"}, lang="ar",
    )  # fmt: skip
    comments.add(response, lead, "note", "Bestill tolk (arabisk) til neste samtale.")
    comments.add(response, lead, "message", "Takk! Vi går gjennom svarene sammen på torsdag.")
    # A shared resource, and a follow-up plan with one step past its due date.
    guidance = db.session.scalar(
        sa.select(Resource).where(Resource.slug == "karriereveiledning-no")
    )
    if guidance is not None:
        sharing.share(lead, person, guidance.id, "Her kan du bestille en samtale på arabisk.")
    for goal, action, who, due, status in (
        ("Få utdanningen godkjent", "Søke HK-dir om godkjenning", "participant", -7, "planned"),
        ("Karriereveiledning", "Bestille time på karrieresenteret", "counsellor", 14,
         "in_progress"),
    ):  # fmt: skip
        plan.add_step(
            lead, person,
            plan.StepInput(goal, action, who, date.today() + timedelta(days=due), status, True),
        )  # fmt: skip
    plan.set_guidance_offer(lead, person, date.today() - timedelta(days=3), "Karriere Oslo")


def _demo_resource(admin: StaffUser) -> None:
    """Add (once) a resource of the demo municipality, which its administrator manages."""
    if db.session.scalar(sa.select(Resource).where(Resource.slug == "norskkurs-i-demo")):
        return
    resource_editing.create(
        admin,
        resource_editing.ResourceInput(
            url="https://www.oslo.kommune.no/",
            title={"nb": "Norskkurs i Demo", "en": "Norwegian courses in Demo"},
            description={"nb": "Kurs på dagtid og kveld i kommunen.",
                         "en": "Day and evening courses in the municipality."},
            tags=["norwegian-training"], region="municipality", audience="participant",
            active=True,
        ),
    )  # fmt: skip


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


@translate_cli.command("extract")
def translate_extract() -> None:
    """Collect interface strings into translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "--width",
        str(PO_WIDTH),
        "-o",
        str(ROOT / "translations/messages.pot"),
        str(ROOT / "webapp"),
    )


@translate_cli.command("update")
def translate_update() -> None:
    """Merge new strings from messages.pot into every language's catalog.

    Written as the catalogs are kept (sorted, 100 columns, the status comment on top left as
    it is), so an update changes only the messages that changed.
    """
    with (ROOT / "translations/messages.pot").open("rb") as handle:
        template = read_po(handle)
    for path in sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po")):
        lang = path.parent.parent.name
        lines = path.read_text("utf-8").splitlines()
        status = [line for line in lines[:2] if line.startswith("# Translation status")]
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=PO_WIDTH, sort_output=True, ignore_obsolete=True)
        if status:  # babel wraps the comment; keep it on one line, where the tests read it
            written = path.read_text("utf-8").splitlines()
            rest = written.index(lines[len(status)]) if lines[len(status)] in written else 0
            path.write_text("\n".join([*status, *written[rest:]]) + "\n", "utf-8")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile every catalog to the .mo files the app reads."""
    _pybabel("compile", "-d", str(ROOT / "translations"), "--statistics")


def _write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", "utf-8")


def _texts_module(path: Path):
    """Return the export/import/report functions for a questionnaire or a resources file."""
    document = json.loads(path.read_text("utf-8"))
    if document.get("format") == resources.RESOURCES_FORMAT:
        return document, resource_texts
    return document, questionnaire_translation


@translate_cli.command("form-export")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("lang")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="PO file (default: stdout)")
def translate_form_export(path: Path, lang: str, output: Path | None) -> None:
    """Export the texts of a questionnaire (or resources) file for LANG as a PO file."""
    document, texts = _texts_module(path)
    buffer = io.BytesIO()
    write_po(buffer, texts.export_catalog(document, lang), width=100, sort_output=False)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(buffer.getvalue())
    else:
        click.echo(buffer.getvalue().decode("utf-8"), nl=False)


@translate_cli.command("form-import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("lang")
@click.argument("po_file", type=click.Path(exists=True, path_type=Path))
def translate_form_import(path: Path, lang: str, po_file: Path) -> None:
    """Write LANG's translations from a PO file into a questionnaire (or resources) file."""
    document, texts = _texts_module(path)
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=lang.split("_")[0])
    updated, warnings = texts.import_catalog(document, lang, catalog)
    for warning in warnings:
        click.echo(f"{po_file}: {warning}", err=True)
    if texts is questionnaire_translation:
        problems = check_document(updated)
        if problems:
            for problem in problems:
                click.echo(f"{path}: {problem}", err=True)
            click.echo("Nothing written: the result would not pass the check.", err=True)
            sys.exit(1)
    _write_json(path, updated)
    click.echo(f"{path}: {lang} translations imported")


@translate_cli.command("report")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--verbose", "-v", is_flag=True, help="List each missing or out-of-date text.")
def translate_report(paths: tuple[Path, ...], verbose: bool) -> None:
    """List per language the missing and out-of-date texts: interface and content files."""
    languages = current_app.config["LANGUAGES"]
    for lang, stats in interface_report(ROOT / "translations", languages).items():
        click.echo(
            f"interface {lang:<6} {stats.done}/{stats.total} done, "
            f"{len(stats.missing)} missing, {len(stats.outdated)} out of date"
        )
        if verbose:
            for msgid in stats.missing:
                click.echo(f"    missing: {msgid}")
    content = paths or tuple(sorted((ROOT / "forms").glob("*.json")))
    for path in content:
        document, texts = _texts_module(path)
        if "format" not in document or path.name.endswith(".schema.json"):
            continue
        for stats in texts.report(document, languages):
            click.echo(
                f"{path.name} {stats.lang:<6} {stats.done}/{stats.total} done, "
                f"{len(stats.missing)} missing, {len(stats.outdated)} out of date"
            )
            if verbose:
                for pointer in stats.missing:
                    click.echo(f"    missing: {pointer}")
                for pointer in stats.outdated:
                    click.echo(f"    out of date: {pointer}")


def init_app(app: Flask) -> None:
    for command in (
        forms_cli,
        resources_cli,
        translate_cli,
        demo,
        *security_cli.COMMANDS,
        *push_cli.COMMANDS,
    ):
        app.cli.add_command(command)
