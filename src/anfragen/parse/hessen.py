"""Parser for Kleine Anfragen of the Hessischer Landtag with the ministry's answer.

Shape (text layer of the printed answer):

    Kleine Anfrage
    Oliver Stirböck (Freie Demokraten) vom 03.02.2023
    HessenConnect 2.0 kann Kommunen verbinden
    und
    Antwort
    Ministerin für Digitale Strategie und Entwicklung

    Vorbemerkung Fragesteller: ...
    Vorbemerkung Ministerin für Digitale Strategie und Entwicklung: ...
    Frage 1. <question>            (each question reprinted, its answer below it)
    Die Fragen 1 bis 5 werden im Sachzusammenhang gemeinsam beantwortet. ...
    Wiesbaden, 14. März 2023
    <signature>

A question followed directly by the next one has no answer of its own: it is answered
jointly with the next answered question.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from anfragen.errors import ParseError
from anfragen.models import AnswerBlock, Inquiry, Preamble, Question, SourceDoc

from .textclean import clean_block, iso_date, squash_ws

FAMILY = "hessen"

_HEAD_SIZE = 2000
_KLEINE_ANFRAGE = re.compile(r"(?m)^\s*Kleine\s+Anfrage\b")
_HESSEN_MARK = re.compile(
    r"Hessischer\s+Landtag|HESSISCHER\s+LANDTAG|^\s*Wiesbaden,\s*(?:den\s+)?\d", re.M
)
_QUESTION = re.compile(r"(?m)^[ \t]*Frage[ \t]+(\d{1,3})([a-z]?)\.[ \t]+")
_PREAMBLE = re.compile(r"(?m)^[ \t]*Vorbemerkung[ \t]+([^\n:]{2,120}):[ \t]*$")
_CLOSING = re.compile(
    r"(?m)^[ \t]*Wiesbaden,[ \t]*(?:den[ \t]+)?"
    r"(\d{1,2}\.\s*(?:[A-Za-zäÄ]+|\d{1,2}\.)\s*\d{4})[ \t]*$"
)
_ASKER_LINE = re.compile(
    r"Kleine\s+Anfrage\s*\n\s*(?P<askers>[^\n]+?)\s+vom\s+(?P<date>\d{1,2}\.\d{1,2}\.\d{4})"
)
_JOINT = re.compile(
    r"Die\s+Fragen\s+(\d+)\s*(bis|und|,)\s*(\d+)((?:\s*(?:,|und)\s*\d+)*)\s+werden\b[^.]{0,120}?"
    r"gemeinsam\s+beantwortet"
)
_ASKERS_SIDE = re.compile(
    r"^(?:des|der)?\s*Fragesteller(?:in|innen)?$|^(?:des|der)?\s*Abgeordneten$"
)
# Hessian Wahlperioden by start date (the 20th began on 18.01.2019, the 21st on 18.01.2024).
_WP_STARTS = (
    ("2024-01-18", "21"),
    ("2019-01-18", "20"),
    ("2014-01-18", "19"),
    ("2009-02-05", "18"),
)


def detect(src: SourceDoc) -> bool:
    if src.path.lower().endswith((".json", ".md")):
        return False
    head = src.text[:_HEAD_SIZE]
    if re.search(
        r"Deutscher\s+Bundestag|Niedersächsischer\s+Landtag|Landtag\s+des\s+Saarlandes", head
    ):
        return False
    if not (_KLEINE_ANFRAGE.search(head) and _QUESTION.search(src.text)):
        return False
    return bool(_HESSEN_MARK.search(head) or _CLOSING.search(src.text))


def parse(src: SourceDoc) -> Inquiry:
    text = src.text
    marks = list(_QUESTION.finditer(text))
    if not marks:
        raise ParseError("keine Zeile 'Frage N.' gefunden")
    closing = _CLOSING.search(text, marks[-1].end())
    end = closing.start() if closing else len(text)
    questions, answers = _questions_answers(text, marks, end)
    head = _header(text, marks[0].start())
    date_answered = iso_date(closing.group(1)) if closing else ""
    return Inquiry(
        doc_id=src.doc_id,
        source=src.path,
        family=FAMILY,
        parliament="Hessischer Landtag",
        wahlperiode=_wahlperiode(src, head["drucksache"], date_answered),
        drucksache=head["drucksache"],
        title=head["title"],
        doc_type="Kleine Anfrage",
        askers=head["askers"],
        parties=head["parties"],
        answering_body=head["answering_body"],
        date_asked=head["date_asked"],
        date_answered=date_answered,
        preambles=_preambles(text, marks[0].start(), head["answering_body"]),
        questions=tuple(questions),
        answers=tuple(
            AnswerBlock(a.questions, a.text, a.start, a.end, head["answering_body"], date_answered)
            for a in answers
        ),
    )


# --- header -----------------------------------------------------------------------------


def _header(text: str, first_question: int) -> dict:
    head = text[:first_question]
    out: dict = {"askers": (), "parties": (), "date_asked": "", "title": "", "answering_body": ""}
    m = re.search(r"Drucksache\s+(\d{1,2}/\d{1,6})", head)
    out["drucksache"] = m.group(1) if m else ""
    m = _ASKER_LINE.search(head)
    if not m:
        return out
    out["askers"], out["parties"] = _askers(m.group("askers"))
    out["date_asked"] = iso_date(m.group("date"))
    rest = head[m.end() :]
    t = re.match(r"\s*(.*?)\n\s*und\s*\n\s*Antwort\s*\n(.*?)(?:\n[ \t]*\n|$)", rest, re.S)
    if t:
        out["title"] = squash_ws(t.group(1))
        out["answering_body"] = squash_ws(t.group(2))
    return out


def _askers(raw: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """ "Oliver Stirböck (Freie Demokraten)" / "A, B und C (SPD)" -> names, parties."""
    names: list[str] = []
    parties: list[str] = []
    for group, party in re.findall(r"([^()]+)\(([^()]+)\)", raw):
        for name in re.split(r",|\bund\b", group):
            name = squash_ws(name)
            if name and name not in names:
                names.append(name)
        party = squash_ws(party)
        if party not in parties:
            parties.append(party)
    if not names and squash_ws(raw):
        names = [squash_ws(raw)]
    return tuple(names), tuple(parties)


def _wahlperiode(src: SourceDoc, drucksache: str, date_answered: str) -> str:
    m = re.search(r"(\d{1,2})\.\s*Wahlperiode", src.text[:_HEAD_SIZE])
    if m:
        return m.group(1)
    if drucksache:
        return drucksache.split("/")[0]
    m = re.match(r"HE_(\d{1,2})_", PurePath(src.path).name)
    if m:
        return m.group(1)
    for start, wp in _WP_STARTS:
        if date_answered and date_answered >= start:
            return wp
    return ""


# --- preambles --------------------------------------------------------------------------


def _preambles(text: str, first_question: int, answering_body: str) -> tuple[Preamble, ...]:
    marks = list(_PREAMBLE.finditer(text, 0, first_question))
    out = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else first_question
        who = squash_ws(m.group(1))
        side = "askers" if _ASKERS_SIDE.match(who) else "government"
        body = clean_block(text[m.end() : end])
        if body:
            out.append(Preamble(side, body, m.start(), end))
    return tuple(out)


# --- questions and answers --------------------------------------------------------------


def _questions_answers(
    text: str, marks: list[re.Match[str]], end: int
) -> tuple[list[Question], list[AnswerBlock]]:
    questions: list[Question] = []
    answers: list[AnswerBlock] = []
    pending: list[int] = []
    for i, m in enumerate(marks):
        seg_end = marks[i + 1].start() if i + 1 < len(marks) else end
        q_end = _question_end(text, m.end(), seg_end)
        number = int(m.group(1))
        questions.append(
            Question(
                number,
                _question_text(text[m.end() : q_end]),
                m.group(1) + m.group(2),
                m.start(),
                q_end,
            )
        )
        if number not in pending:
            pending.append(number)
        body = clean_block(text[q_end:seg_end])
        if body:
            numbers = _joint_numbers(body, pending)
            answers.append(AnswerBlock(numbers, body, q_end, seg_end))
            pending = []
    if pending and answers:
        last = answers[-1]
        answers[-1] = AnswerBlock(
            tuple(sorted({*last.questions, *pending})), last.text, last.start, last.end
        )
    return _merge_questions(questions), answers


def _question_end(text: str, start: int, end: int) -> int:
    """A reprinted question ends at a line ending in "?" that is not followed, without a
    blank line, by more question lines ending in "?" (else at the first blank line)."""
    seg = text[start:end]
    m = re.search(r"\?[ \t]*\n", seg)
    if not m:
        m = re.search(r"\S[^\n]*\n[ \t]*\n", seg)
        return start + m.end() if m else end
    pos = m.end()
    while True:
        nxt = re.match(r"(?:[^\n]*\S[^\n]*\n)*?[^\n]*\?[ \t]*\n", seg[pos:])
        para = re.match(r"(?:[^\n]*\S[^\n]*\n)+", seg[pos:])
        if not (nxt and para and nxt.end() <= para.end()):
            return start + pos
        pos += nxt.end()


def _question_text(raw: str) -> str:
    """Questions are one paragraph; blank lines inside them are layout noise."""
    return clean_block(re.sub(r"\n[ \t]*\n", "\n", raw))


def _joint_numbers(body: str, pending: list[int]) -> tuple[int, ...]:
    m = _JOINT.search(body[:300])
    numbers = set(pending)
    if m:
        a, sep, b = int(m.group(1)), m.group(2), int(m.group(3))
        numbers |= set(range(a, b + 1)) if sep == "bis" else {a, b}
        numbers |= {int(x) for x in re.findall(r"\d+", m.group(4))}
    return tuple(sorted(numbers))


def _merge_questions(questions: list[Question]) -> list[Question]:
    """Sub-questions 3a, 3b -> one Question 3 (texts joined)."""
    merged: dict[int, Question] = {}
    for q in questions:
        prev = merged.get(q.number)
        if prev is None:
            merged[q.number] = Question(q.number, q.text, str(q.number), q.start, q.end)
        else:
            merged[q.number] = Question(
                q.number, f"{prev.text}\n{q.text}", str(q.number), prev.start, q.end
            )
    return list(merged.values())
