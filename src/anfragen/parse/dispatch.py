"""Parse a SourceDoc into an Inquiry: dispatch to the family whose shape matches.

Each family lives in `parse/<family>.py` and exports `FAMILY` (name), `detect(src) -> bool`
and `parse(src) -> Inquiry`. The first family whose `detect` says yes parses the document;
when its parser finds no question or raises ParseError, the document falls back to one unit
holding the whole text, and the fallback is reported.
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
from .textclean import clean_block

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
        return fallback(src, "unbekanntes Format", family="unknown")
    try:
        inq = fam.parse(src)
    except ParseError as e:
        return fallback(src, f"{fam.FAMILY}: {e}", family=fam.FAMILY)
    if not inq.questions and not inq.answers:
        return fallback(src, f"{fam.FAMILY}: keine Fragen gefunden", family=fam.FAMILY, base=inq)
    return inq


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
        }
    )
