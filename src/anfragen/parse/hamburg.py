"""Parser for Hamburg's Schriftliche Kleine Anfragen as archived markdown ("ska_archiv 1.0").

Shape: YAML front matter (already in `SourceDoc.meta`), a `# Drs. ...` title, a `>` quote with
askers and dates, `## Einleitung für die Fragen` / `## Vorbemerkung` (the askers' text, also
between groups of questions), `### Frage n` and `#### Antwort zu Frage n` /
`#### Antwort zu Fragen 5 bis 10` (one joint block). Known slips of the archiving tool: an
answer heading printed as a plain paragraph ("Antwort zu Frage 10."), and the askers' group
titles ("Zweijähriges Anschlussprojekt am Hansaplatz:") glued to the end of the answer before.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from anfragen.errors import ParseError
from anfragen.models import AnswerBlock, Inquiry, Preamble, Question, SourceDoc

from .textclean import clean_block, iso_date

FAMILY = "hamburg"
PARLIAMENT = "Hamburgische Bürgerschaft"
ANSWERING_BODY = "Senat"

_HEADING = re.compile(r"^(#{1,4})[ \t]+(.+?)[ \t]*$", re.M)
_FRAGE = re.compile(r"Frage\s+(\d+)\s*([a-z])?\)?$")
_ANTWORT = re.compile(r"Antwort(?:en)?\s+zu\s+(?:den\s+)?Fragen?\s+(.+?)\.?$")
# The answer heading the tool failed to recognise: a paragraph of its own in a question section.
_PLAIN_ANTWORT = re.compile(
    r"^[ \t]*Antwort(?:en)?[ \t]+zu[ \t]+(?:den[ \t]+)?Fragen?[ \t]+"
    r"(\d[\d \t,a-z)]{0,40}?)[.:]?[ \t]*$",
    re.M,
)
_GOVERNMENT_HEADING = re.compile(r"Senat|Verwaltung|Landesregierung")
_GOVERNMENT_TEXT = re.compile(r"Dies vorausgeschickt|beantwortet der Senat|der Senat wie folgt")
# An askers' group title: short, one line, no sentence end (may end with a colon).
_GROUP_TITLE = re.compile(r"[^\n]{3,120}(?<![.!?;)])")


@dataclass(frozen=True)
class _Section:
    level: int
    title: str
    head_start: int  # offset of the heading line
    start: int  # offset of the body (after the heading line)
    end: int


def detect(src: SourceDoc) -> bool:
    generator = str(src.meta.get("generator") or "")
    if generator.startswith("ska_archiv"):
        return True
    text = src.text
    return bool(
        re.search(r"^###[ \t]+Frage[ \t]+\d+", text, re.M)
        and re.search(r"^####[ \t]+Antwort(?:en)?[ \t]+zu[ \t]", text, re.M)
    )


def parse(src: SourceDoc) -> Inquiry:
    sections = _sections(src.text)
    if not any(_FRAGE.match(s.title) for s in sections if s.level == 3):
        raise ParseError("keine Überschrift '### Frage n' gefunden")
    preambles, questions, answers, warnings = _walk(src.text, sections)
    meta = src.meta
    askers, parties = _askers_and_parties(src)
    return Inquiry(
        doc_id=src.doc_id,
        source=src.path,
        family=FAMILY,
        parliament=PARLIAMENT,
        wahlperiode=str(meta.get("wahlperiode") or _drucksache(src).split("/")[0]),
        drucksache=_drucksache(src),
        title=str(meta.get("titel") or meta.get("title") or _title_from_heading(src.text)),
        doc_type=str(meta.get("typ") or "Schriftliche Kleine Anfrage"),
        askers=askers,
        parties=parties,
        answering_body=ANSWERING_BODY,
        date_asked=_meta_date(meta.get("datum_anfrage")),
        date_answered=_meta_date(meta.get("datum_antwort") or meta.get("datum_drucksache")),
        url=str(meta.get("pdf") or meta.get("quelle") or ""),
        preambles=tuple(preambles),
        questions=tuple(_merge_subquestions(questions)),
        answers=tuple(answers),
        warnings=tuple(warnings),
    )


def _sections(text: str) -> list[_Section]:
    heads = list(_HEADING.finditer(text))
    out = []
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = min(m.end() + 1, end)
        out.append(_Section(len(m.group(1)), m.group(2).strip(), m.start(), body, end))
    return out


def _walk(
    text: str, sections: list[_Section]
) -> tuple[list[Preamble], list[Question], list[AnswerBlock], list[str]]:
    preambles: list[Preamble] = []
    questions: list[Question] = []
    answers: list[AnswerBlock] = []
    warnings: list[str] = []
    carry = ""  # a group title cut from the end of the previous section
    for i, sec in enumerate(sections):
        nxt = sections[i + 1] if i + 1 < len(sections) else None
        start, end = sec.start, sec.end
        if nxt is not None and nxt.level <= 3 and sec.level >= 3:
            end, title = _split_group_title(text, start, end)
            if title and _is_preamble(nxt.title):
                carry = title
            elif title:
                warnings.append(f"Gruppenüberschrift der Fragesteller entfernt: {title!r}")
        if sec.level == 2 and _is_preamble(sec.title):
            preambles.append(_preamble(text, sec, start, end, carry))
            carry = ""
        elif sec.level == 3 and (m := _FRAGE.match(sec.title)):
            q, a = _question(text, m, start, end)
            questions.append(q)
            if a is not None:
                answers.append(a)
                warnings.append(f"'Antwort zu Frage {m.group(1)}' ohne Überschrift erkannt")
        elif sec.level == 4 and (m := _ANTWORT.match(sec.title)):
            nums = _numbers(m.group(1))
            if not nums:
                raise ParseError(f"Antwortüberschrift ohne Fragenummer: {sec.title!r}")
            answers.append(
                AnswerBlock(nums, clean_block(text[start:end]), start, end, ANSWERING_BODY)
            )
    return preambles, questions, answers, warnings


def _is_preamble(title: str) -> bool:
    return title.startswith("Vorbemerkung") or title.startswith("Einleitung")


def _preamble(text: str, sec: _Section, start: int, end: int, carry: str) -> Preamble:
    body = clean_block(text[start:end])
    if carry:
        body = f"{carry}\n{body}"
    government = bool(_GOVERNMENT_HEADING.search(sec.title[len("Vorbemerkung") :]))
    government = government or bool(_GOVERNMENT_TEXT.search(body))
    return Preamble("government" if government else "askers", body, start, end)


def _split_group_title(text: str, start: int, end: int) -> tuple[int, str]:
    """Cut an askers' group title off the end of a section; return the new end and the title."""
    body = text[start:end].rstrip()
    cut = body.rfind("\n\n")
    if cut < 0:
        return end, ""
    last = body[cut:].strip()
    before = body[:cut].rstrip()
    if "\n" in last or not _GROUP_TITLE.fullmatch(last) or not before:
        return end, ""
    # A title starts upper-case with at least two words and follows a finished sentence;
    # list items ("Redis 6.0.16", "- Beschaffung") do not.
    if not re.match(r"[A-ZÄÖÜ]\S*\s+\S", last) or before[-1] not in '.!?:“")':
        return end, ""
    return start + cut, last


def _question(
    text: str, m: re.Match[str], start: int, end: int
) -> tuple[Question, AnswerBlock | None]:
    number = int(m.group(1))
    label = m.group(1) + (m.group(2) or "")
    answer = None
    plain = _PLAIN_ANTWORT.search(text, start, end)
    if plain and text[plain.start() - 2 : plain.start()] == "\n\n":
        nums = _numbers(plain.group(1)) or (number,)
        body_start = min(plain.end() + 1, end)
        answer = AnswerBlock(
            nums, clean_block(text[body_start:end]), body_start, end, ANSWERING_BODY
        )
        end = plain.start()
    q = Question(number, clean_block(text[start:end]), label, start, end)
    return q, answer


def _numbers(spec: str) -> tuple[int, ...]:
    """'1' -> (1,); '2, 3 und 4' -> (2, 3, 4); '5 bis 10' -> 5..10; '2, 2 a) und 2 b)' -> (2,)."""
    nums: set[int] = set()
    for a, b in re.findall(r"(\d+)\s*(?:bis|–|-)\s*(\d+)", spec):
        lo, hi = int(a), int(b)
        if lo <= hi <= lo + 100:
            nums.update(range(lo, hi + 1))
    nums.update(int(n) for n in re.findall(r"\d+", spec))
    return tuple(sorted(nums))


def _merge_subquestions(questions: list[Question]) -> list[Question]:
    """`### Frage 3a` and `### Frage 3b` become one question 3."""
    out: list[Question] = []
    for q in questions:
        if out and out[-1].number == q.number:
            prev = out[-1]
            out[-1] = Question(q.number, f"{prev.text}\n{q.text}", str(q.number), prev.start, q.end)
        else:
            out.append(q)
    return out


def _drucksache(src: SourceDoc) -> str:
    ds = str(src.meta.get("drucksache") or "")
    if ds:
        return ds
    m = re.search(r"Drs\.\s*(\d+/\d+)", src.text)
    if not m:
        raise ParseError("keine Drucksachennummer in Front Matter oder Titel")
    return m.group(1)


def _title_from_heading(text: str) -> str:
    m = re.search(r"^#[ \t]+(?:Drs\.\s*\d+/\d+:\s*)?(.+)$", text, re.M)
    return m.group(1).strip() if m else ""


def _askers_and_parties(src: SourceDoc) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names from the front matter; factions as printed in the quote line ("DIE LINKE")."""
    askers = tuple(str(a) for a in (src.meta.get("urheber") or []))
    m = re.search(
        r"^>\s*Schriftliche Kleine Anfrage (?:der|des) Abgeordneten (.+?) vom ", src.text, re.M
    )
    printed = re.findall(r"\(([^)]+)\)", m.group(1)) if m else []
    parties = printed or [str(p) for p in (src.meta.get("fraktionen") or [])]
    if not askers and m:
        askers = tuple(_split_names(re.sub(r"\([^)]*\)", ",", m.group(1))))
    return askers, tuple(dict.fromkeys(p.strip() for p in parties))


def _split_names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r",|\bund\b", text) if n.strip()]


def _meta_date(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return iso_date(str(value)) if value else ""
