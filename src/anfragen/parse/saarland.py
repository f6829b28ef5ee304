"""Parser for answers of the Landtag des Saarlandes in the older two-column layout (Drs. 15/1284).

Shape (pdftotext, layout kept):

    LANDTAG DES SAARLANDES
     15. Wahlperiode Drucksache 15/1284 (15/1217)
     12.03.2015
    A N T W O R T
    zu der
    Anfrage des Abgeordneten Michael Neyses (B90/Grüne)
    betr.: <title>
    Vorbemerkung des Fragestellers: ...
    Vorbemerkung der Landesregierung: ...
    <question text>                       (no printed number: a left column)
    <question text>
    Zu den Fragen 1 und 3:                (the heading numbers the questions above it)
    <answer>
    <question text>
    Zu Frage 2:
    ...

Questions are separated from each other and from answers by two or more blank lines,
answer paragraphs by one. The k question blocks right before a heading naming k numbers
are those questions, in the heading's order.
"""

from __future__ import annotations

import re

from anfragen.errors import ParseError
from anfragen.models import AnswerBlock, Inquiry, Preamble, Question, SourceDoc

from .textclean import clean_block, iso_date, mend_letter_spacing, squash_ws

FAMILY = "saarland"

_HEAD_SIZE = 2000
_LANDTAG = re.compile(r"LANDTAG\s+DES\s+SAARLANDES|Landtag\s+des\s+Saarlandes")
_HEADING = re.compile(
    r"(?m)^[ \t]*Zu[ \t]+(?:den[ \t]+)?Fragen?[ \t]+(\d[\d, \t]*(?:und[ \t]+\d+)?)[ \t]*:"
)
_PREAMBLE = re.compile(r"(?m)^[ \t]*Vorbemerkung[ \t]+(des|der)[ \t]+([^\n:]{3,60}):[ \t]*$")
_PAGE_HEADER = re.compile(
    r"(?m)^[ \t]*(?:Drucksache[ \t]+\d+/\d+[^\n]*Landtag[ \t]+des[ \t]+Saarlandes[^\n]*"
    r"|-[ \t]*\d+[ \t]*-|Ausgegeben:[^\n]*)[ \t]*$"
)
_BLOCK_SEP = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_OPENKA_KEYS = {"reference", "parliament", "askers", "full_text"}


def detect(src: SourceDoc) -> bool:
    if src.path.lower().endswith((".json", ".md")) or _OPENKA_KEYS & set(src.meta):
        return False
    head = src.text[:_HEAD_SIZE]
    return bool(_LANDTAG.search(head) and _HEADING.search(src.text))


def parse(src: SourceDoc) -> Inquiry:
    text = src.text
    headings = list(_HEADING.finditer(text))
    if not headings:
        raise ParseError("keine Überschrift 'Zu Frage N:' gefunden")
    questions, answers, first_q = _units(text, headings)
    head = _header(text)
    return Inquiry(
        doc_id=src.doc_id,
        source=src.path,
        family=FAMILY,
        parliament="Landtag des Saarlandes",
        doc_type="Anfrage",
        answering_body="Landesregierung",
        preambles=_preambles(text, first_q),
        questions=tuple(sorted(questions, key=lambda q: q.number)),
        answers=tuple(answers),
        **head,
    )


# --- header -----------------------------------------------------------------------------


def _header(text: str) -> dict:
    head = mend_letter_spacing(text[:_HEAD_SIZE])
    out = {"wahlperiode": "", "drucksache": "", "title": "", "askers": (), "parties": ()}
    out |= {"date_asked": "", "date_answered": ""}
    m = re.search(r"(\d+)\.\s*Wahlperiode", head)
    out["wahlperiode"] = m.group(1) if m else ""
    m = re.search(
        r"Drucksache\s+(\d+/\d+)(?:\s*\((\d+/\d+)\))?\s*\n\s*(\d{1,2}\.\d{1,2}\.\d{4})", head
    )
    if m:
        out["drucksache"], out["date_answered"] = m.group(1), iso_date(m.group(3))
    m = re.search(r"Ausgegeben:\s*\d{1,2}\.\d{1,2}\.\d{4}\s*\((\d{1,2}\.\d{1,2}\.\d{4})\)", text)
    out["date_asked"] = iso_date(m.group(1)) if m else ""
    m = re.search(r"Anfrage\s+(?:des|der)\s+Abgeordneten\s+([^\n]+)", head)
    if m:
        out["askers"], out["parties"] = _askers(m.group(1))
    m = re.search(r"betr\.:\s*(.*?)\n[ \t]*\n(?:[ \t]*\n)+", head, re.S)
    if m:
        out["title"] = squash_ws(m.group(1))
    return out


def _askers(raw: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names: list[str] = []
    parties: list[str] = []
    for group, party in re.findall(r"([^()]+)\(([^()]+)\)", raw):
        names += [squash_ws(n) for n in re.split(r",|\bund\b", group) if squash_ws(n)]
        parties.append(squash_ws(party))
    return tuple(dict.fromkeys(names)), tuple(dict.fromkeys(parties))


# --- preambles --------------------------------------------------------------------------


def _preambles(text: str, first_question: int) -> tuple[Preamble, ...]:
    marks = list(_PREAMBLE.finditer(text, 0, first_question))
    out = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else first_question
        who = m.group(2).strip()
        side = "askers" if who.startswith(("Fragesteller", "Abgeordnete")) else "government"
        body = _clean(text[m.end() : end])
        if body:
            out.append(Preamble(side, body, m.start(), end))
    return tuple(out)


# --- questions and answers --------------------------------------------------------------


def _units(
    text: str, headings: list[re.Match[str]]
) -> tuple[list[Question], list[AnswerBlock], int]:
    """Walk the headings; the blocks before each are its questions, the rest answer text."""
    questions: list[Question] = []
    answers: list[AnswerBlock] = []
    region_start = _first_region_start(text, headings[0].start())
    starts: list[int] = []
    for i, h in enumerate(headings):
        numbers = _numbers(h.group(1))
        blocks = _blocks(text, region_start, h.start())
        if len(blocks) < len(numbers) + (1 if i else 0):
            raise ParseError(
                f"vor '{squash_ws(h.group(0))}' stehen {len(blocks)} Textblöcke, "
                f"erwartet mindestens {len(numbers)} Fragen"
            )
        q_blocks = blocks[len(blocks) - len(numbers) :]
        starts.append(q_blocks[0][0])
        for n, (s, e) in zip(numbers, q_blocks, strict=True):
            questions.append(Question(n, _clean(text[s:e], one_paragraph=True), str(n), s, e))
        region_start = h.end()
    for i, h in enumerate(headings):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        answers.append(
            AnswerBlock(
                _numbers(h.group(1)), _clean(text[h.end() : end]), h.start(), end, "Landesregierung"
            )
        )
    return questions, answers, starts[0]


def _first_region_start(text: str, first_heading: int) -> int:
    """Questions before the first heading follow the last preamble heading."""
    pre = list(_PREAMBLE.finditer(text, 0, first_heading))
    return pre[-1].end() if pre else 0


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of text[start:end] separated by two or more blank lines (page headers blanked)."""
    seg = _PAGE_HEADER.sub(lambda m: " " * len(m.group(0)), text[start:end])
    out = []
    pos = 0
    for sep in _BLOCK_SEP.finditer(seg):
        if seg[pos : sep.start()].strip():
            out.append((start + pos, start + sep.start()))
        pos = sep.end()
    if seg[pos:].strip():
        out.append((start + pos, end))
    return [(s + _lead(text, s, e), e) for s, e in out]


def _lead(text: str, s: int, e: int) -> int:
    return len(text[s:e]) - len(text[s:e].lstrip())


def _numbers(raw: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", raw))


# --- cleaning ---------------------------------------------------------------------------


def _clean(raw: str, one_paragraph: bool = False) -> str:
    """Page headers out; line-start punctuation (", wenn", ")") joined to the line before."""
    raw = _PAGE_HEADER.sub("", raw)
    raw = re.sub(r"(\w)-[ \t]*\n(?:[ \t]*\n)+[ \t]*(?=[a-zäöüß])", r"\1-\n", raw)
    raw = re.sub(r"[ \t]*\n[ \t]*([,.;:)?!“])", r"\1", raw)
    raw = re.sub(r"(\w)[ \t]*\n[ \t]*-(?=\w)", r"\1-", raw)
    if one_paragraph:
        raw = re.sub(r"\n[ \t]*\n", "\n", raw)
    else:
        raw = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", raw)
    return clean_block(raw)
