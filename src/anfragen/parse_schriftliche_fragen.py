"""Parser for the schriftliche_fragen family (stub: replaced by the real parser)."""

from __future__ import annotations

from .models import Inquiry, SourceDoc  # noqa: F401

FAMILY = "schriftliche_fragen"


def detect(src: SourceDoc) -> bool:
    return False


def parse(src: SourceDoc) -> Inquiry:
    raise NotImplementedError
