"""A small valid questionnaire document that tests change one thing at a time."""

from __future__ import annotations

import copy
from typing import Any


def minimal_document() -> dict[str, Any]:
    return copy.deepcopy(
        {
            "format": "loype-questionnaire/1",
            "slug": "test",
            "title": "Test",
            "audience": "participant",
            "source_language": "nb",
            "languages": ["nb", "en"],
            "schema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "work"],
                "properties": {
                    "name": {"type": "string", "title": "Navn", "maxLength": 20},
                    "age": {"type": "integer", "title": "Alder", "minimum": 16, "maximum": 99},
                    "work": {
                        "type": "string",
                        "title": "Jobber du?",
                        "oneOf": [
                            {"const": "yes", "title": "Ja"},
                            {"const": "no", "title": "Nei"},
                        ],
                    },
                    "employer": {"type": "string", "title": "Hvor?"},
                    "skills": {
                        "type": "array",
                        "title": "Ferdigheter",
                        "uniqueItems": True,
                        "items": {
                            "anyOf": [
                                {"const": "it", "title": "IT"},
                                {"const": "cooking", "title": "Matlaging"},
                            ]
                        },
                    },
                    "licence": {"type": "boolean", "title": "Førerkort?"},
                    "born": {"type": "string", "format": "date", "title": "Født"},
                    "country": {"type": "string", "title": "Land", "pattern": "^[A-Z]{2}$"},
                    "educations": {
                        "type": "array",
                        "title": "Utdanning",
                        "maxItems": 3,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["field"],
                            "properties": {
                                "field": {"type": "string", "title": "Fag"},
                                "years": {"type": "integer", "title": "År", "minimum": 0},
                            },
                        },
                    },
                },
            },
            "ui": {
                "sections": [
                    {"id": "about", "title": "Om deg", "items": ["intro", "name", "age", "born"]},
                    {
                        "id": "work",
                        "title": "Arbeid",
                        "items": ["work", "employer", "skills", "licence", "country", "educations"],
                    },
                ],
                "questions": {
                    "employer": {"visible_if": {"question": "work", "equals": "yes"}},
                    "country": {"widget": "country"},
                    "skills": {"resource_tags": {"it": ["digital-skills"]}},
                },
                "info": {"intro": {"text": "Velkommen"}},
            },
            "translations": {
                "en": {
                    "/title": "Test",
                    "/schema/properties/name/title": "Name",
                    "/schema/properties/work/oneOf/0/title": "Yes",
                    "/ui/sections/0/title": "About you",
                }
            },
        }
    )
