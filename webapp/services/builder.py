"""The questionnaire builder's writes: drafts, their operations, publishing.

One door per draft: every change goes through ``apply_operation`` or ``replace_document``,
which refuse an edit based on an old revision (``StaleDraft``, with the changes made since),
run the same check as ``flask forms check`` and record the change and an audit event. A draft
with problems is saved; it is never published.
"""

from __future__ import annotations

import copy
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from babel.messages.pofile import PoFileError, read_po, write_po

from ..extensions import db
from ..models import (
    DraftChange,
    QuestionAudio,
    Questionnaire,
    QuestionnaireDraft,
    QuestionnaireVersion,
    Response,
    StaffUser,
)
from ..models.types import utcnow
from ..questionnaires import Problem, bank, check_document, editing, translation, uploads
from ..questionnaires.editing import EditError
from ..questionnaires.moving import answer_kind
from ..questionnaires.names import language_codes
from . import audit, revisions
from . import questionnaires as questionnaire_service

#: Largest draft document, as compact JSON. The shipped kartlegging, translated into eleven
#: languages, is about 0.55 MB; a request body may be 1 MiB (LOYPE_MAX_CONTENT_LENGTH).
MAX_DOCUMENT_BYTES = 900_000
#: Someone who saved or opened a draft this recently is named to others opening it.
EDITING_WINDOW = timedelta(minutes=15)


class StaleDraft(Exception):
    """The edit was based on an old revision; ``changes`` are what others saved since."""

    def __init__(self, revision: int, changes: list[DraftChange]) -> None:
        super().__init__(revision)
        self.revision = revision
        self.changes = changes


class DraftTooLarge(Exception):
    """The document is larger than ``MAX_DOCUMENT_BYTES``; nothing was saved."""


@dataclass(frozen=True)
class TypeChange:
    """A question whose answers would change form under the same id."""

    question: str
    before: str
    after: str


class PublishRefused(Exception):
    """The draft cannot be published: it has problems, or it changes a question's type."""

    def __init__(self, problems: list[Problem], type_changes: list[TypeChange]) -> None:
        super().__init__(len(problems), len(type_changes))
        self.problems = problems
        self.type_changes = type_changes


@dataclass
class SaveResult:
    draft: QuestionnaireDraft
    problems: list[Problem]
    result: Any = None


def _size(document: Any) -> int:
    return len(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def new_questionnaire(
    admin: StaffUser, title: str, audience: str, source_language: str
) -> Questionnaire:
    """Start a blank questionnaire of the admin's municipality, as a draft."""
    if audience not in ("participant", "counsellor") or not questionnaire_service.may_create(admin):
        raise LookupError(audience)
    slug = questionnaire_service.free_slug(title)
    questionnaire = Questionnaire(
        slug=slug, audience=audience, municipality_id=admin.municipality_id
    )
    document = editing.new_document(slug, title.strip(), audience, source_language)
    db.session.add(questionnaire)
    db.session.add(
        QuestionnaireDraft(
            questionnaire=questionnaire, document=document, editor_id=admin.id,
            editing_since=utcnow(),
        )
    )  # fmt: skip
    db.session.flush()
    audit.record(admin, "builder.create", slug)
    return questionnaire


def draft_for(admin: StaffUser, questionnaire: Questionnaire) -> QuestionnaireDraft:
    """Return the questionnaire's draft, made from its latest version when it has none."""
    if not questionnaire_service.may_edit(admin, questionnaire):
        raise LookupError(questionnaire.slug)
    if questionnaire.draft is None:
        latest = questionnaire.latest
        if latest is None:
            raise LookupError(questionnaire.slug)
        questionnaire.draft = QuestionnaireDraft(document=dict(latest.document))
        db.session.flush()
    return questionnaire.draft


def open_draft(
    draft: QuestionnaireDraft, admin: StaffUser, now: datetime | None = None
) -> tuple[StaffUser, datetime] | None:
    """Note that ``admin`` edits the draft; return who else edits it and since when."""
    now = now or utcnow()
    other = None
    if (
        draft.editor is not None
        and draft.editor_id != admin.id
        and draft.editing_since is not None
        and max(draft.editing_since, draft.updated_at) > now - EDITING_WINDOW
    ):
        other = (draft.editor, draft.editing_since)
    if draft.editor_id != admin.id or draft.editing_since is None:
        draft.editor_id = admin.id
        draft.editing_since = now
    return other


def problems_of(draft: QuestionnaireDraft) -> list[Problem]:
    """Return the draft's problems: an unparsed JSON edit first, then the checker's."""
    found = []
    if draft.source_text is not None:
        try:
            uploads.parse_json(draft.source_text)
            found.append(Problem("", "the document must be a JSON object", "json_object"))
        except uploads.UploadRefused as refused:
            line, column = refused.params["line"], refused.params["column"]
            found.append(
                Problem(
                    "",
                    f"not valid JSON (line {line}, column {column})",
                    "json",
                    (("line", str(line)), ("column", str(column))),
                )
            )
    found += check_document(draft.document)
    audience = draft.document.get("audience")
    if audience in ("participant", "counsellor") and audience != draft.questionnaire.audience:
        # The JSON text may say anything; the questionnaire's audience is fixed at its start
        # (its versions, offers and answers are for it), so publishing would be refused.
        found.append(
            Problem("/audience", f"the questionnaire is for {draft.questionnaire.audience}; "
                    "another audience needs a new questionnaire", "audience",
                    (("audience", draft.questionnaire.audience),))
        )  # fmt: skip
    return found


def _refuse_stale(draft: QuestionnaireDraft, base_revision: int) -> None:
    if base_revision != draft.revision:
        changes = [c for c in draft.changes if c.revision > base_revision]
        raise StaleDraft(draft.revision, changes)


def _record(draft: QuestionnaireDraft, admin: StaffUser, summary: dict[str, Any]) -> None:
    draft.revision += 1
    draft.updated_at = utcnow()
    draft.editor_id = admin.id
    if draft.editing_since is None:
        draft.editing_since = draft.updated_at
    draft.changes.append(DraftChange(revision=draft.revision, actor_id=admin.id, summary=summary))
    db.session.flush()
    audit.record(
        admin, f"builder.{summary['op']}"[:60], f"{draft.questionnaire.slug}@r{draft.revision}"
    )


def _target(args: dict[str, Any]) -> str:
    for key in ("question", "section", "title", "new_id"):
        if isinstance(args.get(key), str):
            return args[key][:80]
    return ""


def apply_operation(
    draft: QuestionnaireDraft,
    admin: StaffUser,
    base_revision: int,
    op: str,
    args: dict[str, Any],
) -> SaveResult:
    """Apply one builder operation to the draft and save it (problems and all)."""
    if not questionnaire_service.may_edit(admin, draft.questionnaire):
        raise LookupError(draft.questionnaire.slug)
    _refuse_stale(draft, base_revision)
    if draft.source_text is not None:
        raise EditError("json_pending")
    if op == "rename_question":
        _refuse_published_rename(draft, args)
    if op == "set_option":
        _refuse_published_value(draft, args)
    document, result = editing.apply(draft.document, op, args)
    if _size(document) > MAX_DOCUMENT_BYTES:
        raise DraftTooLarge(op)
    draft.document = document
    _record(draft, admin, {"op": op, "target": _target(args)})
    return SaveResult(draft, problems_of(draft), result)


def replace_document(
    draft: QuestionnaireDraft, admin: StaffUser, base_revision: int, text: str
) -> SaveResult:
    """Save the JSON view's text. Unparseable text is kept verbatim and reported, never lost."""
    if not questionnaire_service.may_edit(admin, draft.questionnaire):
        raise LookupError(draft.questionnaire.slug)
    _refuse_stale(draft, base_revision)
    if len(text.encode("utf-8")) > MAX_DOCUMENT_BYTES * 2:  # indentation allowed for
        raise DraftTooLarge("json")
    try:
        document = uploads.parse_json(text)
    except uploads.UploadRefused:
        draft.source_text = text
    else:
        if _size(document) > MAX_DOCUMENT_BYTES:
            raise DraftTooLarge("json")
        if not isinstance(document, dict):
            draft.source_text = text  # kept, and reported by the check below
            document = draft.document
        else:
            draft.source_text = None
            document["slug"] = draft.questionnaire.slug  # the slug is the questionnaire's name
        draft.document = document
    _record(draft, admin, {"op": "json", "target": ""})
    return SaveResult(draft, problems_of(draft))


# ----------------------------------------------------------------------------- translations


def translated_languages(document: dict[str, Any]) -> list[str]:
    """Return the draft's languages that are translated into (all but the source language)."""
    languages = document.get("languages")
    source = document.get("source_language")
    if not isinstance(languages, list):
        return []
    known = language_codes()
    return [
        lang for lang in languages if isinstance(lang, str) and lang != source and lang in known
    ]


def _translatable(draft: QuestionnaireDraft, admin: StaffUser, lang: str) -> None:
    if not questionnaire_service.may_edit(admin, draft.questionnaire):
        raise LookupError(draft.questionnaire.slug)
    if lang not in translated_languages(draft.document):
        raise LookupError(lang)


def save_translations(
    draft: QuestionnaireDraft,
    admin: StaffUser,
    base_revision: int,
    lang: str,
    texts: dict[str, str],
) -> SaveResult:
    """Save translations typed in the translation view, each with its source text's hash."""
    _translatable(draft, admin, lang)
    _refuse_stale(draft, base_revision)
    if draft.source_text is not None:
        raise EditError("json_pending")
    current = {row.pointer: row.translation for row in translation.text_rows(draft.document, lang)}
    changed = {p: t for p, t in texts.items() if t.strip() != current.get(p, "").strip()}
    if not changed:
        return SaveResult(draft, problems_of(draft), [])
    document, unknown = translation.set_translations(draft.document, lang, changed)
    if unknown:
        raise EditError("no_text")
    if _size(document) > MAX_DOCUMENT_BYTES:
        raise DraftTooLarge("translate")
    draft.document = document
    _record(draft, admin, {"op": "translate", "target": lang})
    return SaveResult(draft, problems_of(draft), sorted(changed))


def export_translations(draft: QuestionnaireDraft, admin: StaffUser, lang: str) -> bytes:
    """Return the draft's texts and ``lang``'s translations as a PO file for translators."""
    _translatable(draft, admin, lang)
    buffer = io.BytesIO()
    write_po(buffer, translation.export_catalog(draft.document, lang), width=100, sort_output=False)
    audit.record(admin, "builder.translate_export", f"{draft.questionnaire.slug}:{lang}")
    return buffer.getvalue()


def import_translations(
    draft: QuestionnaireDraft, admin: StaffUser, base_revision: int, lang: str, data: bytes
) -> tuple[SaveResult, list[translation.CatalogWarning]]:
    """Write ``lang``'s translations from a translator's PO file into the draft.

    A file that is not a PO file changes nothing (``EditError("po_unreadable")``); entries
    for texts that are gone or changed since the export are skipped and returned.
    """
    _translatable(draft, admin, lang)
    _refuse_stale(draft, base_revision)
    if draft.source_text is not None:
        raise EditError("json_pending")
    try:
        data.decode("utf-8")
        catalog = read_po(io.BytesIO(data), locale=lang.split("_")[0], abort_invalid=True)
    except (UnicodeDecodeError, PoFileError, ValueError) as exc:
        raise EditError("po_unreadable") from exc
    if not any(message.context for message in catalog):
        raise EditError("po_unreadable")
    document, warnings = translation.import_catalog(draft.document, lang, catalog)
    if _size(document) > MAX_DOCUMENT_BYTES:
        raise DraftTooLarge("translate")
    draft.document = document
    _record(draft, admin, {"op": "translate_import", "target": lang})
    return SaveResult(draft, problems_of(draft)), warnings


# ------------------------------------------------------------------- importing and exporting


def import_new(
    admin: StaffUser, document: dict[str, Any], op: str = "import_json"
) -> Questionnaire:
    """Start a questionnaire of the admin's municipality whose draft is ``document``.

    The document keeps its problems (the builder shows each at its element); it gets a slug
    no questionnaire has yet, made from its own slug or title.
    """
    if not questionnaire_service.may_create(admin):
        raise LookupError("not an administrator")
    if _size(document) > MAX_DOCUMENT_BYTES:
        raise DraftTooLarge(op)
    audience = document.get("audience")
    if audience not in ("participant", "counsellor"):
        audience = "participant"
    base = document.get("slug") if isinstance(document.get("slug"), str) else None
    title = document.get("title") if isinstance(document.get("title"), str) else ""
    slug = questionnaire_service.free_slug(base or title or "questionnaire")
    document = {**document, "slug": slug}
    questionnaire = Questionnaire(
        slug=slug, audience=audience, municipality_id=admin.municipality_id
    )
    draft = QuestionnaireDraft(
        questionnaire=questionnaire, document=document, editor_id=admin.id, editing_since=utcnow()
    )
    db.session.add_all([questionnaire, draft])
    db.session.flush()
    audit.record(admin, f"builder.{op}", slug)
    return questionnaire


class AudienceMismatch(EditError):
    """An imported document is for the other audience than the questionnaire it would replace."""

    def __init__(self) -> None:
        super().__init__("audience")


def import_over(
    draft: QuestionnaireDraft,
    admin: StaffUser,
    base_revision: int,
    document: dict[str, Any],
    op: str = "import_json",
) -> SaveResult:
    """Replace the draft's document with an imported one (a new revision; problems kept)."""
    if not questionnaire_service.may_edit(admin, draft.questionnaire):
        raise LookupError(draft.questionnaire.slug)
    _refuse_stale(draft, base_revision)
    if document.get("audience") != draft.questionnaire.audience:
        raise AudienceMismatch()
    document = {**document, "slug": draft.questionnaire.slug}
    if _size(document) > MAX_DOCUMENT_BYTES:
        raise DraftTooLarge(op)
    draft.document = document
    draft.source_text = None
    _record(draft, admin, {"op": op, "target": ""})
    return SaveResult(draft, problems_of(draft))


def export_draft(draft: QuestionnaireDraft, admin: StaffUser) -> str:
    """Return the draft as JSON text (an unread JSON edit as it was typed)."""
    if not questionnaire_service.may_edit(admin, draft.questionnaire):
        raise LookupError(draft.questionnaire.slug)
    audit.record(admin, "builder.export", f"{draft.questionnaire.slug}@r{draft.revision}")
    if draft.source_text is not None:
        return draft.source_text
    return json.dumps(draft.document, ensure_ascii=False, indent=2) + "\n"


# ------------------------------------------------------------------------- the question bank


@dataclass(frozen=True)
class BankHit:
    """A question found in a published version the administrator sees."""

    slug: str
    version: int
    question: str
    widget: str
    title: str
    questionnaire_title: str


def search_bank(admin: StaffUser, text: str, lang: str, limit: int = 50) -> list[BankHit]:
    """Return questions of every published version ``admin`` sees (their municipality's and
    the national templates) whose texts, in any language, contain every word of ``text``.
    A question kept across versions is listed once, from the newest version that has it."""
    words = text.split()
    hits: list[BankHit] = []
    for questionnaire in db.session.scalars(questionnaire_service.visible_to_admin(admin)):
        seen: set[str] = set()
        for version in reversed(questionnaire.versions):
            definition = version.definition
            for qid, widget, _title in bank.questions_of(version.document):
                if qid in seen or not bank.matches(version.document, qid, words):
                    continue
                seen.add(qid)
                hits.append(
                    BankHit(
                        questionnaire.slug, version.number, qid, widget,
                        definition.text(f"/schema/properties/{qid}/title", lang) or qid,
                        definition.text("/title", lang) or questionnaire.slug,
                    )
                )  # fmt: skip
                if len(hits) >= limit:
                    return hits
    return hits


def copy_from_bank(
    draft: QuestionnaireDraft,
    admin: StaffUser,
    base_revision: int,
    source: QuestionnaireVersion,
    question: str,
    section: str,
) -> SaveResult:
    """Copy a published question (texts, translations, options, recordings) into a section of
    the draft under an id the draft does not use yet; its result is the new id."""
    if not questionnaire_service.may_edit(admin, draft.questionnaire):
        raise LookupError(draft.questionnaire.slug)
    visible = db.session.scalar(
        questionnaire_service.visible_to_admin(admin).where(
            Questionnaire.id == source.questionnaire_id
        )
    )
    if visible is None:
        raise LookupError(source.questionnaire_id)
    _refuse_stale(draft, base_revision)
    if draft.source_text is not None:
        raise EditError("json_pending")
    document = copy.deepcopy(draft.document)
    try:
        new = bank.copy_question(document, source.document, question, section)
    except EditError:
        raise
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
        # A part of the draft's JSON of another kind than the builder writes (a list where the
        # questions are, a text where the required ones are): the JSON text must change first.
        raise EditError("wrong_shape") from exc
    if _size(document) > MAX_DOCUMENT_BYTES:
        raise DraftTooLarge("bank")
    draft.document = document
    taken = {
        clip.lang
        for clip in db.session.scalars(
            sa.select(QuestionAudio).where(
                QuestionAudio.questionnaire_id == draft.questionnaire_id,
                QuestionAudio.question_id == new,
            )
        )
    }
    for clip in db.session.scalars(
        sa.select(QuestionAudio).where(
            QuestionAudio.questionnaire_id == source.questionnaire_id,
            QuestionAudio.question_id == question,
        )
    ):
        if clip.lang not in taken and clip.lang in (document.get("languages") or []):
            db.session.add(
                QuestionAudio(
                    questionnaire_id=draft.questionnaire_id, question_id=new, lang=clip.lang,
                    mimetype=clip.mimetype, data=clip.data, sha256=clip.sha256,
                    uploaded_by=clip.uploaded_by,
                )
            )  # fmt: skip
    _record(draft, admin, {"op": "bank_copy", "target": f"{source.questionnaire.slug}:{question}"})
    return SaveResult(draft, problems_of(draft), new)


def published_refs(questionnaire: Questionnaire) -> set[str]:
    """Return every question reference that any published version of it has had."""
    refs: set[str] = set()
    for version in questionnaire.versions:
        refs |= set(editing.question_refs(version.document))
    return refs


def _refuse_published_rename(draft: QuestionnaireDraft, args: dict[str, Any]) -> None:
    question = args.get("question")
    if isinstance(question, str) and question in published_refs(draft.questionnaire):
        raise EditError("id_published", question=question)


def _refuse_published_value(draft: QuestionnaireDraft, args: dict[str, Any]) -> None:
    """Refuse a new value for an option of a published question (the builder's value field
    is disabled there): answers given on a version are stored with the values it had."""
    question, index = args.get("question"), args.get("index")
    if "value" not in args or not isinstance(question, str) or not isinstance(index, int):
        return
    if index < 0 or question not in published_refs(draft.questionnaire):
        return
    try:
        schema = editing.question_schema(draft.document, question)
        if editing.widget_of(draft.document, question) == "choice":
            listing = schema["oneOf"]
        else:
            listing = schema["items"]["anyOf"]
        current = listing[index]["const"]
    except (EditError, IndexError, TypeError, KeyError, AttributeError):
        return  # the operation itself says what is wrong
    if args["value"] != current:
        raise EditError("value_published", question=question)


def _kind(document: dict[str, Any], ref: str) -> str:
    return answer_kind(editing.widget_of(document, ref))


def type_changes(before: dict[str, Any], after: dict[str, Any]) -> list[TypeChange]:
    """Return questions kept under the same id whose answers would change form."""
    changes = []
    old_refs = set(editing.question_refs(before))
    for ref in editing.question_refs(after):
        if ref in old_refs and _kind(before, ref) != _kind(after, ref):
            changes.append(
                TypeChange(
                    ref,
                    editing.widget_of(before, ref) or "?",
                    editing.widget_of(after, ref) or "?",
                )
            )
    return changes


@dataclass(frozen=True)
class LanguageState:
    """How ready one language is for publishing: a language with missing texts is published
    as *not offered* to participants for that version."""

    lang: str
    missing: int
    outdated: int

    @property
    def offered(self) -> bool:
        return self.missing == 0


def language_states(document: dict[str, Any]) -> list[LanguageState]:
    """Return, for each translated language of the document, what is missing or out of date."""
    return [
        LanguageState(entry.lang, len(entry.missing), len(entry.outdated))
        for entry in translation.report(document, translated_languages(document))
    ]


def published_type_changes(
    questionnaire: Questionnaire, document: dict[str, Any]
) -> list[TypeChange]:
    """Return questions whose answers would change form against any published version (the
    newest version that had the question decides): a question deleted and made again under
    the same id with another type is refused like one changed in place, since answers given
    on that version, and drafts moved forward from it, are stored under the id."""
    found: dict[str, TypeChange | None] = {}
    for version in reversed(questionnaire.versions):
        for change in type_changes(version.document, document):
            found.setdefault(change.question, change)
        for ref in editing.question_refs(version.document):
            found.setdefault(ref, None)  # no change against the newest version that has it
    return [change for change in found.values() if change is not None]


def publish(draft: QuestionnaireDraft, admin: StaffUser, base_revision: int) -> Any:
    """Freeze the draft as a new version; refuse while it has problems or changes a type.

    A language with missing texts is published as not offered to participants for this
    version (the publish page says so before the administrator confirms).
    """
    if not questionnaire_service.may_edit(admin, draft.questionnaire):
        raise LookupError(draft.questionnaire.slug)
    _refuse_stale(draft, base_revision)
    found = problems_of(draft)
    latest = draft.questionnaire.latest
    changed = (
        published_type_changes(draft.questionnaire, draft.document) if latest and not found else []
    )
    if found or changed:
        raise PublishRefused(found, changed)
    withheld = [state.lang for state in language_states(draft.document) if not state.offered]
    result = questionnaire_service.import_document(
        dict(draft.document), admin.municipality, actor=admin, withheld_languages=withheld
    )
    for lang in withheld if result.created else ():
        audit.record(
            admin, "builder.withhold_language", f"{result.slug}@{result.version.number}:{lang}"
        )
    return result


def upload_refusals(admin: StaffUser, document: dict[str, Any]) -> tuple[bool, list[TypeChange]]:
    """What publishing a checked document would refuse beyond the checker's problems, for the
    upload's "check only": whether it names the admin's own questionnaire with another
    audience, and the questions whose type changed against a published version. A slug that
    is new, or not the admin's, gives neither (the upload says so only when publishing)."""
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.slug == document.get("slug"))
    )
    if questionnaire is None or not questionnaire_service.may_edit(admin, questionnaire):
        return False, []
    if document.get("audience") != questionnaire.audience:
        return True, []
    return False, published_type_changes(questionnaire, document)


def publish_document(admin: StaffUser, document: dict[str, Any]) -> Any:
    """Publish an uploaded document as the next version of the questionnaire its slug names,
    by the rules of ``publish``: the questionnaire's draft becomes the document (a new
    revision, so the next publish from the builder starts from it), then that draft is
    published, refused for problems, another audience (``AudienceMismatch``) or a changed
    type, and with languages that miss texts withheld. A slug nobody has yet starts a
    questionnaire of the admin's municipality; a template's or another municipality's is
    never changed (``OwnershipError``)."""
    found = check_document(document)
    if found:
        raise PublishRefused(found, [])
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.slug == document["slug"])
    )
    if questionnaire is None:
        if not questionnaire_service.may_create(admin):
            raise LookupError("not an administrator")
        questionnaire = Questionnaire(
            slug=document["slug"], audience=document["audience"],
            municipality_id=admin.municipality_id,
        )  # fmt: skip
        draft = QuestionnaireDraft(
            questionnaire=questionnaire, document=document, editor_id=admin.id,
            editing_since=utcnow(),
        )  # fmt: skip
        db.session.add_all([questionnaire, draft])
        db.session.flush()
        audit.record(admin, "builder.upload", questionnaire.slug)
    elif not questionnaire_service.may_edit(admin, questionnaire):
        raise questionnaire_service.OwnershipError(document["slug"])
    else:
        draft = draft_for(admin, questionnaire)
        import_over(draft, admin, draft.revision, document, op="upload")
    return publish(draft, admin, draft.revision)


def move_open_drafts(questionnaire: Questionnaire, admin: StaffUser) -> list[revisions.Moved]:
    """Move every unfinished response on an older version of the questionnaire to its latest
    version, each as a recorded revision in a transaction of its own (a participant writing
    at the same moment is merged as usual: the move is retried on the fresh state)."""
    if not questionnaire_service.may_edit(admin, questionnaire) or questionnaire.latest is None:
        raise LookupError(questionnaire.slug)
    latest_id, admin_id = questionnaire.latest.id, admin.id
    ids = list(
        db.session.scalars(
            sa.select(Response.id)
            .join(QuestionnaireVersion)
            .where(
                QuestionnaireVersion.questionnaire_id == questionnaire.id,
                Response.version_id != latest_id,
                Response.status == "draft",
            )
            .order_by(Response.created_at)
        )
    )
    moved = []

    def one(response_id: str) -> revisions.Moved | None:
        response = db.session.get(Response, response_id)
        latest = db.session.get(QuestionnaireVersion, latest_id)
        if response is None or response.status != "draft" or response.version_id == latest_id:
            return None  # sent, or moved, in the meantime
        author = revisions.Author("staff", db.session.get(StaffUser, admin_id))
        return revisions.move_to_version(response, latest, author)

    for response_id in ids:
        result = revisions.retrying(lambda response_id=response_id: one(response_id))
        if result is not None:
            moved.append(result)
    return moved


def changes_since(draft: QuestionnaireDraft, revision: int) -> list[DraftChange]:
    return list(
        db.session.scalars(
            sa.select(DraftChange)
            .where(DraftChange.draft_id == draft.id, DraftChange.revision > revision)
            .order_by(DraftChange.revision)
        )
    )


def open_responses(questionnaire: Questionnaire) -> int:
    """Return how many unfinished responses there are to the questionnaire's versions."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Response)
            .join(QuestionnaireVersion)
            .where(
                QuestionnaireVersion.questionnaire_id == questionnaire.id,
                Response.status == "draft",
            )
        )
        or 0
    )
