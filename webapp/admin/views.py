"""Questionnaires, versions and resources. Administrators never see answers."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..auth import current_actor, staff_required
from ..extensions import db
from ..models import Questionnaire, Resource
from ..questionnaires import check_document
from ..services import audit
from ..services import questionnaires as questionnaire_service
from .forms import UploadForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/questionnaires", methods=["GET", "POST"])
@staff_required("administrator")
def questionnaires():
    form = UploadForm()
    problems: list = []
    if form.validate_on_submit():
        raw = form.document.data.read()
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems = [_("The file is not valid JSON: %(reason)s", reason=str(exc))]
        else:
            problems = [str(p) for p in check_document(document)]
        if not problems and form.publish.data:
            result = questionnaire_service.import_document(document)
            audit.record(current_actor(), "questionnaire.upload", result.slug)
            db.session.commit()
            if result.created:
                flash(
                    _(
                        "Published %(slug)s version %(number)s.",
                        slug=result.slug,
                        number=result.version.number,
                    ),
                    "success",
                )
            else:
                flash(_("Nothing changed: this is the same as the latest version."), "info")
            return redirect(url_for(".questionnaires"))
        if not problems:
            flash(_("The file has no problems."), "success")
    listing = db.session.scalars(sa.select(Questionnaire).order_by(Questionnaire.slug)).all()
    status = 422 if problems or form.errors else 200
    return render_template(
        "admin/questionnaires.html", questionnaires=listing, form=form, problems=problems
    ), status


@bp.get("/questionnaires/<slug>/<int:number>.json")
@staff_required("administrator")
def export(slug: str, number: int):
    version = questionnaire_service.find_version(slug, number)
    if version is None:
        abort(404)
    body = json.dumps(version.exported(), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{slug}-v{number}.json"'},
    )


@bp.get("/resources")
@staff_required("administrator")
def resources():
    listing = db.session.scalars(sa.select(Resource).order_by(Resource.slug)).all()
    return render_template("admin/resources.html", resources=listing)
