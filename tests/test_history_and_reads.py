"""A response's history (who wrote each revision, what changed) and the audit of reads."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Participant, Questionnaire, StaffUser
from webapp.services import responses as response_service
from webapp.services import revisions

ANYTHING_ELSE = "Is there anything else you would like to tell your counsellor?"


def _history(app, world) -> str:
    """Revision 1 started on the web, 2 answered there, 3 from the phone, 4 by the counsellor
    (as when filling in together)."""
    with app.app_context():
        person = db.session.get(Participant, world.p1)
        kartlegging = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
        response = response_service.start(person, kartlegging)
        web = revisions.Author("web", person)
        revisions.write(response, web, base=1, answers={"anything_else": "Hei"}, status="draft")
        revisions.write(
            response, revisions.Author("phone", person, "phone-12345678", 1), base=2,
            answers={"anything_else": "Takk", "mapped_before": "no"}, status="draft",
        )  # fmt: skip
        revisions.write(
            response, revisions.Author("staff", db.session.get(StaffUser, world.c1)), base=3,
            answers={"anything_else": "Takk!", "mapped_before": "no"}, status="draft",
        )  # fmt: skip
        db.session.commit()
        return response.id


def test_revisions_say_who_and_the_diff_says_what_changed(app, world, as_actor):
    rid = _history(app, world)
    client = as_actor(app, "c1")
    assert "/history" in client.get(f"/responses/{rid}").get_data(as_text=True)
    html = client.get(f"/responses/{rid}/history").get_data(as_text=True)
    assert "<bdi>Counsellor One</bdi> (staff)" in html
    assert "The participant, on the phone" in html and "The participant, on the web pages" in html
    # By default the last two revisions.
    assert "From revision 3 to revision 4" in html and "Takk!" in html

    html = client.get(f"/responses/{rid}/history?first=2&second=3").get_data(as_text=True)
    changes = html.split('<table class="changes">')[1].split("</table>")[0]
    assert ANYTHING_ELSE in changes and "Hei" in changes and "Takk" in changes
    assert changes.index("Hei") < changes.index("Takk")  # before, then after
    assert "Have you been through a mapping before?" in changes and "No" in changes
    html = client.get(f"/responses/{rid}/history?first=1&second=1").get_data(as_text=True)
    assert "No answers changed between these revisions." in html
    assert client.get(f"/responses/{rid}/history?first=99&second=x").status_code == 200


def test_reads_are_audited_and_shown_to_the_participant(app, world, as_actor):
    rid = _history(app, world)
    client = as_actor(app, "c1")
    client.get(f"/participants/{world.p1}")
    client.get(f"/responses/{rid}")
    client.get(f"/responses/{rid}")  # read again, as after saving a review: one line
    client.get(f"/participants/{world.p1}/export.json")
    with app.app_context():
        minutes = {
            at.replace(second=0, microsecond=0)
            for at in db.session.scalars(sa.select(AuditEvent.at).filter_by(action="response.read"))
        }
        events = db.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.action, AuditEvent.target).where(
                AuditEvent.action.in_(["participant.read", "response.read", "participant.export"])
            )
        ).all()
    staff = f"staff:{world.c1}"
    assert (staff, "participant.read", f"participant:{world.p1}") in events
    assert (staff, "response.read", f"response:{rid}") in events
    assert (staff, "participant.export", f"participant:{world.p1}") in events

    phone = as_actor(app, "p1")
    home = phone.get("/me/").get_data(as_text=True)
    assert "Counsellor One</bdi> read your answers to “Mapping" in home
    assert "Counsellor One</bdi> opened your page" in home
    assert "Counsellor One</bdi> downloaded all your data" in home
    reads = phone.get("/api/v1/me").get_json()["reads"]
    # Twice in one minute is one line (the test may cross a minute: then two).
    assert [r["what"] for r in reads] == ["export", *["response"] * len(minutes), "participant"]
    assert home.count("read your answers to") == len(minutes)
    assert reads[1] == {"at": reads[1]["at"], "by": "Counsellor One", "what": "response",
                        "response": rid}  # fmt: skip


def test_another_participant_sees_none_of_it(app, world, as_actor):
    _history(app, world)
    as_actor(app, "c1").get(f"/participants/{world.p1}")
    reads = as_actor(app, "p2").get("/api/v1/me").get_json()["reads"]
    assert reads == []
