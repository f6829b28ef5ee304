"""Parse a SourceDoc into an Inquiry: dispatch to the family whose shape matches.

Each family lives in `<family>.py` and exports `FAMILY` (name), `detect(src) -> bool`
and `parse(src) -> Inquiry`. The first family whose `detect` says yes parses the document and
its result is reviewed (`review.py`). A document no family claims, or whose family finds
no question or raises ParseError, goes to the general parser (`general.py`); only when
that finds no structure either does it fall back to one unit holding the whole text, and the
fallback is reported.
"""

from __future__ import annotations

from types import ModuleType

from anfragen.errors import ParseError
from anfragen.models import AnswerBlock, Inquiry, SourceDoc

from . import bundestag as parse_bundestag
from . import hamburg as parse_hamburg
from . import hessen as parse_hessen
from . import niedersachsen as parse_niedersachsen
from . import openka as parse_openka
from . import saarland as parse_saarland
from . import schriftliche_fragen as parse_schriftliche_fragen
from .review import general_or_none, review
from .textclean import clean_block

# Bump when a parser change alters the output for an unchanged file: ingest then re-parses
# every document (index/ingest.py document_hash); unchanged chunk texts keep their vectors.
PARSER_VERSION = 2

# Order matters: the more specific shapes first.
FAMILIES: tuple[ModuleType, ...] = (
    parse_hamburg,
    parse_openka,
    parse_schriftliche_fragen,
    parse_bundestag,
    parse_niedersachsen,
    parse_saarland,
    parse_hessen,
)


def detect_family(src: SourceDoc) -> ModuleType | None:
    for fam in FAMILIES:
        if fam.detect(src):
            return fam
    return None


def parse_document(src: SourceDoc) -> Inquiry:
    """Parse one document. Never raises for an odd shape: falls back to one whole-text unit."""
    fam = detect_family(src)
    if fam is None:
        return general_or_fallback(src, "unbekanntes Format", family="unknown")
    try:
        inq = fam.parse(src)
    except ParseError as e:
        return general_or_fallback(src, f"{fam.FAMILY}: {e}", family=fam.FAMILY)
    if not inq.questions and not inq.answers:
        reason = f"{fam.FAMILY}: keine Fragen gefunden"
        return general_or_fallback(src, reason, family=fam.FAMILY, base=inq)
    return review(src, inq, fam.FAMILY)


def general_or_fallback(
    src: SourceDoc, reason: str, family: str, base: Inquiry | None = None
) -> Inquiry:
    return general_or_none(src, reason, base) or fallback(src, reason, family, base)


def fallback(src: SourceDoc, reason: str, family: str, base: Inquiry | None = None) -> Inquiry:
    text = clean_block(src.text)
    meta = src.meta
    base = base or Inquiry(
        doc_id=src.doc_id,
        source=src.path,
        family=family,
        title=str(meta.get("title") or meta.get("titel") or ""),
    )
    return Inquiry(
        **{
            **base.__dict__,
            "family": family,
            "questions": (),
            "answers": (AnswerBlock(questions=(0,), text=text, start=0, end=len(src.text)),),
            "fallback": True,
            "warnings": (*base.warnings, f"Fallback (ganzes Dokument als eine Einheit): {reason}"),
            "confidence": 0.0,
            "rule": "fallback",
        }
    )
