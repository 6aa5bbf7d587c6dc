"""The builder: one page per draft, and the JSON endpoints its script saves through.

Every endpoint finds the questionnaire among the administrator's own (another municipality's,
or a national template, is not found), parses the body, calls ``services.builder`` and answers
with the draft's new state: revision, document and problems in the administrator's language.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from jinja2.utils import htmlsafe_json_dumps
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.exc import IntegrityError

from ..assets import release
from ..auth import current_actor, staff_required
from ..extensions import db
from ..i18n import datetime_filter, own_name
from ..models import Questionnaire, QuestionnaireDraft
from ..pwa.views import client_strings
from ..questionnaires import diff, editing
from ..questionnaires.check import stopped_early
from ..questionnaires.editing import EditError
from ..questionnaires.names import country_names, language_codes, language_names, text_direction
from ..questionnaires.types import REGISTRY
from ..services import builder
from ..services import questionnaires as questionnaire_service
from .forms import ImportOverForm, NewQuestionnaireForm
from .messages import (
    CHECK_STOPPED,
    change_sentence,
    change_words,
    edit_message,
    page_strings,
    pictogram_names,
    problem_views,
    type_change_message,
    widget_names,
)

bp = Blueprint("builder", __name__, url_prefix="/admin/builder")


class OperationSchema(Schema):
    revision = fields.Integer(required=True, strict=True)
    op = fields.String(required=True)
    args = fields.Dict(keys=fields.String(), load_default=dict)


class JsonTextSchema(Schema):
    revision = fields.Integer(required=True, strict=True)
    text = fields.String(required=True)


#: The code editor's ES modules under static/vendor/ (copied from node_modules by `make`).
EDITOR_MODULES = (
    "@codemirror/state", "@codemirror/view", "@codemirror/commands", "@codemirror/language",
    "@codemirror/lang-json", "@codemirror/lint", "@codemirror/streamparser", "@lezer/common",
    "@lezer/highlight", "@lezer/lr", "@lezer/json", "style-mod", "w3c-keyname", "crelt",
    "@marijn/find-cluster-break",
)  # fmt: skip


def import_map() -> dict[str, Any]:
    """Return the import map naming the editor's modules by their release URLs (those present)."""
    current = release()
    return {
        "imports": {
            name: current.url(f"vendor/{name}/index.js")
            for name in EDITOR_MODULES
            if f"vendor/{name}/index.js" in current.assets
        }
    }


def own_or_404(slug: str) -> Questionnaire:
    admin = current_actor()
    questionnaire = db.session.scalar(
        questionnaire_service.visible_to_admin(admin).where(Questionnaire.slug == slug)
    )
    if questionnaire is None or not questionnaire_service.may_edit(admin, questionnaire):
        abort(404)
    return questionnaire


def draft_or_404(slug: str) -> QuestionnaireDraft:
    try:
        return builder.draft_for(current_actor(), own_or_404(slug))
    except LookupError:
        abort(404)


def ordered_json(body: Any, status: int = 200):
    """Answer JSON with the keys in document order (Flask's JSON sorts them, and the order of
    a group's properties is the order of its questions)."""
    return current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )


def preview_languages(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return the languages the preview shows a draft in: code, own name and direction."""
    listed = document.get("languages")  # the JSON text may have saved anything here
    languages = [
        code
        for code in (listed if isinstance(listed, list) else [])
        if isinstance(code, str) and code in language_codes()
    ] or ["nb"]
    return [(code, own_name(code), text_direction(code)) for code in languages]


def state(draft: QuestionnaireDraft, **extra: Any) -> dict[str, Any]:
    """Return what the builder's script needs to show a draft: with its languages, so the
    preview's language list and the Translate links follow a language ticked a moment ago."""
    problems = builder.problems_of(draft)
    return {
        "revision": draft.revision,
        "document": draft.document,
        "source_text": draft.source_text,
        "problems": problem_views(problems, draft.document),
        # Some problems hold the rest of the check back: more may show once they are fixed.
        "stopped": stopped_early(problems),
        "languages": preview_languages(draft.document),
        "translated": [
            (code, own_name(code)) for code in builder.translated_languages(draft.document)
        ],
        **extra,
    }


def _body(schema: Schema) -> dict[str, Any]:
    data = request.get_json(silent=True)
    try:
        if isinstance(data, dict):
            return schema.load(data)
    except ValidationError:
        pass
    # abort(response) sends the response as it is: the status goes on the response itself.
    refused = jsonify({"message": _("The request was not understood.")})
    refused.status_code = 400
    abort(refused)


def _stale(error: builder.StaleDraft):
    changes = [
        {
            "revision": c.revision,
            "who": c.actor.name if c.actor else "",
            "when": datetime_filter(c.at, "short"),
            "what": change_words(c.summary),
        }
        for c in error.changes
    ]
    body = {"message": edit_message("stale"), "revision": error.revision, "changes": changes}
    return jsonify(body), 409


def _collided(slug: str, revision: int):
    db.session.rollback()
    draft = draft_or_404(slug)
    return _stale(builder.StaleDraft(draft.revision, builder.changes_since(draft, revision)))


@bp.post("/new")
@staff_required("administrator")
def create():
    form = NewQuestionnaireForm()
    if not form.validate_on_submit():
        flash(_("Please write a title."), "error")
        return redirect(url_for("admin.questionnaires"))
    admin = current_actor()
    questionnaire = builder.new_questionnaire(admin, form.title.data, form.audience.data, "nb")
    db.session.commit()
    return redirect(url_for(".edit", slug=questionnaire.slug))


@bp.get("/<slug>")
@staff_required("administrator")
def edit(slug: str):
    draft = draft_or_404(slug)
    other = builder.open_draft(draft, current_actor())
    db.session.commit()
    shown = state(draft)
    languages = [code for code, _name, _dir in shown["languages"]]
    widgets = [(name, label) for name, label in widget_names() if name in REGISTRY]
    config = {
        "csrf": generate_csrf(),
        "urls": {"operations": url_for(".operation", slug=slug)},
        "strings": page_strings(),
        # The app's texts in the language the preview opens in (the first of the select);
        # other languages, and country and language names, come from preview_texts.
        "preview": preview_texts(languages[0], names=False),
        "widgets": widgets,
        "operators": {name: list(editing.operators_for(name)) for name in REGISTRY},
        "limits": {key: list(widgets) for key, widgets in editing.LIMITS.items()},
        "pictograms": pictogram_names(),
        "languages": [(code, own_name(code)) for code in current_app.config["LANGUAGES"]],
        "published": sorted(builder.published_refs(draft.questionnaire)),
    }
    config["urls"]["json"] = url_for(".json_text", slug=slug)
    config["urls"]["preview"] = url_for(".preview", slug=slug, lang="LANG")
    config["urls"]["translations"] = url_for(".translations", slug=slug, lang="LANG")
    return render_template(
        "builder/edit.html",
        draft=draft,
        other=other,
        state=htmlsafe_json_dumps(shown, dumps=partial(json.dumps, ensure_ascii=False)),
        config=config,
        importmap=import_map(),
        languages=shown["languages"],
        import_form=ImportOverForm(revision=draft.revision, formdata=None),
        translated=shown["translated"],
    )


def preview_texts(lang: str, names: bool = True) -> dict[str, Any]:
    """Return what a phone set to ``lang`` draws a questionnaire with: the app's own texts
    (an interface language's; for another language the administrator's, as no participant
    uses it) and, with ``names``, the country and language names (as api/questionnaires.py
    sends them)."""
    if lang in current_app.config["LANGUAGES"]:
        with force_locale(lang):
            strings = client_strings()
    else:
        strings = client_strings()
    found: dict[str, Any] = {"lang": lang, "strings": strings}
    if names:
        found["names"] = {
            "country": [list(pair) for pair in country_names(lang)],
            "language": [list(pair) for pair in language_names(lang)],
        }
    return found


@bp.get("/<slug>/preview/<lang>.json")
@staff_required("administrator")
def preview(slug: str, lang: str):
    """The preview's texts in one of the questionnaire's languages (fetched when chosen)."""
    own_or_404(slug)
    if lang not in language_codes():
        abort(404)
    return ordered_json(preview_texts(lang))


@bp.get("/<slug>/draft.json")
@staff_required("administrator")
def draft_state(slug: str):
    return ordered_json(state(draft_or_404(slug)))


@bp.post("/<slug>/operations")
@staff_required("administrator")
def operation(slug: str):
    draft = draft_or_404(slug)
    data = _body(OperationSchema())
    try:
        result = builder.apply_operation(
            draft, current_actor(), data["revision"], data["op"], data["args"]
        )
        db.session.commit()
    except IntegrityError:  # another save took the same revision a moment earlier
        return _collided(slug, data["revision"])
    except builder.StaleDraft as error:
        db.session.rollback()
        return _stale(error)
    except builder.DraftTooLarge:
        db.session.rollback()
        return jsonify({"message": edit_message("too_large")}), 413
    except EditError as error:
        db.session.rollback()
        return jsonify({"message": edit_message(error), "code": error.code}), 422
    return ordered_json(state(result.draft, result=result.result))


@bp.post("/<slug>/json")
@staff_required("administrator")
def json_text(slug: str):
    draft = draft_or_404(slug)
    data = _body(JsonTextSchema())
    try:
        result = builder.replace_document(draft, current_actor(), data["revision"], data["text"])
        db.session.commit()
    except IntegrityError:
        return _collided(slug, data["revision"])
    except builder.StaleDraft as error:
        db.session.rollback()
        return _stale(error)
    except builder.DraftTooLarge:
        db.session.rollback()
        return jsonify({"message": edit_message("too_large")}), 413
    return ordered_json(state(result.draft))


@bp.route("/<slug>/publish", methods=["GET", "POST"])
@staff_required("administrator")
def publish(slug: str):
    """Show what stops publishing, or publish when nothing does."""
    draft = draft_or_404(slug)
    refused = None
    if request.method == "POST":
        try:
            revision = int(request.form.get("revision", ""))
        except ValueError:
            abort(400)
        try:
            result = builder.publish(draft, current_actor(), revision)
        except builder.StaleDraft:
            db.session.rollback()
            flash(edit_message("stale"), "error")
            return redirect(url_for(".publish", slug=slug))
        except builder.PublishRefused as error:
            db.session.rollback()
            refused = error
        except IntegrityError:  # another administrator's publish took the number a moment ago
            db.session.rollback()
            flash(_("Someone else published this questionnaire at the same moment. Look at the "
                    "latest version before you publish again."), "error")  # fmt: skip
            return redirect(url_for(".publish", slug=slug))
        else:
            db.session.commit()
            if result.created and request.form.get("move_drafts") == "1":
                moved = builder.move_open_drafts(draft.questionnaire, current_actor())
                flash(_("Unfinished answers moved to the new version: %(count)s.",
                        count=len(moved)), "info")  # fmt: skip
            if result.created:
                flash(_("Published version %(number)s.", number=result.version.number), "success")
            else:
                flash(_("Nothing changed: this is the same as the latest version."), "info")
            return redirect(url_for("admin.questionnaires"))
    found = builder.problems_of(draft)
    problems = problem_views(found, draft.document)
    latest = draft.questionnaire.latest
    type_changes = []
    differences: list[str] = []
    languages = [] if problems else builder.language_states(draft.document)
    if latest is not None and not problems:
        type_changes = [
            type_change_message(change)
            for change in builder.published_type_changes(draft.questionnaire, draft.document)
        ]
        differences = [change_sentence(c) for c in diff.compare(latest.document, draft.document)]
    status = 422 if refused else 200
    return render_template(
        "builder/publish.html",
        draft=draft,
        latest=latest,
        problems=problems,
        check_stopped=CHECK_STOPPED if stopped_early(found) else None,
        type_changes=type_changes,
        differences=differences,
        open_drafts=builder.open_responses(draft.questionnaire),
        languages=languages,
        withheld=[own_name(state.lang) for state in languages if not state.offered],
        own_name=own_name,
    ), status


@bp.get("/<slug>/versions/<int:first>/<int:second>")
@staff_required("administrator")
def compare(slug: str, first: int, second: int):
    """The changes between two versions of a questionnaire the administrator sees."""
    questionnaire = db.session.scalar(
        questionnaire_service.visible_to_admin(current_actor()).where(Questionnaire.slug == slug)
    )
    versions = {v.number: v for v in questionnaire.versions} if questionnaire else {}
    if first not in versions or second not in versions:
        abort(404)
    differences = [
        change_sentence(c)
        for c in diff.compare(versions[first].document, versions[second].document)
    ]
    return render_template(
        "builder/compare.html",
        questionnaire=questionnaire,
        first=first,
        second=second,
        differences=differences,
    )
