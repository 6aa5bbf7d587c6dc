"""The questionnaire core: load, check, localize, evaluate conditions, validate answers.

Plain Python with no Flask import, so the CLI, the web pages and the sync API share it.
The flow is ``document (dict) -> check_document() -> Definition -> validate_answers()``.
"""

from __future__ import annotations

from .check import Problem, check_document
from .conditions import evaluate, visible_questions
from .definition import Definition, DocumentError, Question, Section, load_definition
from .localize import fallback_chain
from .validate import AnswerError, validate_answers

__all__ = [
    "AnswerError",
    "Definition",
    "DocumentError",
    "Problem",
    "Question",
    "Section",
    "check_document",
    "evaluate",
    "fallback_chain",
    "load_definition",
    "validate_answers",
    "visible_questions",
]
