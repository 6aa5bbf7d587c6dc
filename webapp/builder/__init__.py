"""The questionnaire builder's pages: a draft's outline, settings and preview, and publishing."""

from __future__ import annotations

from . import question_bank, transfer, translations
from .views import bp

__all__ = ["bp", "question_bank", "transfer", "translations"]
