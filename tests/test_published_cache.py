"""The per-process cache of published versions: same object, new versions apart, bounded."""

from __future__ import annotations

import json
import time
from pathlib import Path

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import QuestionnaireVersion
from webapp.questionnaires import validate_answers
from webapp.questionnaires.definition import content_hash
from webapp.questionnaires.published import PublishedVersions
from webapp.services import questionnaires as questionnaire_service

from .documents import minimal_document

FORMS = Path(__file__).parent.parent / "forms"


def _version(slug: str) -> QuestionnaireVersion:
    return db.session.scalars(
        sa.select(QuestionnaireVersion)
        .join(QuestionnaireVersion.questionnaire)
        .where(QuestionnaireVersion.questionnaire.has(slug=slug))
        .order_by(QuestionnaireVersion.number.desc())
    ).first()


def test_the_same_version_gives_the_same_definition_across_sessions(app, forms):
    with app.app_context():
        first = _version("kartlegging")
        definition, english = first.definition, first.localized("en")
        version_id = first.id
    with app.app_context():
        again = db.session.get(QuestionnaireVersion, version_id)
        assert again.definition is definition
        assert again.localized("en") is english
        assert set(english["translations"]) == {"en"}  # nb is the source: no nb translations
        assert again.localized("ar") is not english


def test_a_new_version_is_not_served_from_the_old_entry(app):
    document = minimal_document()
    with app.app_context():
        old = questionnaire_service.import_document(document).version
        old_definition = old.definition
        document["title"] = "A changed title"
        new = questionnaire_service.import_document(document).version
        db.session.commit()
        assert new.id != old.id
        assert new.definition is not old_definition
        assert new.definition.text("/title", document["source_language"]) == "A changed title"


def test_an_entry_is_keyed_by_content_hash_as_well_as_id():
    cache = PublishedVersions()
    one, two = minimal_document(), minimal_document()
    two["title"] = "Another"
    first = cache.definition(1, content_hash(one), lambda: one)
    # The same id with other content (a database made again) is another entry.
    other = cache.definition(1, content_hash(two), lambda: two)
    assert other is not first and other.document["title"] == "Another"
    assert cache.definition(1, content_hash(one), lambda: one) is first


def test_the_document_is_only_read_on_a_miss():
    cache = PublishedVersions()
    document = minimal_document()
    reads = []

    def load():
        reads.append(1)
        return document

    for _ in range(5):
        cache.definition(7, content_hash(document), load)
        cache.localized(7, content_hash(document), "en", load)
    assert len(reads) == 1 and cache.builds == 1


def test_the_cache_keeps_at_most_its_limit_least_recently_used_out():
    cache = PublishedVersions(max_entries=3)
    document = minimal_document()
    digest = content_hash(document)
    kept = cache.definition(1, digest, lambda: document)
    for version_id in range(2, 10):
        cache.definition(version_id, digest, lambda: document)
        cache.definition(1, digest, lambda: document)  # used again: stays
        assert len(cache) <= 3
    assert cache.definition(1, digest, lambda: document) is kept
    builds = cache.builds
    cache.definition(2, digest, lambda: document)  # pushed out long ago: built again
    assert cache.builds == builds + 1


def test_changing_the_stored_dict_later_does_not_reach_the_cached_definition():
    # A draft's document is edited in place; one published from it must not follow those edits.
    cache = PublishedVersions()
    document = minimal_document()
    definition = cache.definition(3, content_hash(document), lambda: document)
    document["title"] = "Edited after publishing"
    assert definition.document["title"] != "Edited after publishing"


def test_validating_the_mapping_questionnaire_copies_nothing_and_is_quick(app, forms):
    with app.app_context():
        definition = _version("kartlegging").definition
        schema = json.dumps(definition.schema, sort_keys=True)
        answers = {"mapped_before": "no"}
        validate_answers(definition, answers)
        started = time.perf_counter()
        for _ in range(50):
            validate_answers(definition, answers, complete=False)
        per_set = (time.perf_counter() - started) / 50
        assert json.dumps(definition.schema, sort_keys=True) == schema  # left unchanged
        assert per_set < 0.02  # well under a millisecond on a quiet machine; 20 ms when busy
