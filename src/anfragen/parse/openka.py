"""Parser for openka records (Landtag inquiries as JSON from maschinenlesbar-org/openka-cli).

`full_text` holds the question document followed by the answer document ("\\f" = page break).
The question document usually lists every question once ("Ich frage die Landesregierung:
1. ... 2. ..."); the answer document repeats each question (numbered, "Frage 1:", or without
number as in the Saarland) and answers it, either after a label ("Antwort zu 1:", "Zu 1.:",
"Zu den Fragen 1 und 2:", "Antwort:") or directly (Bayern, Nordrhein-Westfalen). Questions are
taken once from the list where it exists; answer blocks get the numbers of their label or of
the question repeats before them, so joint answers stay joint. Metadata comes from the record
fields and, where the print states it more precisely, from the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

from anfragen.errors import ParseError
from anfragen.models import AnswerBlock, Inquiry, Preamble, Question, SourceDoc

from .textclean import clean_block, iso_date, squash_ws

FAMILY = "openka"

PARLIAMENTS = {
    "berlin": "Abgeordnetenhaus Berlin",
    "saarland": "Landtag des Saarlandes",
    "bayern": "Bayerischer Landtag",
    "baden-wuerttemberg": "Landtag von Baden-Württemberg",
    "nordrhein-westfalen": "Landtag Nordrhein-Westfalen",
    "thueringen": "Thüringer Landtag",
    "brandenburg": "Landtag Brandenburg",
    "bremen": "Bremische Bürgerschaft",
    "hamburg": "Hamburgische Bürgerschaft",
    "hessen": "Hessischer Landtag",
    "mecklenburg-vorpommern": "Landtag Mecklenburg-Vorpommern",
    "niedersachsen": "Niedersächsischer Landtag",
    "rheinland-pfalz": "Landtag Rheinland-Pfalz",
    "sachsen": "Sächsischer Landtag",
    "sachsen-anhalt": "Landtag von Sachsen-Anhalt",
    "schleswig-holstein": "Schleswig-Holsteinischer Landtag",
    "bundestag": "Deutscher Bundestag",
}
DOC_TYPES = {
    "kleine_anfrage": "Kleine Anfrage",
    "schriftliche_anfrage": "Schriftliche Anfrage",
    "grosse_anfrage": "Große Anfrage",
}
PARTIES = {
    "grüne": "BÜNDNIS 90/DIE GRÜNEN",
    "gru": "BÜNDNIS 90/DIE GRÜNEN",
    "bündnis 90/die grünen": "BÜNDNIS 90/DIE GRÜNEN",
    "die grünen": "BÜNDNIS 90/DIE GRÜNEN",
    "linke": "DIE LINKE",
    "die linke": "DIE LINKE",
    "fw": "FREIE WÄHLER",
    "freie wähler": "FREIE WÄHLER",
}
_PARTY_TAIL = re.compile(
    r"\s+(BÜNDNIS 90/DIE GRÜNEN|GRÜNE|CDU|CSU|SPD|AfD|FDP|DIE LINKE|Die Linke|BSW|SSW|"
    r"FREIE WÄHLER|fraktionslos)\s*$"
)
_MONTHS = r"Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
_DATE = rf"\d{{1,2}}\.\s?\d{{1,2}}\.\s?\d{{4}}|\d{{1,2}}\.\s*(?:{_MONTHS})\s+\d{{4}}"
_DATE_RE = re.compile(_DATE)

# Answer document: the line "Antwort" / "A n t w o r t" that opens it.
_ANSWER_HEAD = re.compile(r"^\s*A\s?n\s?t\s?w\s?o\s?r\s?t\s*$")
# The sentence that introduces the list of questions.
_INTRO = re.compile(
    r"(?:\b(?:ich|wir)\s+frage[n]?\s+(?:die|den)\b|\bfrage[n]?\s+(?:ich|wir)\s+(?:die|den)\b|"
    r"\b(?:wird|werden)\s+gefragt\b).*:\s*$",
    re.IGNORECASE,
)
_NUM_ITEM = re.compile(r"^\s*(\d{1,2})\.\s+(?=\S)")
_FRAGE_ITEM = re.compile(r"^\s*Frage\s+(\d{1,2})\s*:\s*")
_LABEL = re.compile(
    r"^\s*(?:Antwort\s+)?[Zz]u\s+(?:den\s+)?(?:Fragen?\s+)?(?:Nr\.\s*)?"
    r"(?P<nums>\d{1,2}[a-z]?\.?(?:\s*(?:,|und|bis|sowie|-|–)\s*\d{1,2}[a-z]?\.?)*)\s*:\s*"
)
_BARE_LABEL = re.compile(r"^\s*Antwort(?:\s+der\s+\w+)?\s*:\s*")
_PREAMBLE = re.compile(r"^\s*Vorbemerkung(?:en)?\b(?P<who>[^:]*):?\s*$")
_END_MARK = re.compile(
    r"^\s*(?:Berlin, den\b|In Vertretung\s*$|Mit freundlichen Grüßen|Hinweise des Landtagsamts|"
    r"Anlagen?\s*\*?\s*$)"
)
_SIGNER_TITLE = re.compile(
    r"^\s*(?:Staats)?(?:Minister|Senator|Staatssekretär|Ministerialdirektor)(?:in)?\s*$"
)
_Q_STOP = re.compile(
    r"^\s*(?:\d{1,2}\.\d{1,2}\.\d{4}\s*$|Begründung\s*$|Hinweise des Landtagsamts|"
    r"Anlagen?\s*\*?\s*$|Anlage \d+\s*$|[A-ZÄÖÜ][a-zäöüß]+, den \d)"
)
_FOOTER = re.compile(
    r"^\s*(?:(?:Ausgegeben|Druck|Datum des Originals|Eingegangen|Zuleitung an die "
    r"Landesregierung)\s*:|-\s*\d{1,3}\s*-\s*$|Drucksachen und Plenarprotokolle "
    r"sind im Internet|abrufbar unter: www|Gesamtherstellung: |Vertrieb: Bundesanzeiger"
    r"|ISSN 0722-8333)"  # the Bundestag's imprint, when a record holds a Bundestag print
)
_FOOTNOTE = re.compile(r"^(\d{1,2}) (?=[^\d\s])")
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß]+")
_FUNCTION_WORDS = set(
    "ab am an auf aus bei bis da das dass dem den der des die ein eine er es für hat im in ist "
    "mit nach noch nur ob oder sie so um und vom von vor was wer wie wo zu zum zur".split()
)


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    page: int
    text: str


@dataclass(frozen=True)
class _Event:
    """A question repeat ("1. ...", "Frage 1:", unnumbered) or an answer label in the answer doc."""

    pos: int
    body: int  # where the text after the marker starts
    kind: str  # "repeat" | "label"
    nums: tuple[int, ...]


@dataclass
class _Doc:
    text: str
    lines: list[_Line]
    furniture: set[int]  # indices of page header/footer/page-number/footnote lines
    norm: str  # lower-case alphanumerics of all non-furniture lines
    norm_pos: list[int]  # raw offset of each char of `norm`
    vocab: Counter
    footnotes: set[int]
    answer_line: int  # index of the "Antwort" line, -1 when none
    qend: int  # where the question document ends (start of the answer document's first page)
    title: str  # the record's title field


# --------------------------------------------------------------------------- entry points


def detect(src: SourceDoc) -> bool:
    """An openka record: a .json source whose fields name parliament, reference and askers."""
    meta = src.meta if isinstance(src.meta, dict) else {}
    if not str(src.path).lower().endswith(".json") or not src.text.strip():
        return False
    if not isinstance(meta.get("reference"), str) or not isinstance(meta.get("parliament"), str):
        return False
    return bool({"askers", "legislative_period", "document_type", "dates"} & meta.keys())


def parse(src: SourceDoc) -> Inquiry:
    try:
        return _parse(src)
    except ParseError:
        raise
    except (ValueError, IndexError, KeyError, TypeError, AttributeError) as e:
        raise ParseError(f"openka: unerwartete Struktur ({e.__class__.__name__}: {e})") from e


def _parse(src: SourceDoc) -> Inquiry:
    doc = _build_doc(src.text, str(src.meta.get("title") or ""))
    qlist = _question_list(doc)
    start, end = _answer_region(doc)
    events = _events(doc, start, end, qlist)
    if any(ev.kind == "label" for ev in events):
        blocks, repeated = _labeled_blocks(doc, events, end)
    else:
        blocks, repeated = _unlabeled_blocks(doc, events, end)
    if not blocks:
        raise ParseError("openka: keine Antwortblöcke gefunden")
    blocks = _attach_annexes(doc, blocks, end)
    questions = qlist or repeated
    preambles = _preambles(doc, start, events, end)
    return _inquiry(src, doc, questions, blocks, preambles)


# --------------------------------------------------------------------------- document model


def _split_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    pos, page = 0, 0
    for m in re.finditer(r"[\n\f]", text + "\n"):
        lines.append(_Line(pos, m.start(), page, text[pos : m.start()]))
        if m.group() == "\f":
            page += 1
        pos = m.end()
    return lines


def _build_doc(text: str, title: str = "") -> _Doc:
    lines = _split_lines(text)
    furniture = _furniture(lines)
    footnotes: set[int] = set()
    for page in sorted({ln.page for ln in lines}):
        idx = [i for i, ln in enumerate(lines) if ln.page == page and i not in furniture]
        found = _footnote_lines(lines, idx)
        furniture.update(found)
        footnotes.update(
            int(_FOOTNOTE.match(lines[i].text).group(1))
            for i in found
            if _FOOTNOTE.match(lines[i].text)
        )
    norm, norm_pos = [], []
    for i, ln in enumerate(lines):
        if i in furniture:
            continue
        for k, ch in enumerate(ln.text):
            if ch.isalnum():
                norm.append(ch.lower())
                norm_pos.append(ln.start + k)
    vocab = _vocabulary(clean_block(text))
    heads = [i for i, ln in enumerate(lines) if _ANSWER_HEAD.match(ln.text)]
    head = heads[-1] if heads else -1
    return _Doc(
        text,
        lines,
        furniture,
        "".join(norm),
        norm_pos,
        vocab,
        footnotes,
        head,
        _question_doc_end(lines, head),
        title,
    )


def _question_doc_end(lines: list[_Line], head: int) -> int:
    """Start of the answer document: its title page when "Antwort" stands in that page's
    head (under "... Drucksache ..."), else the "Antwort" line itself."""
    if head < 0:
        return 0
    above = [ln for ln in lines[:head] if ln.page == lines[head].page and ln.text.strip()]
    if above and "Drucksache" in above[0].text and len(above) <= 6:
        return above[0].start
    return lines[head].start


def _vocabulary(text: str) -> Counter:
    """Word counts (lower case) plus counts of adjacent pairs "a b" for `_mend_split_words`."""
    words = [w.lower() for w in _WORD.findall(text)]
    vocab = Counter(words)
    vocab.update(
        m.group(1).lower() + " " + m.group(2).lower()
        for m in re.finditer(r"(?=\b([A-Za-zÄÖÜäöüß]+) ([A-Za-zÄÖÜäöüß]+)\b)", text)
    )
    return vocab


def _furniture(lines: list[_Line]) -> set[int]:
    """Page headers (first line of a page naming the Drucksache), footers, page numbers."""
    out: set[int] = set()
    by_page: dict[int, list[int]] = {}
    for i, ln in enumerate(lines):
        if ln.text.strip():
            by_page.setdefault(ln.page, []).append(i)
    for page, idx in by_page.items():
        first, last = idx[0], idx[-1]
        if page > 0 and _is_page_header(lines[first].text):
            out.add(first)
        for i in (first, last):
            if re.fullmatch(r"\s*(?:-\s*)?\d{1,3}(?:\s*-)?\s*", lines[i].text):
                out.add(i)
        out.update(i for i in idx if _FOOTER.match(lines[i].text))
    return out


def _is_page_header(line: str) -> bool:
    """ "Drucksache 17/1330 Landtag des Saarlandes", "LANDTAG ... Drucksache 18/14087"."""
    if len(line) > 120 or not re.search(r"Drucksache\s+\d+\s*/\s*\d", line):
        return False
    return line.strip().startswith("Drucksache") or bool(
        re.search(r"Landtag|LANDTAG|Wahlperiode|Seite", line)
    )


def _footnote_lines(lines: list[_Line], idx: list[int]) -> list[int]:
    """The footnote block at the bottom of a page: consecutive numbers, each referenced above."""
    body = [i for i in idx if lines[i].text.strip()]
    starts = [(i, int(m.group(1))) for i in body if (m := _FOOTNOTE.match(lines[i].text))]
    for k in range(len(starts)):
        seq = starts[k:]
        nums = [n for _, n in seq]
        if nums != list(range(nums[0], nums[0] + len(nums))):
            continue
        tail = [i for i in body if i >= seq[0][0]]
        above = " ".join(lines[i].text for i in body if i < seq[0][0])
        marker = re.search(rf"(?:[^\s\d/.,:-]|(?<=[a-zäöüß])\.){nums[0]}(?!\d)", above)
        if len(tail) <= 3 * len(seq) and marker:
            return tail
    return []


def _line_at(doc: _Doc, pos: int) -> int:
    return max(0, bisect_left([ln.end for ln in doc.lines], pos))


def _find_norm(doc: _Doc, needle: str, start: int, end: int) -> tuple[int, int] | None:
    """Raw span of the first match of a normalised needle in text[start:end]."""
    if not needle:
        return None
    lo = bisect_left(doc.norm_pos, start)
    k = doc.norm.find(needle, lo)
    if k < 0 or doc.norm_pos[k + len(needle) - 1] >= end:
        return None
    return doc.norm_pos[k], doc.norm_pos[k + len(needle) - 1] + 1


def _norm(text: str) -> str:
    return "".join(ch.lower() for ch in text if ch.isalnum())


# --------------------------------------------------------------------------- cleaning


def _clean(doc: _Doc, start: int, end: int) -> str:
    """Cleaned text of a raw span: furniture dropped, page breaks closed, words mended."""
    kept: list[str] = []
    page = None
    for i in range(_line_at(doc, start), len(doc.lines)):
        ln = doc.lines[i]
        if ln.start >= end:
            break
        if page is not None and ln.page != page:
            while kept and not kept[-1].strip():
                kept.pop()
            page = -1  # blank lines right after a page break are no paragraph breaks
        if i in doc.furniture:
            continue
        piece = doc.text[max(ln.start, start) : min(ln.end, end)]
        if page == -1 and not piece.strip():
            continue
        kept.append(piece)
        page = ln.page
    text = clean_block("\n".join(kept))
    text = re.sub(r"\b([A-ZÄÖÜ]{1,5}) -(?=[A-ZÄÖÜ])", r"\1-", text)
    if doc.footnotes:
        text = re.sub(
            r"(?<=[a-zäöüß.“”\")])(\d{1,2})(?=\s|$)",
            lambda m: "" if int(m.group(1)) in doc.footnotes else m.group(1),
            text,
        )
    return _mend_split_words(text, doc.vocab)


def _mend_split_words(text: str, vocab: Counter) -> str:
    """Join "Förderschu len" -> "Förderschulen" when the joined word occurs elsewhere in the
    document and one part never occurs on its own there (so "so dass" stays)."""
    pat = re.compile(r"\b([A-Za-zÄÖÜäöüß]+) ([a-zäöüß]+)\b")
    pos = 0
    while m := pat.search(text, pos):
        a, b = m.group(1), m.group(2)
        if _is_split_word(a.lower(), b, vocab):
            text = text[: m.start()] + a + b + text[m.end() :]
            pos = m.start()
        else:
            pos = m.start(2)
    return text


def _is_split_word(a: str, b: str, vocab: Counter) -> bool:
    pair = vocab[f"{a} {b}"]
    known = any(vocab[a + b + end] for end in ("", "e", "en", "er", "es", "em", "n", "s"))
    if not known or not pair:
        return False
    fragment = [w for w in (a, b) if vocab[w] <= pair]
    return any(w not in _FUNCTION_WORDS for w in fragment)


def _question_text(doc: _Doc, start: int, end: int) -> str:
    text = _clean(doc, start, end)
    text = re.sub(r"(?<=[?.!)“\"])\s*\d{1,2}\s*$", "", text)  # table-of-contents page numbers
    text = re.sub(r"^([A-ZÄÖÜ]) (?=[a-zäöüß])", r"\1", text)  # "W ie viele" -> "Wie viele"
    return text.strip()


# --------------------------------------------------------------------------- questions


def _question_list(doc: _Doc) -> list[Question]:
    """The numbered questions of the question document, after "Ich frage die ...:"."""
    qend = doc.qend
    intro = [i for i, ln in enumerate(doc.lines) if ln.end <= qend and _INTRO.search(ln.text)]
    if not intro:
        return []
    starts: list[tuple[int, int, int]] = []  # (number, line start, text start)
    for i in range(intro[-1] + 1, _line_at(doc, qend)):
        m = _NUM_ITEM.match(doc.lines[i].text)
        if m and i not in doc.furniture and int(m.group(1)) == len(starts) + 1:
            starts.append((int(m.group(1)), doc.lines[i].start, doc.lines[i].start + m.end()))
    if not starts:
        return []
    stop = _list_stop(doc, starts[-1][2], qend)
    out = []
    for k, (n, _, body) in enumerate(starts):
        end = starts[k + 1][1] if k + 1 < len(starts) else stop
        out.append(Question(n, _question_text(doc, body, end), str(n), body, end))
    return out


def _list_stop(doc: _Doc, start: int, qend: int) -> int:
    """End of the last listed question: signature, date, "Begründung", notes."""
    names = _asker_surnames(doc)
    for i in range(_line_at(doc, start) + 1, _line_at(doc, qend)):
        ln = doc.lines[i]
        if i in doc.furniture:
            continue
        short_name = len(ln.text.split()) <= 5 and any(s in ln.text for s in names)
        if _Q_STOP.match(ln.text) or (short_name and "?" not in ln.text):
            return ln.start
    return qend


def _asker_surnames(doc: _Doc) -> list[str]:
    names = _printed_askers(doc.text[: doc.qend])[0]
    return [n.split()[-1] for n in names if n.split()]


# --------------------------------------------------------------------------- answer document


def _answer_region(doc: _Doc) -> tuple[int, int]:
    """From the line after "Antwort" to the signature (or the end of the text)."""
    start = doc.lines[doc.answer_line].end if doc.answer_line >= 0 else 0
    lines = doc.lines
    for i in range(_line_at(doc, start) + 1, len(lines)):
        if i in doc.furniture:
            continue
        if _END_MARK.match(lines[i].text):
            return start, lines[i].start
        if _SIGNER_TITLE.match(lines[i].text):
            prev = max(j for j in range(i) if lines[j].text.strip())
            return start, lines[prev].start
    return start, len(doc.text)


def _labels(doc: _Doc, start: int, end: int) -> list[_Event]:
    out = []
    for i in range(_line_at(doc, start), len(doc.lines)):
        ln = doc.lines[i]
        if ln.start >= end:
            break
        if i in doc.furniture or ln.start < start:
            continue
        if m := _LABEL.match(ln.text):
            out.append(_Event(ln.start, ln.start + m.end(), "label", _numbers(m.group("nums"))))
        elif m := _BARE_LABEL.match(ln.text):
            out.append(_Event(ln.start, ln.start + m.end(), "label", ()))
    return out


def _numbers(spec: str) -> tuple[int, ...]:
    """ "1. und 2." -> (1, 2); "1 bis 3" -> (1, 2, 3); "3a" -> (3,)."""
    out: list[int] = []
    parts = re.findall(r"(\d{1,2})[a-z]?\.?\s*(bis|-|–)?", spec)
    pending_range = False
    for num, rng in parts:
        n = int(num)
        if pending_range and out:
            out.extend(range(out[-1] + 1, n + 1))
        elif n not in out:
            out.append(n)
        pending_range = bool(rng)
    return tuple(out)


def _events(doc: _Doc, start: int, end: int, qlist: list[Question]) -> list[_Event]:
    labels = _labels(doc, start, end)
    numbers = [q.number for q in qlist] or list(range(1, 100))
    repeats: list[_Event] = []
    pos = start
    for n in numbers:
        ev = _numbered_repeat(doc, n, pos, end, qlist, labels)
        if ev is None and qlist:
            ev = _text_repeat(doc, n, pos, end, qlist)
        if ev is None:
            if not qlist:
                break
            continue
        repeats.append(ev)
        pos = ev.body
    return sorted(labels + repeats, key=lambda ev: (ev.pos, ev.kind == "label"))


def _numbered_repeat(
    doc: _Doc, n: int, pos: int, end: int, qlist: list[Question], labels: list[_Event]
) -> _Event | None:
    """The next line "n. ..." or "Frage n:" that really repeats question n."""
    for i in range(_line_at(doc, pos), len(doc.lines)):
        ln = doc.lines[i]
        if ln.start >= end:
            return None
        if ln.start < pos or i in doc.furniture:
            continue
        m = _FRAGE_ITEM.match(ln.text) or _NUM_ITEM.match(ln.text)
        if not m or int(m.group(1)) != n:
            continue
        ev = _Event(ln.start, ln.start + m.end(), "repeat", (n,))
        if _plausible_repeat(doc, ev, qlist, labels):
            return ev
    return None


def _plausible_repeat(doc: _Doc, ev: _Event, qlist: list[Question], labels: list[_Event]) -> bool:
    n = ev.nums[0]
    listed = [q for q in qlist if q.number == n]
    if listed:
        want = _norm(listed[0].text)[:40]
        got = _norm(doc.text[ev.body : ev.body + 200])[: len(want)]
        return SequenceMatcher(None, want, got).ratio() >= 0.75
    nxt = [lab for lab in labels if lab.pos > ev.pos]
    return not labels or bool(nxt and (not nxt[0].nums or n in nxt[0].nums))


def _text_repeat(doc: _Doc, n: int, pos: int, end: int, qlist: list[Question]) -> _Event | None:
    """An unnumbered repeat (Saarland): the question's own words found again."""
    listed = [q for q in qlist if q.number == n]
    if not listed:
        return None
    span = _find_norm(doc, _norm(listed[0].text)[:60], pos, end)
    if span is None:
        return None
    return _Event(span[0], span[0], "repeat", (n,))


def _labeled_blocks(
    doc: _Doc, events: list[_Event], end: int
) -> tuple[list[AnswerBlock], list[Question]]:
    blocks, questions, pending = [], [], []
    for k, ev in enumerate(events):
        nxt = events[k + 1].pos if k + 1 < len(events) else end
        if ev.kind == "repeat":
            pending.append(ev.nums[0])
            if ev.body > ev.pos:
                n = ev.nums[0]
                questions.append(
                    Question(n, _question_text(doc, ev.body, nxt), str(n), ev.body, nxt)
                )
            continue
        nums = ev.nums or tuple(pending)
        pending = []
        if nums:
            blocks.append(AnswerBlock(nums, _clean(doc, ev.body, nxt), ev.body, nxt))
    return blocks, questions


def _unlabeled_blocks(
    doc: _Doc, events: list[_Event], end: int
) -> tuple[list[AnswerBlock], list[Question]]:
    """Question repeat, then its answer; a repeat with nothing after it joins the next one."""
    blocks, questions, pending = [], [], []
    for k, ev in enumerate(events):
        nxt = events[k + 1].pos if k + 1 < len(events) else end
        qend = _repeat_end(doc, ev.body, nxt)
        n = ev.nums[0]
        questions.append(Question(n, _question_text(doc, ev.body, qend), str(n), ev.body, qend))
        pending.append(n)
        text = _clean(doc, qend, nxt)
        if text:
            blocks.append(AnswerBlock(tuple(pending), text, qend, nxt))
            pending = []
    return blocks, questions


def _repeat_end(doc: _Doc, start: int, limit: int) -> int:
    """End of a repeated question: its paragraph end, or the line ending in "?"."""
    seen = ""
    for i in range(_line_at(doc, start), len(doc.lines)):
        ln = doc.lines[i]
        if ln.start >= limit:
            break
        if i in doc.furniture:
            continue
        piece = doc.text[max(ln.start, start) : ln.end].strip()
        if not piece and seen:
            return ln.start
        seen += " " + piece
        if re.search(r"\?[“\"]?\)?$", piece) or (piece.endswith(")") and "?" in seen):
            return min(ln.end, limit)
    return limit


def _attach_annexes(doc: _Doc, blocks: list[AnswerBlock], end: int) -> list[AnswerBlock]:
    """Annexes "Anlage zur Beantwortung von Frage n" after the signature join answer n."""
    heads = []
    for i in range(_line_at(doc, end), len(doc.lines) - 1):
        m = re.match(
            r"^\s*Anlage zur Beantwortung (?:von |der )?Frage (\d{1,2})", doc.lines[i].text
        )
        if m and re.match(r"^\s*Anlage \d+\s*$", doc.lines[i - 1].text):
            heads.append((int(m.group(1)), doc.lines[i - 1].start))
    out = list(blocks)
    for k, (n, pos) in enumerate(heads):
        stop = heads[k + 1][1] if k + 1 < len(heads) else len(doc.text)
        for j, b in enumerate(out):
            if n in b.questions:
                text = f"{b.text}\n{_clean(doc, pos, stop)}"
                out[j] = AnswerBlock(b.questions, text, b.start, b.end)
                break
    return out


# --------------------------------------------------------------------------- preambles


def _preambles(doc: _Doc, start: int, events: list[_Event], end: int) -> list[Preamble]:
    first = events[0].pos if events else end
    out = _askers_preambles(doc)
    marks = []
    for i in range(_line_at(doc, start), _line_at(doc, first)):
        m = _PREAMBLE.match(doc.lines[i].text)
        if m and i not in doc.furniture and doc.lines[i].start >= start:
            marks.append((doc.lines[i], m.group("who")))
    for k, (ln, who) in enumerate(marks):
        stop = marks[k + 1][0].start if k + 1 < len(marks) else first
        side = "askers" if re.search(r"Frage|Abgeordnet|Anfrage", who) else "government"
        if side == "askers" and out:
            continue  # the askers' text is taken from the question document
        text = _clean(doc, ln.end, stop)
        if text:
            out.append(Preamble(side, text, ln.end, stop))
    return out


def _askers_preambles(doc: _Doc) -> list[Preamble]:
    """The askers' introduction before "Ich frage ...:" and a "Begründung" after the list."""
    if doc.answer_line < 0:
        return []
    qend = doc.qend
    intro = [i for i, ln in enumerate(doc.lines) if ln.end <= qend and _INTRO.search(ln.text)]
    title = _title_span(doc)
    out = []
    if intro and title:
        a, b = doc.lines[_line_at(doc, title[1])].end, doc.lines[intro[-1]].start
        if a < b and (text := _clean(doc, a, b)):
            out.append(Preamble("askers", text, a, b))
    for i, ln in enumerate(doc.lines):
        if ln.end <= qend and re.fullmatch(r"\s*Begründung:?\s*", ln.text) and intro:
            if i > intro[-1] and (text := _clean(doc, ln.end, qend)):
                out.append(Preamble("askers", text, ln.end, qend))
    return out


# --------------------------------------------------------------------------- metadata


def _title_span(doc: _Doc) -> tuple[int, int] | None:
    """Where the record's title is printed in the question document (tolerant to its start)."""
    qend = doc.qend if doc.answer_line >= 0 else len(doc.text)
    words = doc.title.split()
    for skip in range(min(3, max(len(words) - 2, 0)) + 1):
        span = _find_norm(doc, _norm(" ".join(words[skip:])), 0, qend)
        if span:
            return span
    return None


def _printed_title(doc: _Doc) -> str:
    span = _title_span(doc)
    if span is None:
        return ""
    a = doc.lines[_line_at(doc, span[0])].start
    b = doc.lines[_line_at(doc, span[1] - 1)].end
    text = squash_ws(_clean(doc, a, b))
    return re.sub(r"^(?:betr\.|Betreff|zum Thema|über)\s*:?\s*", "", text)


def _printed_askers(header: str) -> tuple[list[str], str]:
    """Names and party from "der Abgeordneten A, B und C (PARTEI)" in the document head."""
    lines = header.replace("\f", "\n").split("\n")
    for k, line in enumerate(lines):
        m = re.match(r"^\s*(?:des|der) (?:Abgeordneten|Abg\.)\s+(.+)$", line)
        if not m:
            continue
        text = m.group(1)
        for nxt in lines[k + 1 : k + 3]:
            if not text.rstrip().endswith(",") or not nxt.strip():
                break
            text += " " + nxt.strip()
        party = ""
        if pm := re.search(r"\s*\(([^)]+)\)\s*$", text) or _PARTY_TAIL.search(text):
            party, text = pm.group(1), text[: pm.start()]
        names = [n.strip() for n in re.split(r",|\bund\b", text) if n.strip()]
        return names, party
    return [], ""


def _party(name: str) -> str:
    return PARTIES.get(name.strip().lower(), name.strip())


def _askers(doc: _Doc, meta: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names, party = _printed_askers(doc.text[: doc.qend] if doc.answer_line >= 0 else doc.text)
    recs = [a for a in meta.get("askers") or [] if isinstance(a, dict) and a.get("name")]
    with_party = [a for a in recs if a.get("party")] or recs
    if not names:
        names = [str(a["name"]) for a in with_party]
    parties = [party] if party else [str(a["party"]) for a in with_party if a.get("party")]
    return tuple(names), tuple(dict.fromkeys(_party(p) for p in parties if p))


def _date_in(text: str, pattern: str = "") -> str:
    m = re.search(pattern + rf"({_DATE})", text)
    return iso_date(m.group(1)) if m else ""


def _dates(doc: _Doc, meta: dict) -> tuple[str, str]:
    dates = meta.get("dates") if isinstance(meta.get("dates"), dict) else {}
    head_end = _title_span(doc)
    qdoc = doc.text[: doc.qend]
    header = qdoc[: head_end[0]] if head_end else qdoc[:600]
    asked = _date_in(header, r"\bvom\s+") or _date_in(header) or str(dates.get("submitted") or "")
    adoc = squash_ws(doc.text[len(qdoc) :])
    answered = _date_in(adoc, r"Schreiben vom\s+") or _date_in(doc.text, r"Antwort vom\s+")
    if not answered and doc.answer_line >= 0:
        after = doc.lines[doc.answer_line + 1 : doc.answer_line + 5]
        answered = _date_in(" ".join(ln.text for ln in after), r"\bvom\s+")
        page = doc.lines[doc.answer_line].page
        head = [ln.text for ln in doc.lines[: doc.answer_line] if ln.page == page]
        answered = answered or _date_in(" ".join(head))
    return asked, answered or str(dates.get("answered") or "")


def _answering_body(doc: _Doc, meta: dict) -> str:
    adoc = squash_ws(clean_block(doc.text[doc.lines[max(doc.answer_line, 0)].start :]))
    for pat in (
        r"\b(?:Der|Die) (?:Staats)?Minister(?:in)? (für .+?) hat\b",
        r"\bDas ((?:\w+ )?(?:Staats)?[Mm]inisterium für .+?) hat\b",
        r"\bbeantwortet das ((?:\w+ )?(?:Staats)?[Mm]inisterium für .+?) die\b",
    ):
        if m := re.search(pat, adoc):
            body = m.group(1)
            return f"Ministerium {body}" if body.startswith("für ") else body
    ministry = str((meta.get("answered_by") or {}).get("ministry") or "")
    m = re.search(r"(?m)^\s*Antwort\s*\n\s*(?:des|der) ([^\n]+)", doc.text)
    printed = re.sub(r"(ministeri)ums\b", r"\1um", m.group(1).strip()) if m else ""
    if printed and printed != "Landesregierung":
        return printed
    if " " in ministry:
        return ministry
    return printed or ministry


def _url(meta: dict) -> str:
    docs = [d for d in meta.get("source_documents") or [] if isinstance(d, dict) and d.get("url")]
    for role in ("combined_pdf", "answer_pdf", "question_pdf"):
        for d in docs:
            if d.get("role") == role:
                return str(d["url"])
    return str(docs[0]["url"]) if docs else ""


def _inquiry(
    src: SourceDoc,
    doc: _Doc,
    questions: list[Question],
    blocks: list[AnswerBlock],
    preambles: list[Preamble],
) -> Inquiry:
    meta = src.meta
    askers, parties = _askers(doc, meta)
    asked, answered = _dates(doc, meta)
    ref = str(meta.get("reference") or "")
    wp = str(meta.get("legislative_period") or (ref.split("/")[0] if "/" in ref else ""))
    return Inquiry(
        doc_id=src.doc_id,
        source=src.path,
        family=FAMILY,
        parliament=PARLIAMENTS.get(str(meta.get("parliament")), str(meta.get("parliament"))),
        wahlperiode=wp,
        drucksache=ref,
        title=_printed_title(doc) or doc.title,
        doc_type=DOC_TYPES.get(
            str(meta.get("document_type")), str(meta.get("document_type") or "")
        ),
        askers=askers,
        parties=parties,
        answering_body=_answering_body(doc, meta),
        date_asked=asked,
        date_answered=answered,
        url=_url(meta),
        preambles=tuple(preambles),
        questions=tuple(questions),
        answers=tuple(blocks),
        warnings=_warnings(questions, blocks),
    )


def _warnings(questions: list[Question], blocks: list[AnswerBlock]) -> tuple[str, ...]:
    asked = {q.number for q in questions}
    answered = {n for b in blocks for n in b.questions}
    out = []
    if missing := sorted(asked - answered):
        out.append(f"Fragen ohne Antwort: {missing}")
    if extra := sorted(answered - asked):
        out.append(f"Antworten zu nicht gefundenen Fragen: {extra}")
    return tuple(out)
