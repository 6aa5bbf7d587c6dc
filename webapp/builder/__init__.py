"""The questionnaire builder's pages: a draft's outline, settings and preview, and publishing."""

from __future__ import annotations

from . import transfer, translations
from .views import bp

__all__ = ["bp", "transfer", "translations"]
