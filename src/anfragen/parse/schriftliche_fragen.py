"""Parser for Bundestag "Schriftliche Fragen" weekly collections.

Shape: a title block ("Deutscher Bundestag Drucksache 21/119 / 21. Wahlperiode 09.05.2025 /
Schriftliche Fragen mit den in der Woche vom ... eingegangenen Antworten der Bundesregierung"),
two indexes (askers, ministries) whose numbers are NOT questions, then sections
"Geschäftsbereich des Bundesministeriums ..." with items

    N.<U+2002>Abgeordneter
    <Name>
    (<Party>)
    <question text>
    Antwort des Parlamentarischen Staatssekretärs <Name>
    vom <date>
    <answer text>

Items without an "Antwort" header are answered jointly with the following item(s) ("Die
Fragen 2 bis 4 werden zusammen beantwortet."). After "Berlin, den <date>" come annexes
("Anlage zu Frage 12") and the printer's imprint.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from anfragen.errors import ParseError
from anfragen.models import AnswerBlock, Inquiry, Preamble, Question, SourceDoc

from .textclean import GERMAN_MONTHS, clean_block, dehyphenate, iso_date, squash_ws

FAMILY = "schriftliche_fragen"

_HEAD_SIZE = 1500
_DETECT_TITLE = re.compile(r"Schriftliche\s+Fragen\s+mit\s+den\s+in\s+der\s+Woche\s+vom")
_DETECT_HOUSE = re.compile(r"Deutscher\s+Bundestag")

_ITEM = re.compile(r"(?m)^(\d{1,3})\.[\u2002 ][ \t]*(?:Abgeordnete[r]?|Abg\.)[ \t]*$")
_PAREN = re.compile(r"\s*\(([^()]{1,80})\)")
_ANSWER_HEAD = re.compile(
    r"(?m)^Antwort[ \t]+(des|der)[ \t]+(?!Bundesregierung)"
    r"((?:[^\n]*\n){0,3}?[^\n]*?)\bvom[ \t]+"
    r"(\d{1,2}\.?[ \t]*[A-Za-zäÄ]+\.?[ \t]+\d{2}[ \t]?\d{2})[ \t]*$"
)
_SECTION = re.compile(r"(?m)^Geschäftsbereich[ \t]+(?:des|der)[ \t]+")
_CLOSING = re.compile(r"(?m)^Berlin,[ \t]+den[ \t]+\d{1,2}\.[^\n]*$")
_IMPRINT = re.compile(r"(?m)^(?:Gesamtherstellung:|Vertrieb:[ \t]+Bundesanzeiger|ISSN[ \t]+\d)")
_ANNEX = re.compile(
    r"(?m)^Anlage(?:[ \t]+\d+)?[ \t]+zu[ \t]+(?:der[ \t]+)?Frage[ \t]+(\d{1,3})[ \t]*$"
)
_FOOTER = re.compile(
    r"[ \t]*Vorabfassung\s*-\s*w\s*ird\s+durch\s+die\s+lektorierte\s+Version\s+ersetzt\.?[ \t]*\n?"
)
_PAGE_HEADER = re.compile(
    r"(?m)^[ \t]*(?:Drucksache[ \t]+\d+/\d+[ \t]+–[ \t]+[\dIVXLC]+[ \t]+–[ \t]+Deutscher[ \t]+"
    r"Bundestag[ \t]+–[ \t]+\d+\.[ \t]+Wahlperiode|Deutscher[ \t]+Bundestag[ \t]+–[ \t]+\d+\."
    r"[ \t]+Wahlperiode[ \t]+–[ \t]+[\dIVXLC]+[ \t]+–[ \t]+Drucksache[ \t]+\d+/\d+)[ \t]*\n?"
)
# A correction of an answer printed in an earlier collection, after the last item.
_ADDENDUM = re.compile(
    r"(?m)^(?:Ergänzung|Berichtigung|Korrektur|Nachtrag)[ \t]*\n"
    r"Die[ \t]+Bundesregierung[ \t]+hat[ \t]+die[ \t]+Antwort"
)
_JOINT_NOTE = re.compile(r"Die\s+Fragen\s+(\d+)\s+(und|bis)\s+(\d+)")

_PARTIES = {
    "afd": "AfD",
    "cdu/csu": "CDU/CSU",
    "spd": "SPD",
    "bündnis 90/die grünen": "BÜNDNIS 90/DIE GRÜNEN",
    "die linke": "Die Linke",
    "bsw": "BSW",
    "fdp": "FDP",
    "fraktionslos": "fraktionslos",
}
# Genitive role words of the answer header -> nominative ("Staatssekretärs" -> "Staatssekretär").
_ROLE_WORDS_DES = {
    "Parlamentarischen": "Parlamentarischer",
    "Staatssekretärs": "Staatssekretär",
    "Staatsministers": "Staatsminister",
    "Bundesministers": "Bundesminister",
    "Chefs": "Chef",
    "Beauftragten": "Beauftragter",
}
_ROLE_WORDS_DER = {"Parlamentarischen": "Parlamentarische", "Beauftragten": "Beauftragte"}


@dataclass(frozen=True)
class _Item:
    number: int
    start: int  # item line start
    end: int  # start of the next item (or of the closing/annex part)
    asker: str
    party: str
    body_start: int  # after the party parenthesis


def detect(src: SourceDoc) -> bool:
    if src.path.lower().endswith((".json", ".md")):
        return False
    head = src.text[:_HEAD_SIZE]
    return bool(_DETECT_HOUSE.search(head) and _DETECT_TITLE.search(head))


def parse(src: SourceDoc) -> Inquiry:
    text = src.text
    body_end = _body_end(text)
    addenda = _addenda(text, body_end)
    items = _find_items(text, addenda[0].start if addenda else body_end)
    if not items:
        raise ParseError("keine Einträge 'N. Abgeordnete(r)' nach dem Verzeichnis gefunden")
    questions, answers, warnings = _items_to_units(text, items)
    answers = _attach_annexes(text, body_end, answers, warnings)
    return Inquiry(
        doc_id=src.doc_id,
        source=src.path,
        family=FAMILY,
        parliament="Deutscher Bundestag",
        doc_type="Schriftliche Fragen",
        **_header_meta(text),
        askers=_unique(q.asker for q in questions),
        parties=_unique(q.party for q in questions if q.party != "fraktionslos"),
        answering_body="Bundesregierung",
        preambles=tuple(addenda),
        questions=tuple(questions),
        answers=tuple(answers),
        warnings=tuple(warnings) + _numbering_warnings(items),
    )


# --- header -----------------------------------------------------------------------------


def _header_meta(text: str) -> dict:
    head = text[:_HEAD_SIZE]
    out = {"drucksache": "", "wahlperiode": "", "date_answered": "", "title": "", "url": ""}
    m = re.search(r"Drucksache\s+(\d+)/(\d+)", head)
    if m:
        out["drucksache"] = f"{m.group(1)}/{m.group(2)}"
        out["url"] = _dserver_url(int(m.group(1)), int(m.group(2)))
    m = re.search(r"(\d+)\.\s*Wahlperiode\s+(\d{1,2}\.\d{1,2}\.\d{4})", head)
    if m:
        out["wahlperiode"], out["date_answered"] = m.group(1), iso_date(m.group(2))
    m = re.search(
        r"Schriftliche\s+Fragen\s+mit\s+den\s+in\s+der\s+Woche\s+vom.*?Antworten\s+der\s+"
        r"Bundesregierung",
        head,
        re.S,
    )
    if m:
        out["title"] = squash_ws(m.group(0))
    return out


def _dserver_url(wp: int, nr: int) -> str:
    """Official PDF of a Bundestag Drucksache: 21/1164 -> .../btd/21/011/2101164.pdf."""
    num = f"{nr:05d}"
    return f"https://dserver.bundestag.de/btd/{wp}/{num[:3]}/{wp}{num}.pdf"


# --- items ------------------------------------------------------------------------------


def _body_end(text: str) -> int:
    """Where the running items stop: the closing "Berlin, den ...", else the imprint."""
    closing = list(_CLOSING.finditer(text))
    if closing:
        return closing[-1].start()
    imprint = _IMPRINT.search(text)
    return imprint.start() if imprint else len(text)


def _addenda(text: str, body_end: int) -> list[Preamble]:
    """Corrections of earlier answers ("Ergänzung", "Berichtigung") become one government
    preamble: they answer questions of another Drucksache, not items of this one."""
    marks = list(_ADDENDUM.finditer(text, 0, body_end))
    if not marks:
        return []
    start = marks[0].start()
    return [Preamble("government", _clean(text[start:body_end]), start, body_end)]


def _find_items(text: str, body_end: int) -> list[_Item]:
    marks = [m for m in _ITEM.finditer(text) if m.start() < body_end]
    items = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else body_end
        asker, party, body_start = _asker_party(text, m.end(), end)
        items.append(_Item(int(m.group(1)), m.start(), end, asker, party, body_start))
    return items


def _asker_party(text: str, pos: int, end: int) -> tuple[str, str, int]:
    """Name lines, then "(Party)"; a non-party parenthesis ("(Altötting)") is part of the name."""
    name_parts: list[str] = []
    cursor = pos
    for _ in range(4):
        nxt = text.find("(", cursor, min(end, cursor + 200))
        if nxt < 0:
            break
        m = _PAREN.match(text, nxt)
        if not m:
            break
        name_parts.append(text[cursor:nxt])
        party = _party(m.group(1))
        if party:
            return squash_ws(dehyphenate(" ".join(name_parts))), party, m.end()
        name_parts.append(f"({squash_ws(m.group(1))})")
        cursor = m.end()
    raise ParseError(f"Eintrag bei Zeichen {pos}: keine Fraktion '(...)' nach dem Namen gefunden")


def _party(raw: str) -> str:
    key = squash_ws(raw).replace("/ ", "/").lower()
    return _PARTIES.get(key, "")


def _items_to_units(
    text: str, items: list[_Item]
) -> tuple[list[Question], list[AnswerBlock], list[str]]:
    questions: list[Question] = []
    answers: list[AnswerBlock] = []
    warnings: list[str] = []
    pending: list[int] = []
    sections = _sections(text, items)
    for item in items:
        head = _ANSWER_HEAD.search(text, item.body_start, item.end)
        q_end = head.start() if head else _section_start(text, item.body_start, item.end)
        questions.append(_question(text, item, q_end))
        pending.append(item.number)
        if head:
            body = _answering_body(head, _ministry(sections, item.start))
            answers.append(_answer(text, item, head, tuple(pending), body, warnings))
            pending = []
    if pending:
        warnings.append(f"Fragen ohne Antwort: {', '.join(map(str, pending))}")
    return questions, answers, warnings


def _question(text: str, item: _Item, q_end: int) -> Question:
    return Question(
        number=item.number,
        text=_clean(text[item.body_start : q_end]),
        label=str(item.number),
        start=item.start,
        end=q_end,
        asker=item.asker,
        party=item.party,
    )


def _answer(
    text: str,
    item: _Item,
    head: re.Match[str],
    numbers: tuple[int, ...],
    answering_body: str,
    warnings: list[str],
) -> AnswerBlock:
    a_end = _section_start(text, head.end(), item.end)
    body = _clean(text[head.end() : a_end])
    note = _JOINT_NOTE.search(body[:200])
    if len(numbers) > 1 and note and _note_numbers(note) != set(numbers):
        warnings.append(f"Gemeinsame Antwort {numbers}: Text nennt '{note.group(0)}'")
    return AnswerBlock(
        questions=numbers,
        text=body,
        start=head.start(),
        end=a_end,
        answering_body=answering_body,
        date=_date(head.group(3)),
    )


def _note_numbers(note: re.Match[str]) -> set[int]:
    a, b = int(note.group(1)), int(note.group(3))
    return set(range(a, b + 1)) if note.group(2) == "bis" else {a, b}


def _section_start(text: str, start: int, end: int) -> int:
    """Start of a "Geschäftsbereich ..." heading at the end of text[start:end], else end."""
    heads = list(_SECTION.finditer(text, start, end))
    if not heads:
        return end
    tail = squash_ws(_FOOTER.sub("\n", text[heads[-1].start() : end]))
    if len(tail) > 160 or "?" in tail or "Antwort" in tail or tail.endswith("."):
        return end
    return heads[-1].start()


# --- answering body, dates --------------------------------------------------------------


def _answering_body(head: re.Match[str], ministry: str) -> str:
    case, words = head.group(1), squash_ws(head.group(2)).split()
    table = _ROLE_WORDS_DES if case == "des" else _ROLE_WORDS_DER
    role = [table.get(w, w) for w in words]
    person = " ".join(role)
    return f"{person}, {ministry}" if ministry else person


def _sections(text: str, items: list[_Item]) -> list[tuple[int, str]]:
    """(offset, ministry) of every real section heading, i.e. one directly before an item."""
    out = []
    for item in items:
        m = _last_section(text, item.start)
        if m is not None:
            heading = squash_ws(_FOOTER.sub("\n", text[m.end() : item.start]))
            out.append((m.start(), _nominative_ministry(heading)))
    return out


def _last_section(text: str, item_start: int) -> re.Match[str] | None:
    window = max(0, item_start - 400)
    heads = list(_SECTION.finditer(text, window, item_start))
    if heads and _section_start(text, heads[-1].start(), item_start) == heads[-1].start():
        return heads[-1]
    return None


def _ministry(sections: list[tuple[int, str]], before: int) -> str:
    idx = bisect.bisect_right([pos for pos, _ in sections], before) - 1
    return sections[idx][1] if idx >= 0 else ""


def _nominative_ministry(genitive: str) -> str:
    if genitive.startswith("Bundeskanzlers"):
        return "Bundeskanzleramt"
    if genitive.startswith("Auswärtigen Amt"):
        return "Auswärtiges Amt"
    return re.sub(r"^Bundesministeriums\b", "Bundesministerium", genitive)


def _date(raw: str) -> str:
    m = re.match(r"(\d{1,2})\.?\s*([A-Za-zäÄ]+)\.?\s+(\d{2})\s?(\d{2})", raw)
    if not m or m.group(2).lower() not in GERMAN_MONTHS:
        return iso_date(raw)
    month = GERMAN_MONTHS[m.group(2).lower()]
    return f"{m.group(3)}{m.group(4)}-{month:02d}-{int(m.group(1)):02d}"


# --- annexes ----------------------------------------------------------------------------


def _attach_annexes(
    text: str, body_end: int, answers: list[AnswerBlock], warnings: list[str]
) -> list[AnswerBlock]:
    """Append "Anlage zu Frage N" material (after the closing line) to the answer of N.

    The label is a page header that the text layer puts at the top or the bottom of the
    annex's first page, so content before the first label goes to the first label and
    content after a label goes to that label. Offsets of the answer stay those of its
    main text; the annex is appended to its cleaned text.
    """
    imprint = _IMPRINT.search(text, body_end)
    stop = imprint.start() if imprint else len(text)
    closing = _CLOSING.match(text, body_end)
    region_start = closing.end() if closing else body_end
    labels = list(_ANNEX.finditer(text, region_start, stop))
    if not labels:
        if squash_ws(text[region_start:stop]) and answers:
            return _extend(answers, len(answers) - 1, _clean(text[region_start:stop]))
        return answers
    pieces = _annex_pieces(text, labels, region_start, stop)
    for number, raw in pieces:
        idx = next((i for i, a in enumerate(answers) if number in a.questions), None)
        if idx is None:
            warnings.append(f"Anlage zu Frage {number}: keine Antwort mit dieser Nummer")
            idx = len(answers) - 1
        if idx >= 0 and squash_ws(raw):
            answers = _extend(answers, idx, f"Anlage zu Frage {number}:\n{_clean(raw)}")
    return answers


def _annex_pieces(
    text: str, labels: list[re.Match[str]], region_start: int, stop: int
) -> list[tuple[int, str]]:
    pieces = [(int(labels[0].group(1)), text[region_start : labels[0].start()])]
    for i, lab in enumerate(labels):
        nxt = labels[i + 1].start() if i + 1 < len(labels) else stop
        pieces.append((int(lab.group(1)), text[lab.end() : nxt]))
    return pieces


def _extend(answers: list[AnswerBlock], idx: int, extra: str) -> list[AnswerBlock]:
    a = answers[idx]
    merged = AnswerBlock(
        questions=a.questions,
        text=f"{a.text}\n{extra}" if a.text else extra,
        start=a.start,
        end=a.end,
        answering_body=a.answering_body,
        date=a.date,
    )
    return [*answers[:idx], merged, *answers[idx + 1 :]]


# --- helpers ----------------------------------------------------------------------------


def _clean(raw: str) -> str:
    raw = _FOOTER.sub("", raw)
    raw = _PAGE_HEADER.sub("", raw)
    return clean_block(raw.replace("\u2002", " "))


def _unique(values) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        if v:
            seen.setdefault(v, None)
    return tuple(seen)


def _numbering_warnings(items: list[_Item]) -> tuple[str, ...]:
    numbers = [it.number for it in items]
    missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    out = []
    if missing:
        out.append(f"Nummern fehlen: {', '.join(map(str, missing))}")
    if len(set(numbers)) != len(numbers):
        out.append("doppelte Nummern")
    return tuple(out)
