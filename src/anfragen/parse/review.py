"""What every parse result goes through: the general parser where a family found nothing, and
a review of what a family did find.

- A family's askers, parties and parliament are checked against the print: an asker that is no
  person's name ("der Fraktion der", "Freie Demokratische Partei") or a parliament that is only
  a record's code ("bund") is replaced by what the document head prints.
- A family's structure that contradicts itself (an answer to a question it did not find, a gap
  in the numbering, several questions without answer) gets a second opinion from the general
  parser, which is taken only when it is complete and keeps every question the family found.
Both leave a family's consistent result untouched, so its output stays as it was.
"""

from __future__ import annotations

from dataclasses import replace

from anfragen.errors import ParseError
from anfragen.models import Inquiry, SourceDoc

from . import general as parse_general
from .header import is_person_name, parties_only
from .layouts import PARLIAMENT_NAMES

_STRUCTURE = ("preambles", "questions", "answers")


def general_or_none(src: SourceDoc, reason: str, base: Inquiry | None = None) -> Inquiry | None:
    """The general parser's result (None when it finds no structure either); metadata a family
    already read (`base`) is kept."""
    try:
        inq = parse_general.parse(src)
    except ParseError:
        return None
    note = f"Allgemeiner Parser ({inq.rule}), weil {reason}"
    inq = replace(inq, warnings=(*inq.warnings, note))
    if base is None:
        return inq
    meta = {k: v for k, v in base.__dict__.items()
            if v and k not in (*_STRUCTURE, "family", "warnings", "fallback", "confidence", "rule")}
    return replace(inq, **meta, warnings=(*base.warnings, *inq.warnings))


def review(src: SourceDoc, inq: Inquiry, family: str) -> Inquiry:
    inq = replace(inq, rule=inq.rule or family,
                  confidence=parse_general.structure_confidence(inq, inq.rule))
    inq = _checked_metadata(src, inq)
    if not _contradicts_itself(inq):
        return inq
    other = general_or_none(src, "die Struktur der Familie widersprüchlich war")
    if other is None or not _complete(other) or not _keeps(other, inq):
        return inq
    keep = {k: getattr(other, k) for k in (*_STRUCTURE, "confidence", "rule")}
    return replace(inq, **keep, warnings=(*inq.warnings, *other.warnings[-1:]))


def _contradicts_itself(inq: Inquiry) -> bool:
    """Answers to questions not found, gaps in the numbering, or several questions without
    answer (a single one may be printed without, as NI 19/11269 Q13 is)."""
    nums = {q.number for q in inq.questions}
    answered = {n for a in inq.answers for n in a.questions} - {0}
    top = max(nums, default=0)
    unanswered = len(nums - answered)
    return bool(answered - nums) or len(nums) < top or unanswered >= max(2, len(nums) / 4)


def _complete(inq: Inquiry) -> bool:
    nums = {q.number for q in inq.questions}
    answered = {n for a in inq.answers for n in a.questions}
    return bool(nums) and nums == set(range(1, max(nums) + 1)) and answered == nums


def _keeps(other: Inquiry, inq: Inquiry) -> bool:
    return {q.number for q in inq.questions} <= {q.number for q in other.questions}


def _checked_metadata(src: SourceDoc, inq: Inquiry) -> Inquiry:
    askers = tuple(a for a in inq.askers if is_person_name(a))
    parties = parties_only(inq.parties)
    known = inq.parliament in PARLIAMENT_NAMES
    if askers == inq.askers and parties == inq.parties and (known or not inq.parliament):
        return inq
    doc = parse_general.prepare(src.text)
    head = parse_general.header_of(doc, _first_mark(doc))
    changes: dict = {}
    if askers != inq.askers:
        changes["askers"] = head.askers or askers
    if parties != inq.parties or (askers != inq.askers and head.parties):
        changes["parties"] = head.parties or parties
    if not known and head.parliament:
        changes["parliament"] = head.parliament
    note = "Metadaten nach dem Druckbild berichtigt: " + ", ".join(sorted(changes))
    return replace(inq, **changes, warnings=(*inq.warnings, note))


def _first_mark(doc: parse_general.Doc) -> int:
    kinds = ("item", "label", "pre", "intro")
    return min((m.pos for m in doc.marks if m.kind in kinds), default=min(len(doc.text), 3000))
