"""Building, publishing, offering and retiring a questionnaire in any order, against a model.

The model keeps what an administrator would write down: the draft's sections and questions
(id and type), its revision, whether unreadable JSON is pending, the published versions, who
the questionnaire is offered to, whether it is retired, and which version the participant's
open response is on. Each step is done through the builder's and the questionnaire
services (what the builder's and administration's views call); the stored state must match
the model after every step. Examples alone did not cover the orders that matter: an edit on
an old revision, publishing twice, a type change against an older version, retiring while a
response is open. The first runs found one: a change published and then taken back could not
be published (no two versions could hold the same content; a server error).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from webapp.extensions import db
from webapp.models import OFFERS, AuditEvent, Participant, Questionnaire, StaffUser
from webapp.questionnaires.editing import EditError
from webapp.services import builder
from webapp.services import questionnaires as questionnaire_service
from webapp.services import responses as response_service

from .stateful import run_against_model

#: Question types whose answers take the same form (webapp/questionnaires/moving.py).
KIND = {"text": "text", "textarea": "text", "number": "number", "date": "date", "yesno": "yesno"}
WIDGETS = st.sampled_from(sorted(KIND))
TITLES = st.sampled_from(["Alder", "Bosted", "Språk", "Jobb", "Barn"])


def shape(document: dict) -> tuple:
    """What the model keeps of a document: sections with their question ids, and types."""
    properties = document["schema"]["properties"]
    questions = {}
    for ref in properties:
        widget = document["ui"].get("questions", {}).get(ref, {}).get("widget")
        schema = properties[ref]
        if widget is None:
            widget = {"boolean": "yesno", "number": "number"}.get(schema.get("type"), "text")
            widget = "date" if schema.get("format") == "date" else widget
        questions[ref] = widget
    sections = tuple((s["id"], tuple(s["items"])) for s in document["ui"]["sections"])
    return sections, tuple(sorted(questions.items()))


class Publishing(RuleBasedStateMachine):
    app = None
    world = None
    made = 0

    @initialize()
    def create(self):
        Publishing.made += 1
        with self.app.app_context():
            admin = self._admin()
            questionnaire = builder.new_questionnaire(
                admin, f"Modell {Publishing.made}", "participant", "nb"
            )
            db.session.commit()
            self.slug = questionnaire.slug
        self.revision = 1  # a new draft's first revision
        self.sections: list[tuple[str, list[str]]] = []
        self.widgets: dict[str, str] = {}
        self.json_pending = False
        self.versions: list[dict] = []  # per version: widget of each question, and its shape
        self.stored: list[tuple[str, str]] = []  # (content hash, document as JSON) per version
        self.offered_to = "none"
        self.retired = False
        self.open_on: int | None = None  # the version number p1's open response is on
        # A first page with a question, as the builder's first minute makes: publishable.
        self.add_section("Om deg")
        self.add_question(None, "text", "Navn")
        self.offer("all")  # offered to everyone from its first version on

    def teardown(self):
        """Nothing offered afterwards, so the next example starts from the templates again."""
        with self.app.app_context():
            questionnaire = self._questionnaire()
            admin = self._admin()
            questionnaire_service.set_offer(admin, questionnaire, "none")
            questionnaire_service.retire(admin, questionnaire)
            db.session.commit()

    # ------------------------------------------------------------------ helpers

    def _admin(self) -> StaffUser:
        return db.session.get(StaffUser, self.world.admin1)

    def _questionnaire(self) -> Questionnaire:
        return db.session.scalar(sa.select(Questionnaire).filter_by(slug=self.slug))

    def _shape(self) -> tuple:
        questions = tuple(sorted(self.widgets.items()))
        return tuple((sid, tuple(refs)) for sid, refs in self.sections), questions

    def _operate(self, op: str, args: dict, stale: bool = False):
        """Apply one builder operation; return its result, or the refusal's class name."""
        with self.app.app_context():
            admin = self._admin()
            draft = builder.draft_for(admin, self._questionnaire())
            try:
                saved = builder.apply_operation(
                    draft, admin, self.revision - 1 if stale else self.revision, op, args
                )
            except (builder.StaleDraft, EditError) as refused:
                db.session.rollback()
                return type(refused).__name__
            db.session.commit()
            return saved.result

    def _edited(self, outcome) -> bool:
        """Whether an operation the model expects to be saved was; refusals while unreadable
        JSON is pending are expected (the builder says so)."""
        if self.json_pending:
            assert outcome == "EditError", outcome
            return False
        assert outcome not in ("EditError", "StaleDraft"), outcome
        self.revision += 1
        return True

    def _may_start(self) -> bool:
        offered = self.offered_to == "all"
        return bool(self.versions) and not self.retired and offered

    def _problems(self) -> bool:
        return self.json_pending or not self.sections or any(not refs for _, refs in self.sections)

    def _type_changed(self) -> bool:
        for ref, widget in self.widgets.items():
            for version in reversed(self.versions):
                if ref in version["widgets"]:
                    if KIND[version["widgets"][ref]] != KIND[widget]:
                        return True
                    break
        return False

    # -------------------------------------------------------------------- rules

    # A new page once every page has a question, as someone building does: fewer steps spent
    # on drafts that cannot be published.
    @precondition(lambda self: len(self.sections) < 3 and all(r for _, r in self.sections))
    @rule(title=TITLES)
    def add_section(self, title):
        outcome = self._operate("add_section", {"title": title})
        if self._edited(outcome):
            self.sections.append((outcome, []))

    @precondition(lambda self: self.sections)
    @rule(data=st.data(), widget=WIDGETS, title=TITLES)
    def add_question(self, data, widget, title):
        index = data.draw(st.integers(0, len(self.sections) - 1)) if data else 0
        section = self.sections[index][0]
        outcome = self._operate(
            "add_question", {"section": section, "widget": widget, "title": title}
        )
        if self._edited(outcome):
            self.sections[index][1].append(outcome)
            self.widgets[outcome] = widget

    @precondition(lambda self: self.widgets)
    @rule(data=st.data(), widget=WIDGETS)
    def change_type(self, data, widget):
        ref = data.draw(st.sampled_from(sorted(self.widgets)))
        if self._edited(self._operate("set_question", {"question": ref, "widget": widget})):
            self.widgets[ref] = widget

    def _deletable(self) -> list[str]:
        """Questions whose page keeps another (an empty page is reached by adding one)."""
        return sorted(ref for _, refs in self.sections if len(refs) > 1 for ref in refs)

    @precondition(lambda self: self._deletable())
    @rule(data=st.data())
    def delete_question(self, data):
        ref = data.draw(st.sampled_from(self._deletable()))
        if self._edited(self._operate("delete_question", {"question": ref})):
            del self.widgets[ref]
            for _, refs in self.sections:
                if ref in refs:
                    refs.remove(ref)

    @precondition(lambda self: len(self.sections) > 1)  # the last one: as rare as in real use
    @rule(data=st.data())
    def delete_section(self, data):
        index = data.draw(st.integers(0, len(self.sections) - 1))
        sid, refs = self.sections[index]
        if self._edited(self._operate("delete_section", {"section": sid})):
            del self.sections[index]
            for ref in refs:
                del self.widgets[ref]

    @precondition(lambda self: self.revision > 1)
    @rule(title=TITLES)
    def edit_an_old_revision(self, title):
        """Someone else saved first: refused, and nothing of the draft changes."""
        assert self._operate("add_section", {"title": title}, stale=True) == "StaleDraft"

    @precondition(lambda self: not self.json_pending)
    @rule(garbage=st.sampled_from(["{ oops", "[1, 2]", '{"title": ']))
    def save_unreadable_json(self, garbage):
        with self.app.app_context():
            admin = self._admin()
            draft = builder.draft_for(admin, self._questionnaire())
            builder.replace_document(draft, admin, self.revision, garbage)
            db.session.commit()
            assert draft.source_text == garbage  # kept as typed, never lost
        self.revision += 1
        self.json_pending = True

    @precondition(lambda self: self.json_pending)
    @rule()
    def mend_the_json(self):
        """As likely as the next rule: the text is mended soon, as someone would."""
        self.save_the_document_as_json_again()

    @precondition(lambda self: self.json_pending)
    @rule()
    def save_the_document_as_json_again(self):
        with self.app.app_context():
            admin = self._admin()
            draft = builder.draft_for(admin, self._questionnaire())
            text = json.dumps(draft.document, ensure_ascii=False, indent=2)
            builder.replace_document(draft, admin, self.revision, text)
            db.session.commit()
        self.revision += 1
        self.json_pending = False

    @rule()
    def publish(self):
        self._publish(stale=False)

    @rule()
    def publish_again(self):
        """Publishing is what matters most here: twice as likely as each other step."""
        self._publish(stale=False)

    @rule()
    def publish_an_old_revision(self):
        self._publish(stale=True)

    def _publish(self, stale):
        with self.app.app_context():
            admin = self._admin()
            draft = builder.draft_for(admin, self._questionnaire())
            base = self.revision - 1 if stale and self.revision > 1 else self.revision
            try:
                result = builder.publish(draft, admin, base)
            except (builder.StaleDraft, builder.PublishRefused) as refused:
                db.session.rollback()
                outcome = refused
            else:
                db.session.commit()
                outcome = result
                if result.created:
                    self.stored.append((result.version.content_hash, json.dumps(
                        result.version.document, sort_keys=True)))  # fmt: skip
        if base != self.revision:
            assert isinstance(outcome, builder.StaleDraft)
        elif self._problems() or (self.versions and self._type_changed()):
            assert isinstance(outcome, builder.PublishRefused)
            assert bool(outcome.type_changes) == (not self._problems() and self._type_changed())
        elif self.versions and self.versions[-1]["shape"] == self._shape():
            assert not outcome.created  # nothing changed since: no new version
        else:
            assert outcome.created and outcome.version.number == len(self.versions) + 1
            self.versions.append({"widgets": dict(self.widgets), "shape": self._shape()})

    @rule(offered_to=st.sampled_from(OFFERS))
    def offer(self, offered_to):
        with self.app.app_context():
            admin = self._admin()
            questionnaire_service.set_offer(admin, self._questionnaire(), offered_to)
            db.session.commit()
        self.offered_to = offered_to

    @rule(retire=st.booleans())
    def retire_or_offer_again(self, retire):
        with self.app.app_context():
            admin = self._admin()
            action = questionnaire_service.retire if retire else questionnaire_service.reopen
            action(admin, self._questionnaire())
            db.session.commit()
        self.retired = retire

    @rule()
    def participant_starts(self):
        """The phone starts a response only where it may; an open one can always go on."""
        with self.app.app_context():
            person = db.session.get(Participant, self.world.p1)
            questionnaire = self._questionnaire()
            if not questionnaire_service.may_start(person, questionnaire):
                assert not self._may_start()  # an open response goes on, none starts
                return
            response = response_service.start(person, questionnaire)
            db.session.commit()
            number = response.version.number
        if self.open_on is None:
            self.open_on = len(self.versions)  # a new one is on the latest version
        assert number == self.open_on

    @precondition(lambda self: self.open_on is not None and self.open_on < len(self.versions))
    @rule()
    def move_an_open_response_forward(self):
        """Enabled only when there is one to move, so that it happens often enough."""
        self.move_open_responses()

    @precondition(lambda self: self.versions)
    @rule()
    def move_open_responses(self):
        with self.app.app_context():
            admin = self._admin()
            moved = builder.move_open_drafts(self._questionnaire(), admin)
            db.session.commit()
        expected = 1 if self.open_on not in (None, len(self.versions)) else 0
        assert len(moved) == expected
        if self.open_on is not None:
            self.open_on = len(self.versions)

    # --------------------------------------------------------------- invariants

    @invariant()
    def stored_state_matches_the_model(self):
        with self.app.app_context():
            questionnaire = self._questionnaire()
            draft = questionnaire.draft
            assert draft.revision == self.revision
            assert (draft.source_text is not None) == self.json_pending
            assert shape(draft.document) == self._shape()
            # Published versions are numbered 1, 2, ... and never change afterwards.
            versions = questionnaire.versions
            assert [v.number for v in versions] == list(range(1, len(self.versions) + 1))
            assert [
                (v.content_hash, json.dumps(v.document, sort_keys=True)) for v in versions
            ] == self.stored
            assert [shape(v.document) for v in versions] == [v["shape"] for v in self.versions]
            published = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "questionnaire.publish")
                .where(AuditEvent.target.like(f"{self.slug}@%"))
            )
            assert published == len(self.versions)
            # What the participant may start: this questionnaire, or the national template
            # while the municipality offers nothing of its own.
            person = db.session.get(Participant, self.world.p1)
            assert questionnaire_service.may_start(person, questionnaire) == self._may_start()
            template = db.session.scalar(sa.select(Questionnaire).filter_by(slug="kartlegging"))
            own = self._may_start() or (
                bool(self.versions) and not self.retired and self.offered_to == "assigned"
            )
            assert questionnaire_service.may_start(person, template) == (not own)
            opened = response_service.open_draft(person, questionnaire)
            assert (opened.version.number if opened else None) == self.open_on


def test_publishing_against_the_model(app, world):
    with app.app_context():
        municipality = db.session.get(Participant, world.p1).municipality_id
        assert not questionnaire_service.offers_own(municipality, "participant")
    Publishing.app, Publishing.world = app, world
    run_against_model(Publishing, 100, 40)
