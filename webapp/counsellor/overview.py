"""The municipality's overview in charts, for the lead and the administrator."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, after_this_request, current_app, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth import current_actor, staff_required
from ..extensions import db
from ..i18n import date_filter
from ..i18n import lazy_gettext as _l
from ..questionnaires.names import text_direction
from ..services import overview as overview_service
from .forms import PROGRESS_LABELS

bp = Blueprint("overview", __name__)
log = logging.getLogger(__name__)

TITLES = {
    "states": _l("Participants by where their competence mapping stands"),
    "mapping_deadline": _l("Competence mapping within the deadline"),
    "guidance_deadline": _l("Career guidance within the deadline"),
    "norwegian_level": _l("Norwegian level, from the newest mapping"),
    "recognition": _l("Want help to have their education recognised"),
    "goals": _l("Most important goal for the next year, most common first"),
    "weeks": _l("Responses submitted per week"),
}
DEADLINE_LABELS = {
    "done": _l("Done in time"),
    "done_late": _l("Done after the deadline"),
    "overdue": _l("Overdue"),
    "open": _l("Not yet due"),
    "no_deadline": _l("No deadline"),
}


def _labels(chart: overview_service.Chart) -> dict[str, str]:
    if chart.name == "states":
        labels = {k: str(v) for k, v in PROGRESS_LABELS.items()}
        labels["not_started"] = _("Not started")
        return labels
    if chart.name in ("mapping_deadline", "guidance_deadline"):
        return {k: str(v) for k, v in DEADLINE_LABELS.items()}
    if chart.name == "weeks":
        return {
            c.key: _("Week of %(date)s", date=date_filter(date.fromisoformat(c.key), "short"))
            for c in chart.cells
        }
    return {c.key: chart.labels.get(c.key, c.key) for c in chart.cells}


def _value(cell: overview_service.Cell) -> str:
    if cell.suppressed == "small":
        return _("fewer than 5")
    if cell.suppressed == "hidden":
        return _("hidden, to protect a small group")
    return str(cell.count)


def _description(chart: overview_service.Chart, labels: dict[str, str]) -> str:
    if chart.withheld:
        return _("Too few people to show these numbers without singling someone out.")
    parts = [f"{labels[c.key]}: {_value(c)}" for c in chart.cells]
    return "; ".join(parts) + "."


def _count_again_after_this_response(municipality_id: int, today: date, tz: ZoneInfo) -> None:
    """Count the municipality again once this page has been sent, which shows the counts as
    kept (and when they were counted): at 100,000 participants counting takes seconds, and
    the first lead to open the page after MAX_AGE waited for it (issue 12)."""
    app = current_app._get_current_object()

    def count_again() -> None:
        with app.app_context():
            try:
                overview_service.figures(municipality_id, today, tz)
            except Exception:  # the page was sent: log it, and the next visit counts again
                log.exception("counting the overview again failed")
            finally:
                db.session.remove()

    @after_this_request
    def later(response: Response) -> Response:
        response.call_on_close(count_again)
        return response


@bp.get("/overview")
@staff_required()
def municipality():
    """Charts of the municipality's participants and responses: aggregates only."""
    actor = current_actor()
    if not (actor.is_lead or actor.is_administrator):
        abort(404)  # a counsellor's own caseload is the caseload page
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    today = datetime.now(tz).date()
    lang = str(get_locale())
    counted, fresh = overview_service.kept(actor.municipality_id, today)
    if counted is None:  # nothing counted today yet: the lead waits for the count
        counted = overview_service.figures(actor.municipality_id, today, tz)
    elif not fresh:
        _count_again_after_this_response(actor.municipality_id, today, tz)
    charts = overview_service.charts_of(counted.figures, lang)
    shown = []
    for chart in charts:
        labels = _labels(chart)
        shown.append(
            {
                "chart": chart,
                "title": str(TITLES[chart.name]),
                "labels": labels,
                "values": {c.key: _value(c) for c in chart.cells},
                "description": _description(chart, labels),
            }
        )
    return render_template(
        "counsellor/overview.html",
        charts=shown,
        municipality=actor.municipality,
        minimum=overview_service.MINIMUM,
        counted_at=counted.counted_at,
        every=int(overview_service.MAX_AGE.total_seconds() // 60),
        rtl=text_direction(lang) == "rtl",
    )
