"""Parser for the Niedersächsischer Landtag's Kleine Anfragen zur schriftlichen Beantwortung.

Shape (text extracted from the PDF): every page starts with "Niedersächsischer Landtag –
19. Wahlperiode Drucksache 19/11251" and a page number; footnotes sit at the page bottom
("1  https://..."), their markers in the running text ("Fälle. 1", "Deutschland.2"). Page 1
holds askers, ministry, title, the dates received and answered; then "Vorbemerkung der
Abgeordneten", sometimes "Vorbemerkung der Landesregierung", then each question as printed
("1. Welche ...?") directly followed by its answer. Questions printed one after another with a
single answer below them are answered jointly. "(verteilt am ...)" ends the answer; annexes
(tables) may follow it.

The text is read as a list of lines, each classified as page furniture (header, page number,
footnote, blank) or content; segments are runs of content lines, so offsets stay raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from anfragen.errors import ParseError
from anfragen.models import AnswerBlock, Inquiry, Preamble, Question, SourceDoc

from .textclean import dehyphenate, iso_date

FAMILY = "niedersachsen"
PARLIAMENT = "Niedersächsischer Landtag"
DOC_TYPE = "Kleine Anfrage zur schriftlichen Beantwortung"

_HEADER = re.compile(
    r"^Niedersächsischer Landtag\s*[–-]\s*(\d+)\.\s*Wahlperiode\s+Drucksache\s+(\d+/\d+)\s*$"
)
_PAGE_NO = re.compile(r"^\d{1,3}$")
_FOOTNOTE = re.compile(r"^(\d{1,3})[ \t]+\S")
_VERTEILT = re.compile(r"^\(verteilt am")
_QUESTION = re.compile(r"^(\d{1,3})\.[ \t]+(\S)")
_SECTION = re.compile(r"^(?:[IVX]+|[A-H])\.[ \t]+\S")  # "I. Sanierungsstand, ..." group titles
_VORBEMERKUNG = re.compile(r"^Vorbemerkung(?:en)? (der|des) ([A-Za-zÄÖÜäöüß]+)\s*:?$")
_SUBQUESTION = re.compile(r"^[a-z]{1,2}\)\s|^[a-z]\.\s|^[-–•]\s")
_MAX_FOOTNOTE_LINES = 16


@dataclass
class _Line:
    start: int
    end: int
    text: str  # stripped raw text
    kind: str = "text"  # text | header | pageno | blank | footnote | verteilt
    page: int = 0
    gap: str = ""  # "", "blank" or "page": what separates it from the previous content line


def detect(src: SourceDoc) -> bool:
    head = src.text.lstrip()[:200].split("\n", 1)[0]
    return bool(_HEADER.match(head.strip()))


def parse(src: SourceDoc) -> Inquiry:
    lines = _classify(src.text)
    content = [ln for ln in lines if ln.kind == "text"]
    footnotes = _footnote_numbers(lines)
    header = _header(src, lines, footnotes)
    base = Inquiry(
        doc_id=src.doc_id, source=src.path, family=FAMILY, parliament=PARLIAMENT, **header
    )
    if not any(ln.text.startswith("Kleine Anfrage") for ln in content[:12]):
        # e.g. an "Unterrichtung" withdrawing an answer: metadata only, the caller falls back
        kind = content[0].text if content else "?"
        return replace(base, doc_type=kind, warnings=(f"keine Kleine Anfrage ({kind})",))
    preambles, first_q = _preambles(content, _first_body_line(content), footnotes)
    questions, answers, warnings = _questions(content, first_q, footnotes, header)
    if _has_annex(lines):
        warnings.append("Anlage nach '(verteilt am ...)' an die letzte Antwort angehängt")
    return replace(
        base,
        preambles=tuple(preambles),
        questions=tuple(questions),
        answers=tuple(answers),
        warnings=tuple(warnings),
    )


# --- lines and page furniture -------------------------------------------------------------


def _classify(text: str) -> list[_Line]:
    lines: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        lines.append(_Line(pos, pos + len(raw), raw.strip()))
        pos += len(raw) + 1
    page, after_header = 0, False
    for ln in lines:
        if _HEADER.match(ln.text):
            page += 1
            ln.kind, after_header = "header", True
        elif not ln.text:
            ln.kind = "blank"
        elif after_header and _PAGE_NO.match(ln.text):
            ln.kind, after_header = "pageno", False
        else:
            after_header = False
        ln.page = page
    _mark_verteilt(lines)
    _mark_footnotes(lines)
    _mark_gaps(lines)
    return lines


def _mark_verteilt(lines: list[_Line]) -> None:
    """'(verteilt am ...)' closes the Drucksache; what follows is an annex (still content)."""
    for ln in lines:
        if _VERTEILT.match(ln.text):
            ln.kind = "verteilt"


def _has_annex(lines: list[_Line]) -> bool:
    seen = False
    for ln in lines:
        seen = seen or ln.kind == "verteilt"
        if seen and ln.kind == "text":
            return True
    return False


def _mark_footnotes(lines: list[_Line]) -> None:
    """A footnote block starts after a blank line with the next footnote number and runs to
    the page end (the next header or '(verteilt am')."""
    expected = 1
    i = 0
    while i < len(lines):
        ln = lines[i]
        m = _FOOTNOTE.match(ln.text) if ln.kind == "text" else None
        if m and expected <= int(m.group(1)) <= expected + 2 and _after_blank(lines, i):
            stop = _page_end(lines, i)
            block = lines[i:stop]
            if len(block) <= _MAX_FOOTNOTE_LINES and not any(_looks_structural(b) for b in block):
                for b in block:
                    if b.kind == "text":
                        b.kind = "footnote"
                        fm = _FOOTNOTE.match(b.text)
                        if fm and int(fm.group(1)) >= expected:
                            expected = int(fm.group(1)) + 1
                i = stop
                continue
        i += 1


def _after_blank(lines: list[_Line], i: int) -> bool:
    return i > 0 and lines[i - 1].kind in ("blank", "pageno", "header")


def _page_end(lines: list[_Line], i: int) -> int:
    j = i
    while j < len(lines) and lines[j].kind not in ("header", "verteilt"):
        j += 1
    return j


def _looks_structural(ln: _Line) -> bool:
    return bool(_QUESTION.match(ln.text) or ln.text.startswith("Vorbemerkung"))


def _mark_gaps(lines: list[_Line]) -> None:
    gap = "page"
    for ln in lines:
        if ln.kind == "text":
            ln.gap, gap = gap, ""
        elif ln.kind in ("header", "pageno", "footnote", "verteilt"):
            gap = "page" if ln.kind != "verteilt" else "blank"
        elif ln.kind == "blank" and gap != "page":
            gap = "blank"


def _footnote_numbers(lines: list[_Line]) -> dict[int, set[int]]:
    """Footnote numbers per page."""
    out: dict[int, set[int]] = {}
    for ln in lines:
        if ln.kind == "footnote" and (m := _FOOTNOTE.match(ln.text)):
            out.setdefault(ln.page, set()).add(int(m.group(1)))
    return out


# --- metadata from page 1 -------------------------------------------------------------------


def _first_body_line(content: list[_Line]) -> int:
    """Index of the first content line after the title block (a Vorbemerkung or question 1)."""
    for i, ln in enumerate(content):
        if ln.gap and (_VORBEMERKUNG.match(ln.text) or _question_no(ln) == 1):
            return i
    raise ParseError("weder 'Vorbemerkung' noch Frage 1 gefunden")


def _header(src: SourceDoc, lines: list[_Line], footnotes: dict[int, set[int]]) -> dict:
    content = [ln for ln in lines if ln.kind == "text"]
    try:
        head = content[: _first_body_line(content)]
    except ParseError:
        head = content[:40]
    front = _join_clean(head, footnotes, paragraphs=False)
    meta = src.meta
    first = next((ln for ln in lines if ln.kind == "header"), None)
    hm = _HEADER.match(first.text) if first else None
    if not hm:
        raise ParseError("Kopfzeile 'Niedersächsischer Landtag – ... Drucksache' fehlt")
    askers_text = _first(r"Anfrage (?:der|des) Abgeordneten (.+?)\s+Antwort (?:des|der) ", front)
    askers_text = askers_text or str(meta.get("anfragende") or "")
    askers, parties = _askers(askers_text)
    return {
        "wahlperiode": hm.group(1),
        "drucksache": hm.group(2),
        "title": _title(front) or str(meta.get("title") or ""),
        "doc_type": DOC_TYPE if "Kleine Anfrage" in front else _doc_type(front),
        "askers": askers,
        "parties": parties,
        "answering_body": _ministry(front),
        "date_asked": iso_date(_first(r"eingegangen am\s+([\d.\s]+\d)", front)),
        "date_answered": iso_date(
            _first(r"namens der Landesregierung vom\s+([\d.\s]+\d)", front)
            or str(meta.get("antwortdatum") or "")
        ),
        "url": str(meta.get("pdf_url") or meta.get("url") or ""),
    }


def _first(pattern: str, text: str) -> str:
    m = re.search(pattern, text, re.S)
    return m.group(1).strip() if m else ""


def _doc_type(front: str) -> str:
    return front.split("\n", 1)[0].strip()[:80] if front else ""


def _title(front: str) -> str:
    return _first(
        r"namens der Landesregierung\s+(.+?)\s+Anfrage (?:der|des) Abgeordneten .{0,300}?"
        r"eingegangen",
        front,
    )


def _askers(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """'A, B und C (CDU)' / 'A (CDU) und B (SPD)' -> names and factions as printed."""
    names: list[str] = []
    parties: list[str] = []
    for group, party in re.findall(r"([^()]+)\(([^()]+)\)", text):
        parties.append(party.strip())
        for name in re.split(r",\s*|\s+und\s+", group.strip(" ,")):
            name = re.sub(r"^und\s+", "", name.strip())
            if name:
                names.append(name)
    if not names and text.strip():
        names = [n.strip() for n in re.split(r",\s*|\s+und\s+", text) if n.strip()]
    return tuple(dict.fromkeys(names)), tuple(dict.fromkeys(parties))


def _ministry(front: str) -> str:
    """'Antwort des Niedersächsischen Ministeriums für X namens ...' -> 'Niedersächsisches
    Ministerium für X' (the answering body in the nominative)."""
    name = _first(r"Antwort de[sr] Niedersächsischen (.+?)\s+namens der Landesregierung", front)
    if not name:
        return ""
    if name.startswith("Staatskanzlei"):
        return f"Niedersächsische {name}"
    name = re.sub(r"^(\S*?(?:ministerium|Ministerium))s?\b", r"\1", name)
    return f"Niedersächsisches {name}"


# --- preambles, questions, answers ----------------------------------------------------------


def _question_no(ln: _Line) -> int:
    m = _QUESTION.match(ln.text)
    return int(m.group(1)) if m else 0


def _preambles(
    content: list[_Line], body_from: int, footnotes: dict[int, set[int]]
) -> tuple[list[Preamble], int]:
    """Vorbemerkungen before question 1; returns them and the index of question 1."""
    first_q = next(
        (
            i
            for i in range(body_from, len(content))
            if _question_no(content[i]) == 1 and _starts_question(content, i, False)
        ),
        -1,
    )
    if first_q < 0:
        raise ParseError("Frage 1 nicht gefunden")
    heads = [
        i
        for i in range(body_from, first_q)
        if content[i].gap and _VORBEMERKUNG.match(content[i].text)
    ]
    out = []
    for k, h in enumerate(heads):
        stop = heads[k + 1] if k + 1 < len(heads) else first_q
        body = content[h + 1 : stop]
        while body and _SECTION.match(body[-1].text) and stop == first_q:
            body = body[:-1]
        if not body:
            continue
        who = _VORBEMERKUNG.match(content[h].text).group(2)
        side = "askers" if who.startswith(("Abgeordnet", "Frage")) else "government"
        out.append(Preamble(side, _join_clean(body, footnotes), body[0].start, body[-1].end))
    return out, first_q


def _starts_question(content: list[_Line], i: int, after_question: bool) -> bool:
    """A question number opens a question after a gap, after a group title ('I. ...') or
    directly after the end of another question (joint answers)."""
    if i == 0 or content[i].gap or after_question:
        return True
    return bool(_SECTION.match(content[i - 1].text))


def _question_end(
    content: list[_Line], i: int, expected: int, footnotes: dict[int, set[int]]
) -> int:
    """Exclusive end of the question opening at line i. The printed question is bold and
    the answer follows on the next line; in text the question ends with the first line
    ending in '?' (unless sub-questions 'b)' follow), or with the first line ending in '.'
    after a '?' ("... erfasst? Bitte nach Jahren aufschlüsseln.")."""
    limit = _question_limit(content, i, expected)
    seen_q, label = False, ""
    for j in range(i, limit):
        text = _strip_markers(content[j].text, footnotes.get(content[j].page, set()))
        label = _sub_label(text) or label
        seen_q = seen_q or "?" in text
        if re.search(r"\?[)“”\"]*$", text):
            if j + 1 >= limit or not _continues(content, j + 1, limit, label):
                return j + 1
        elif seen_q and re.search(r"[.!][)“”\"]*$", text):
            return j + 1
    for j in range(i, limit):  # no question mark at all: the first finished sentence
        if re.search(r"[.:][)“”\"]*$", content[j].text):
            return j + 1
    return limit


def _question_limit(content: list[_Line], i: int, expected: int) -> int:
    """The question cannot run past a blank line or the start of the next question."""
    j = i + 1
    while j < len(content) and content[j].gap != "blank":
        if _question_no(content[j]) == expected + 1 and re.search(r"\?\W*$", content[j - 1].text):
            break
        j += 1
    return j


def _sub_label(text: str) -> str:
    m = re.match(r"([a-z])\)\s", text)
    return m.group(1) if m else ""


def _continues(content: list[_Line], j: int, limit: int, label: str) -> bool:
    """Does line j, after a line ending in '?', still belong to the question? Yes for the
    next sub-question ('b)' after 'a)'), for 'Falls ja, ...' / 'Bitte ...', and for a
    further sentence that ends in '?' within a few lines."""
    text = content[j].text
    nxt = _sub_label(text)
    if nxt and label:
        return ord(nxt) == ord(label) + 1
    if nxt and nxt != "a":
        return False
    if re.match(r"(?:Falls|Wenn ja|Wenn nein|Bitte|Und)\b", text):
        return True
    for k in range(j, min(j + 4, limit)):
        line = content[k].text
        if re.search(r"\?[)“”\"]*$", line):
            return True
        if re.search(r"[.!:](?:\s|[)“”\"]*$)", line):
            return False
    return False


def _questions(
    content: list[_Line], first_q: int, footnotes: dict[int, set[int]], header: dict
) -> tuple[list[Question], list[AnswerBlock], list[str]]:
    spans = _question_spans(content, first_q, footnotes)
    questions = [
        Question(
            n, _question_text(content[a:b], footnotes), str(n), content[a].start, content[b - 1].end
        )
        for n, a, b, _ in spans
    ]
    answers, warnings = _answer_blocks(content, spans, footnotes, header)
    return questions, answers, warnings


def _question_spans(
    content: list[_Line], first_q: int, footnotes: dict[int, set[int]]
) -> list[tuple[int, int, int, int]]:
    """(number, first line, end line of the question, end line of its answer) per question."""
    spans: list[list[int]] = []
    expected, i, after_q = 1, first_q, False
    while i < len(content):
        if _question_no(content[i]) == expected and _starts_question(content, i, after_q):
            q_end = _question_end(content, i, expected, footnotes)
            spans.append([expected, i, q_end, q_end])
            expected, i, after_q = expected + 1, q_end, True
            continue
        after_q = False
        if spans:
            spans[-1][3] = i + 1
        i += 1
    for k in range(len(spans) - 1):
        spans[k][3] = _trim_section_titles(content, spans[k][2], spans[k + 1][1])
    return [tuple(s) for s in spans]


def _trim_section_titles(content: list[_Line], a: int, b: int) -> int:
    while b > a and _SECTION.match(content[b - 1].text):
        b -= 1
    return b


def _answer_blocks(
    content: list[_Line],
    spans: list[tuple[int, int, int, int]],
    footnotes: dict[int, set[int]],
    header: dict,
) -> tuple[list[AnswerBlock], list[str]]:
    """Questions printed back to back share the answer below the last of them; a question
    followed by a blank line and the next question has no answer."""
    answers: list[AnswerBlock] = []
    warnings: list[str] = []
    group: list[int] = []
    for k, (n, _a, q_end, a_end) in enumerate(spans):
        group.append(n)
        body = content[q_end:a_end]
        if not body:
            if k + 1 < len(spans) and content[spans[k + 1][1]].gap != "blank":
                continue  # joint answer below the next question
            warnings.append(f"Frage(n) {', '.join(map(str, group))} ohne Antwort")
            group = []
            continue
        text = _join_clean(body, footnotes)
        answers.append(
            AnswerBlock(
                _joint_statement(text, group),
                text,
                body[0].start,
                body[-1].end,
                header.get("answering_body", ""),
                header.get("date_answered", ""),
            )
        )
        group = []
    return answers, warnings


_JOINT = re.compile(
    r"^(?:Die\s+)?Fragen?\s+(?:Nr\.\s*)?([\d\s,]+(?:(?:und|bis|sowie)\s+\d+)?)\s+werden\b"
    r"[^.:]{0,80}?\b(?:gemeinsam|zusammen)\s+beantwortet"
)


def _joint_statement(text: str, group: list[int]) -> tuple[int, ...]:
    """'Die Fragen 2 bis 4 werden gemeinsam beantwortet' printed below question 2 alone:
    the block answers 2, 3 and 4."""
    m = _JOINT.match(text)
    if not m:
        return tuple(group)
    spec = m.group(1)
    stated: set[int] = set()
    for lo, hi in re.findall(r"(\d+)\s*bis\s*(\d+)", spec):
        stated.update(range(int(lo), int(hi) + 1))
    stated.update(int(x) for x in re.findall(r"\d+", spec))
    if not set(group) <= stated or len(stated) > len(group) + 20:
        return tuple(group)
    return tuple(sorted(stated))


def _question_text(lines: list[_Line], footnotes: dict[int, set[int]]) -> str:
    return re.sub(r"^\d+\.\s*", "", _join_clean(lines, footnotes))


# --- cleaning -------------------------------------------------------------------------------


# Words a number legitimately follows ("Absatz 1", "Baustufe 1", "Abs. 4"), never markers.
_NUMBERED = (
    "absatz",
    "abs",
    "artikel",
    "art",
    "satz",
    "nummer",
    "nr",
    "stufe",
    "anlage",
    "anlagen",
    "kapitel",
    "gruppe",
    "klasse",
    "frage",
    "fragen",
    "teil",
    "buch",
    "jahr",
    "seite",
    "s",
    "ziffer",
    "ziff",
    "punkt",
    "phase",
    "tabelle",
    "abbildung",
    "quartal",
    "platz",
    "anhang",
    "band",
    "bd",
    "modul",
    "kategorie",
    "stand",
    "paragraf",
    "spalte",
    "zeile",
    "schritt",
    "runde",
    "welle",
    "los",
    "abschnitt",
    "kap",
    "buchst",
    "tz",
    "rn",
    "randnummer",
    "drs",
)


def _strip_markers(text: str, numbers: set[int]) -> str:
    """Remove footnote markers of this page: 'Deutschland.2', 'Anlage3', 'Werte:5',
    'Fälle. 1', 'Vertragspartner 4,', 'Zeitung 1 über'."""
    for n in sorted(numbers, reverse=True):
        text = re.sub(rf"(?<=[a-zäöüß]{{4}}){n}(?=[\s,;.:]|$)", "", text)
        text = re.sub(rf"(?<=[^\d\s][.;:!?]){n}(?=\s|$)", "", text)
        text = re.sub(rf"(?<=[)“\"’]){n}(?=\s|$)", "", text)
        text = re.sub(rf"(\w+)([.;:)“\"!?])\s{n}\s*$", _keep_numbered, text)
        text = re.sub(rf"([A-ZÄÖÜ][a-zäöüß]+) {n}(?=[,;]| [a-zäöüß])", _keep_numbered, text)
    return text


def _keep_numbered(m: re.Match[str]) -> str:
    """Drop the marker unless the word before it takes a number ('Abs. 4', 'Baustufe 1')."""
    word = m.group(1).lower()
    if any(word.endswith(w) for w in _NUMBERED if len(w) > 3) or word in _NUMBERED:
        return m.group(0)
    return m.group(1) + (m.group(2) if m.lastindex and m.lastindex >= 2 else "")


def _join_clean(lines: list[_Line], footnotes: dict[int, set[int]], paragraphs: bool = True) -> str:
    parts: list[str] = []
    for k, ln in enumerate(lines):
        text = _strip_markers(ln.text, footnotes.get(ln.page, set()))
        if k:
            new_para = paragraphs and (ln.gap == "blank" or _SUBQUESTION.match(text))
            parts.append("\n\n" if new_para else "\n")
        parts.append(text)
    joined = _dehyphenate("".join(parts))
    paras = re.split(r"\n\s*\n", joined)
    return "\n".join(p for p in (re.sub(r"\s+", " ", p).strip() for p in paras) if p)


def _dehyphenate(text: str) -> str:
    # "so-\nwie" is "sowie" (the shared keep-list takes it for "Extremismus- und").
    text = re.sub(r"\b([Ss]o)-[ \t]*\n[ \t]*(wie)\b", r"\1\2", text)
    # "KI-\ngestützte" keeps its hyphen (the shared rule would glue "KIgestützte").
    text = re.sub(r"(?<=\b[A-ZÄÖÜ]{2})-[ \t]*\n[ \t]*(?=[a-zäöüß])", "-", text)
    text = re.sub(r"(?<=\b[A-ZÄÖÜ]{3})-[ \t]*\n[ \t]*(?=[a-zäöüß])", "-", text)
    # Twice: the shared regex consumes the next word, so "Lauf-\nbahn-\ngruppe" needs two passes.
    return dehyphenate(dehyphenate(text))
