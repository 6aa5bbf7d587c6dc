"""Who may see what. Deny by default: every lookup of a record goes through here.

A participant reaches only their own data; a counsellor only the participants of their own
municipality who are assigned to them; a lead counsellor every participant of their own
municipality; an administrator reaches questionnaires and resources, never answers. A record
the actor may not see is *not found* (404), so ids leak nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, abort, request

from .extensions import db
from .models import Participant, Questionnaire, QuestionnaireVersion, Response, StaffUser

Actor = StaffUser | Participant | None

#: Who may use each route: one explicit rule per endpoint. A route missing here answers 404
#: (deny by default), and tests/test_security_routes.py fails until it is added. The views
#: enforce the rules (guards, the lookups below); the test checks that they do.
PUBLIC, PARTICIPANT, COUNSELLOR, ADMINISTRATOR = "public", "participant", "counsellor", "admin"
#: Any signed-in staff member, about their own account only (two-step sign-in).
STAFF = "staff"
#: The municipality's overview (aggregates only): its lead counsellor and its administrator.
LEAD_OR_ADMINISTRATOR = "lead or administrator"
#: Participants fill their own responses; counsellors the counsellor questionnaires about
#: their participants (``response_or_404`` and ``may_edit``).
RESPONSE_FILLER = "participant or counsellor"
#: Push subscriptions: a participant's phone or a counsellor's browser, each their own device
#: (this login session) only (``api.base.device_owner``).
OWN_DEVICE = "participant or counsellor, own device"
ROUTE_ACCESS: dict[str, str] = {
    "static": PUBLIC, "assets.serve": PUBLIC, "site.index": PUBLIC, "site.healthz": PUBLIC,
    "site.set_language": PUBLIC, "auth.login": PUBLIC, "auth.logout": PUBLIC,
    "auth.join_form": PUBLIC, "auth.join_link": PUBLIC, "auth.leave": PUBLIC,
    "auth.leave_page": PUBLIC,  # anyone signed in may sign out; nobody: to the sign-in
    "pwa.manifest": PUBLIC, "pwa.service_worker": PUBLIC, "pwa.offline": PUBLIC,
    "pwa.audio": PUBLIC,  # recorded questions: questionnaire content, no personal data
    "api.openapi": PUBLIC,
    "pwa.app_shell": PARTICIPANT, "participant.home": PARTICIPANT,
    "participant.start": PARTICIPANT, "api.me": PARTICIPANT, "api.export": PARTICIPANT,
    "api.phone_key": PARTICIPANT, "api.set_pin": PARTICIPANT, "api.remove_pin": PARTICIPANT,
    "api.check_pin": PARTICIPANT, "api.preferences": PARTICIPANT, "api.document": PARTICIPANT,
    "api.put_response": PARTICIPANT, "api.sync_batch": PARTICIPANT,
    "fill.resume": RESPONSE_FILLER, "fill.page": RESPONSE_FILLER, "fill.save": RESPONSE_FILLER,
    "fill.submit": RESPONSE_FILLER, "fill.summary": RESPONSE_FILLER,
    "counsellor.caseload": COUNSELLOR, "counsellor.new_participant": COUNSELLOR,
    "counsellor.inbox": COUNSELLOR, "counsellor.inbox_open": COUNSELLOR,
    "counsellor.participant": COUNSELLOR, "counsellor.new_invite": COUNSELLOR,
    "counsellor.end_device": COUNSELLOR, "counsellor.export": COUNSELLOR,
    "counsellor.print_record": COUNSELLOR,
    "counsellor.left_programme": COUNSELLOR, "counsellor.erase": COUNSELLOR,
    "counsellor.start_form": COUNSELLOR, "counsellor.review": COUNSELLOR,
    "admin.questionnaires": ADMINISTRATOR, "admin.export": ADMINISTRATOR,
    "admin.resources": ADMINISTRATOR, "admin.translations": ADMINISTRATOR,
    "admin.audio_clips": ADMINISTRATOR, "admin.copy": ADMINISTRATOR,
    "admin.offer": ADMINISTRATOR, "admin.retire": ADMINISTRATOR,
    "builder.create": ADMINISTRATOR, "builder.edit": ADMINISTRATOR,
    "builder.draft_state": ADMINISTRATOR, "builder.json_text": ADMINISTRATOR,
    "builder.operation": ADMINISTRATOR, "builder.publish": ADMINISTRATOR,
    "builder.compare": ADMINISTRATOR, "counsellor.offer": COUNSELLOR,
    # The code step after a right password: it needs this browser's half-done sign-in.
    "auth.login_code": PUBLIC,
    "auth.two_step": STAFF, "auth.two_step_new": STAFF, "auth.two_step_confirm": STAFF,
    "auth.two_step_off": STAFF, "auth.change_password": STAFF,
    # A link an administrator made: the token in the path is the credential (throttled).
    "auth.set_password": PUBLIC,
    "admin.staff": ADMINISTRATOR, "admin.require_two_step": ADMINISTRATOR,
    "admin.reset_two_step": ADMINISTRATOR, "admin.deliveries": ADMINISTRATOR,
    # A colleague of another municipality, or oneself, is not found (colleague_or_404).
    "admin.password_link": ADMINISTRATOR, "admin.deactivate_colleague": ADMINISTRATOR,
    "admin.activate_colleague": ADMINISTRATOR,
    # The lead's reassigning is refused (404) to other counsellors by the view.
    "counsellor.programme": COUNSELLOR, "counsellor.reassign": COUNSELLOR,
    # Only a comment's author reaches its edit page (the view answers 404 to others).
    "counsellor.add_comment": COUNSELLOR, "counsellor.edit_comment": COUNSELLOR,
    "counsellor.history": COUNSELLOR,
    "builder.translations": ADMINISTRATOR, "builder.export_po": ADMINISTRATOR,
    "builder.import_po": ADMINISTRATOR, "builder.import_new": ADMINISTRATOR,
    "builder.import_over": ADMINISTRATOR, "builder.export_draft": ADMINISTRATOR,
    "builder.bank": ADMINISTRATOR, "builder.preview": ADMINISTRATOR,
    # Notifications (docs/notifications.md): the participant's own inbox; pushes to the
    # participant's or the counsellor's own device.
    "api.push_key": OWN_DEVICE, "api.push_subscribe": OWN_DEVICE,
    "api.push_unsubscribe": OWN_DEVICE,
    "api.inbox": PARTICIPANT, "api.inbox_read": PARTICIPANT,
    # National resources are read-only: the views answer 404 for another municipality's.
    "admin.new_resource": ADMINISTRATOR, "admin.edit_resource": ADMINISTRATOR,
    "admin.toggle_resource": ADMINISTRATOR,
    "counsellor.share_resource": COUNSELLOR, "counsellor.resolve_conflict": COUNSELLOR,
    "counsellor.withdraw_share": COUNSELLOR,
    # Filling in a participant's questionnaire with them in a meeting (may_fill_in_meeting).
    "counsellor.fill_together": COUNSELLOR, "fill.meeting": COUNSELLOR,
    "fill.meeting_page": COUNSELLOR, "fill.meeting_save": COUNSELLOR,
    # Exports: the responses of the participants the counsellor (or lead) reaches, only.
    "counsellor.exports_page": COUNSELLOR, "counsellor.export_responses": COUNSELLOR,
    # Other counsellors get 404 from the view.
    "overview.municipality": LEAD_OR_ADMINISTRATOR,
    # A step of another participant's plan is not found (404) through the participant.
    "counsellor.add_step": COUNSELLOR, "counsellor.edit_step": COUNSELLOR,
    "counsellor.guidance_offer": COUNSELLOR,
    # Two responses of one participant compared: both must be readable through them.
    "counsellor.progress": COUNSELLOR,
}  # fmt: skip


def _deny_unlisted_routes() -> None:
    if request.endpoint is not None and request.endpoint not in ROUTE_ACCESS:
        abort(404)


def init_app(app: Flask) -> None:
    app.before_request(_deny_unlisted_routes)


def sees(actor: Actor) -> list[sa.ColumnElement[bool]]:
    """Return the conditions on ``Participant`` under which ``actor`` sees a participant."""
    if isinstance(actor, StaffUser) and actor.is_lead and actor.active:
        return [Participant.municipality_id == actor.municipality_id]
    if isinstance(actor, StaffUser) and actor.is_counsellor and actor.active:
        return [
            Participant.municipality_id == actor.municipality_id,
            Participant.counsellor_id == actor.id,
        ]
    if isinstance(actor, Participant):
        return [Participant.id == actor.id]
    return [sa.false()]


def caseload_query(actor: Actor) -> sa.Select[tuple[Participant]]:
    """Return a query for the participants ``actor`` may see (none unless a counsellor)."""
    return sa.select(Participant).where(*sees(actor))


def participant_or_404(actor: Actor, participant_id: int) -> Participant:
    participant = db.session.scalar(caseload_query(actor).where(Participant.id == participant_id))
    if participant is None:
        abort(404)
    return participant


def response_or_404(actor: Actor, response_id: str) -> Response:
    """Return a response whose participant ``actor`` may see.

    Participants see their own answers to participant questionnaires, never the counsellor's
    questionnaires about them.
    """
    query = (
        sa.select(Response)
        .join(Participant)
        # The conditions on the joined participant itself, not "participant in (everyone the
        # actor sees)": that list grows with the municipality.
        .where(Response.id == response_id, *sees(actor))
    )
    if isinstance(actor, Participant):
        query = (
            query.join(QuestionnaireVersion)
            .join(Questionnaire)
            .where(Questionnaire.audience == "participant")
        )
    response = db.session.scalar(query)
    if response is None:
        abort(404)
    return response


def may_edit(actor: Actor, response: Response) -> bool:
    """Return whether ``actor`` fills in this response: the participant or, for counsellor
    questionnaires, the assigned counsellor."""
    audience = response.version.definition.audience
    if audience == "participant":
        return isinstance(actor, Participant) and actor.id == response.participant_id
    return fills_counsellor_forms(actor, response.participant)


def fills_counsellor_forms(actor: Actor, person: Participant) -> bool:
    """Return whether ``actor`` fills in counsellor questionnaires about ``person``: their
    assigned counsellor only (the lead reads the others' participants, and does not write
    these for them)."""
    return (
        isinstance(actor, StaffUser)
        and actor.is_counsellor
        and person.counsellor_id == actor.id
        and person.municipality_id == actor.municipality_id
    )


def may_fill_in_meeting(actor: Actor, response: Response) -> bool:
    """Return whether ``actor`` fills in this participant's own questionnaire with them in a
    meeting: the participant's counsellor, or the lead of their municipality."""
    if not (isinstance(actor, StaffUser) and actor.is_counsellor and actor.active):
        return False
    person = response.participant
    return (
        response.version.definition.audience == "participant"
        and person.municipality_id == actor.municipality_id
        and (person.counsellor_id == actor.id or actor.is_lead)
    )


def colleague_or_404(actor: Actor, staff_id: int) -> StaffUser:
    """Return another staff member of the administrator's own municipality, else 404."""
    colleague = db.session.get(StaffUser, staff_id)
    if (
        not (isinstance(actor, StaffUser) and actor.is_administrator and actor.active)
        or colleague is None
        or colleague.id == actor.id
        or colleague.municipality_id != actor.municipality_id
    ):
        abort(404)
    return colleague
