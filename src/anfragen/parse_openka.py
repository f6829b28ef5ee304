"""Parser for the openka family (stub: replaced by the real parser)."""

from __future__ import annotations

from .models import Inquiry, SourceDoc  # noqa: F401

FAMILY = "openka"


def detect(src: SourceDoc) -> bool:
    return False


def parse(src: SourceDoc) -> Inquiry:
    raise NotImplementedError
