"""Parser for Bundestag answers to Kleine Anfragen (DIP text of the printed Drucksache).

Shape: a title block ("Deutscher Bundestag Drucksache 21/123 / 21. Wahlperiode 07.05.2025 /
Antwort der Bundesregierung auf die Kleine Anfrage der Abgeordneten ... – Drucksache 21/63 – /
<title>"), letter-spaced "Vorbemerkung" headings, then every question reprinted ("1. Wie ...?",
often padded with an en space) followed by its answer. The page-1 transmission note is spliced
into the running text and names the answering ministry.

Question starts are ambiguous (answers hold numbered lists and dates such as "1. Januar"), so
all candidate lines are scored and the best chain of increasing question numbers is chosen.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from anfragen.errors import ParseError
from anfragen.models import AnswerBlock, Inquiry, Preamble, Question, SourceDoc

from .textclean import GERMAN_MONTHS, dehyphenate, iso_date

FAMILY = "bundestag"
PARLIAMENT = "Deutscher Bundestag"
DOC_TYPE = "Kleine Anfrage"

_DETECT = re.compile(
    r"\ADeutscher Bundestag\s+Drucksache\s+\d+/\d+.{0,200}?Antwort\s+der\s+Bundesregierung"
    r"\s+auf\s+die\s+Kleine\s+Anfrage",
    re.S,
)
_HEAD_DS = re.compile(r"Deutscher Bundestag\s+Drucksache\s+(\d+)/(\d+)")
_HEAD_WP = re.compile(r"(\d+)\.\s*Wahlperiode\s+(\d{1,2}\.\d{1,2}\.\d{4})")
_INQUIRY_DS = re.compile(r"^\s*[–-]\s*Drucksache\s+(\d+/\d+)(?:\s*\(neu\))?\s*[–-]\s*$")
_NOTE = re.compile(
    r"Die Antwort wurde (?:namens|mit Schreiben)[^\n]*(?:\n[^\n]*){0,3}?"
    r"den Fragetext\.[ \t]*(?:\n|\Z)",
)
_NOISE_LINE = re.compile(
    r"^(?:Gesamtherstellung: H\. Heenemann.*|Vertrieb: Bundesanzeiger Verlag.*|ISSN 0722-8333"
    r"|Drucksache \d+/\d+(?: \(neu\))? – \d+ – Deutscher Bundestag – \d+\. Wahlperiode"
    r"|Deutscher Bundestag – \d+\. Wahlperiode – \d+ – Drucksache \d+/\d+(?: \(neu\))?"
    r"|[-–] ?\d{1,3} ?[-–]|Seite \d+(?: von \d+)?)\s*$",
    re.M,
)
# Page footnotes that explain an asterisk; at a page foot they fall between two questions.
_FOOTNOTE = re.compile(
    r"^\*+\)? ?(?:Von einer Drucklegung der (?:Anlagen?|Tabellen?)\b[^\n]*"
    r"(?:\n[^\n]*abrufbar\.)?|Das [^\n]*hat die Antwort als „VS[^\n]*"
    r"(?:\n[^\n]*eingesehen werden\.)?)[ \t]*(?:\n|\Z)",
    re.M,
)
_WS = r"[ \t\u00a0\u2000-\u200a\u202f]"
_CANDIDATE = re.compile(rf"^({_WS}*)(\d{{1,3}})\.(?:{_WS}+|(?=[A-ZÄÖÜa-z]))(\S.*)$")
_SUBQ = re.compile(rf"^{_WS}*(?:\d{{1,3}}\.{_WS}*)?[a-z]{{1,2}}\){_WS}")
_QEND = re.compile(r"\?[“”\"')\]]*\s*$")
_HEADING = re.compile(r"^\s*V o r b e m e r k u n g(?:\s+\S(?: \S)*)*\s*$")
_JOINT = re.compile(
    r"^\s*(?:Die\s+Fragen|Zu\s+(?:den\s+)?Fragen)\s+((?:\d{1,3}\s*(?:[a-z](?![a-zäöüß]))?\)?"
    r"(?:\s*(?:,|und|bis|sowie|–|-)\s*)*)+)",
)
_ANSWER_OPENERS = re.compile(
    r"^\s*(?:Die\s+Fragen\s+\d|Zu\s+(?:den\s+)?Fragen?\s+\d|Es wird auf|Auf die Antwort)"
)
_INTERROGATIVE = re.compile(
    r"^(?:[a-z]\)\s*)?(?:[A-ZÄÖÜ][a-zäöüß]+ )?(?:[Ww]ie|[Ww]elche[nmrs]?|[Ww]as|[Ww]ann|[Ww]o"
    r"|[Ww]er|[Ww]em|[Ww]en|[Ww]arum|[Ww]eshalb|[Ww]ieso|[Ii]nwiefern|[Ii]nwieweit|[Oo]b"
    r"|[Ww]o(?:für|ran|durch|rauf|mit|zu|rin|nach|von|bei|rüber|raus)|[Ww]ieviele?"
    r"|Ist|Sind|Hat|Haben|Gibt|Gab|Plant|Plante|Kann|Können|Wird|Werden|Wurde|Wurden|Liegen"
    r"|Liegt|Teilt|Beabsichtigt|Sieht|Hält|Verfolgt|Erwägt|Prüft|Trifft|Unterstützt|War|Waren"
    r"|Befürwortet|Setzt|Lagen|Lag|Strebt|Ergreift|Betrachtet|Teilen|Stellt|Dienen|Entstanden"
    r"|Gedenkt|Will|Wollen|Soll|Sollen|Gab|Existiert|Existieren|Bestehen|Besteht|Bestand)\b"
)
_PADDED = re.compile(rf"^{_WS}*\u2002{_WS}*\d\.")
_MONTH_AFTER = re.compile(r"^(\w+)")
_MAX_QLINES = 40
_GAP_COST = 2.0
_MAX_NUMBER = 400


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # offset of the line end (without the newline)
    text: str


@dataclass(frozen=True)
class _Cand:
    idx: int  # index into the body lines
    number: int
    score: float
    reprint: bool = False  # a question printed a second time (own answer or annex)


# ---------------------------------------------------------------------------- public API


def detect(src: SourceDoc) -> bool:
    return bool(_DETECT.match(src.text.lstrip("\ufeff")[:600]))


def parse(src: SourceDoc) -> Inquiry:
    text = src.text
    noise = _noise_spans(text)
    lines = [ln for ln in _split_lines(text) if not _in_spans(ln.start, noise)]
    head = _parse_header(lines)
    body = lines[head.body_start :]
    if not body:
        raise ParseError("kein Text nach dem Titelblock gefunden")
    note_body, note_date = _transmission(text)
    chain = _choose_chain(body) or _single_question(body)
    if not chain:
        raise ParseError("keine nummerierten Fragen gefunden (erwartet: '1. Wie ...?')")
    q_ends = _question_ends(body, chain)
    questions, answers, warnings = _build_units(text, noise, body, chain, q_ends)
    answers = _route_annexes(answers)
    preambles = _preambles(text, noise, body, chain[0].idx)
    answering = note_body or "Bundesregierung"
    date_answered = note_date or head.date
    answers = tuple(
        AnswerBlock(a.questions, a.text, a.start, a.end, answering, date_answered) for a in answers
    )
    if head.inquiry_ds:
        warnings.append(f"Kleine Anfrage: Drucksache {head.inquiry_ds}")
    if not note_body:
        warnings.append("Übermittlungsvermerk ohne Ministerium: answering_body = Bundesregierung")
    return Inquiry(
        doc_id=src.doc_id,
        source=src.path,
        family=FAMILY,
        parliament=PARLIAMENT,
        wahlperiode=head.wahlperiode,
        drucksache=head.drucksache,
        title=head.title,
        doc_type=DOC_TYPE,
        askers=head.askers,
        parties=head.parties,
        answering_body=answering,
        date_asked="",
        date_answered=date_answered,
        url=_pdf_url(head.drucksache),
        preambles=preambles,
        questions=questions,
        answers=answers,
        warnings=tuple(warnings),
    )


# ---------------------------------------------------------------------------- lines and noise


def _split_lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return out


def _noise_spans(text: str) -> list[tuple[int, int]]:
    """Spans cut from the running text: transmission note, printer's imprint, page headers."""
    spans = [(m.start(), m.end()) for m in _NOTE.finditer(text)]
    spans += [(m.start(), m.end()) for m in _FOOTNOTE.finditer(text)]
    for m in _NOISE_LINE.finditer(text):
        end = m.end() + 1 if m.end() < len(text) and text[m.end()] == "\n" else m.end()
        spans.append((m.start(), end))
    return sorted(spans)


def _in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    k = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= pos < spans[k][1]


def _cut(text: str, start: int, end: int, noise: list[tuple[int, int]]) -> str:
    """Raw text of [start, end) with noise spans removed, so split words meet again."""
    parts, pos = [], start
    first = max(0, bisect.bisect_right(noise, (start, float("inf"))) - 1)
    for s, e in noise[first:]:
        if s >= end:
            break
        if e <= pos:
            continue
        parts.append(text[pos:s])
        pos = max(pos, e)
    parts.append(text[pos:end])
    return "".join(parts)


def _clean(raw: str) -> str:
    """Hyphenation joined, whitespace squashed; a line break survives after a sentence end
    or before a bullet, so paragraphs and lists stay readable."""
    raw = raw.replace("\u00ad", "").replace("\f", "\n")
    raw = dehyphenate(raw)
    paras: list[list[str]] = []
    for line in raw.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        if paras and not (paras[-1][-1][-1] in ".!?:" or line[0] in "•▪-–"):
            paras[-1].append(line)
        else:
            paras.append([line])
    return "\n".join(" ".join(p) for p in paras)


# ---------------------------------------------------------------------------- header


@dataclass(frozen=True)
class _Header:
    drucksache: str
    wahlperiode: str
    date: str
    title: str
    askers: tuple[str, ...]
    parties: tuple[str, ...]
    inquiry_ds: str
    body_start: int


def _parse_header(lines: list[_Line]) -> _Header:
    first = "\n".join(ln.text for ln in lines[:3])
    ds, wp = _HEAD_DS.search(first), _HEAD_WP.search(first)
    if not ds or not wp:
        raise ParseError("Kopf 'Deutscher Bundestag Drucksache N/N' / 'N. Wahlperiode' fehlt")
    inq_idx = next((i for i, ln in enumerate(lines[:30]) if _INQUIRY_DS.match(ln.text)), -1)
    if inq_idx < 0:
        raise ParseError("Zeile '– Drucksache N/N –' der Kleinen Anfrage fehlt im Titelblock")
    asker_text = "\n".join(ln.text.strip() for ln in lines[2:inq_idx])
    askers, parties = _askers(asker_text)
    title_end = _title_end(lines, inq_idx + 1)
    title = _clean("\n".join(ln.text for ln in lines[inq_idx + 1 : title_end])).replace("\n", " ")
    return _Header(
        drucksache=f"{ds.group(1)}/{ds.group(2)}",
        wahlperiode=wp.group(1),
        date=iso_date(wp.group(2)),
        title=title,
        askers=askers,
        parties=parties,
        inquiry_ds=_INQUIRY_DS.match(lines[inq_idx].text).group(1),
        body_start=title_end,
    )


def _title_end(lines: list[_Line], start: int) -> int:
    """The title runs until the first heading; without one, until its last (short) line."""
    for i in range(start, min(start + 6, len(lines))):
        if _is_heading(lines[i].text):
            return i
    for i in range(start, min(start + 4, len(lines))):
        t = lines[i].text.strip()
        if re.search(r"[.?!:]$", t) or (len(t) < 55 and not t.endswith("-")):
            return i + 1
    return min(start + 1, len(lines))


def _askers(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    text = re.sub(r"\s+", " ", dehyphenate(text))
    text = re.sub(r",?\s*weiterer Abgeordneter", "", text)
    m = re.search(r"Kleine Anfrage (?:de[rs] )?(.*)$", text)
    if not m:
        return (), ()
    rest = m.group(1)
    parties = tuple(
        re.sub(r"\s*/-?\s*", "/", p.strip())
        for p in re.findall(r"(?:Fraktion|Gruppe)(?: der)? (.+?)(?=,| und der | und | –|$)", rest)
    )
    names_part = re.split(r"(?:,| und)? der (?:Fraktion|Gruppe)\b", rest)[0]
    names_part = re.sub(r"^Abgeordneten\s+", "", names_part)
    names = [n.strip() for n in re.split(r",| und ", names_part)]
    keep = [n for n in names if n and not re.match(r"weiterer? Abgeordnete", n)]
    return tuple(keep), parties


def _transmission(text: str) -> tuple[str, str]:
    """Ministry and date from 'mit Schreiben des Bundesministeriums ... vom 7. Mai 2025'."""
    m = _NOTE.search(text)
    if not m:
        return "", ""
    note = re.sub(r"\s+", " ", m.group(0))
    date = iso_date(note.split(" vom ", 1)[1]) if " vom " in note else ""
    who = re.search(r"(?:namens|Schreiben) (des|der) (.+?)(?= mit Schreiben| vom |$)", note)
    if not who or who.group(2).startswith("Bundesregierung"):
        who = re.search(r"Schreiben (des|der) (.+?)(?= vom |$)", note)
    return (_nominative(who.group(2)) if who else ""), date


def _nominative(genitive: str) -> str:
    """'Bundesministeriums für Arbeit und Soziales' -> 'Bundesministerium für Arbeit ...'."""
    g = genitive.strip()
    g = re.sub(r"^Bundesministeriums (?:des|der) (Beauftragten|Presse-|Auswärtigen)", r"\1", g)
    words = g.split(" ")
    head = words[0]
    fixes = {
        "Bundesministeriums": "Bundesministerium",
        "Bundeskanzleramtes": "Bundeskanzleramt",
        "Bundeskanzleramts": "Bundeskanzleramt",
        "Beauftragten": "Beauftragter",
        "Presse-": "Presse-",
    }
    if head == "Auswärtigen":
        return "Auswärtiges Amt"
    words[0] = fixes.get(head, head)
    out = " ".join(words)
    return re.sub(r"Informationsamtes", "Informationsamt", out)


def _pdf_url(drucksache: str) -> str:
    wp, num = drucksache.split("/")
    return f"https://dserver.bundestag.de/btd/{wp}/{num[:-2].zfill(3)}/{wp}{num.zfill(5)}.pdf"


# ---------------------------------------------------------------------------- questions


def _first_question_floor(body: list[_Line]) -> int:
    """Index after the last 'Vorbemerkung' heading: no question can start before it."""
    floor = 0
    for i, ln in enumerate(body):
        if _is_heading(ln.text):
            floor = i + 1
    return floor


def _candidates(body: list[_Line], padded_doc: bool) -> list[_Cand]:
    out: list[_Cand] = []
    for i, ln in enumerate(body):
        m = _CANDIDATE.match(ln.text)
        if not m:
            continue
        number = int(m.group(2))
        if number == 0 or number > _MAX_NUMBER:
            continue
        out.append(_Cand(i, number, _score(body, i, m, padded_doc)))
    return out


def _score(body: list[_Line], i: int, m: re.Match[str], padded_doc: bool) -> float:
    pad, number, rest = m.group(1), int(m.group(2)), m.group(3)
    first_word = _MONTH_AFTER.match(rest)
    if first_word and first_word.group(1).lower() in GERMAN_MONTHS:
        return -10.0
    score = -1.0
    if "\u2002" in pad or (pad and number < 10):
        score += 3.0
    elif padded_doc and number < 10:
        score -= 2.0
    if _INTERROGATIVE.match(rest):
        score += 1.5
    elif rest[:1].islower() and not _SUBQ.match(rest):
        score -= 1.0
    if _question_mark_within(body, i) >= 0:
        score += 3.0
    if "Bundesregierung" in rest:
        score += 0.5
    if i > 0 and _QEND.search(body[i - 1].text):
        score += 0.5  # the previous question ended; a new one follows directly
    return score


def _question_mark_within(body: list[_Line], i: int, limit: int = 15) -> int:
    """Index of the first line ending in '?' from line i on, before an answer opener."""
    for k in range(i, min(i + limit, len(body))):
        if k > i and (_ANSWER_OPENERS.match(body[k].text) or _is_heading(body[k].text)):
            return -1
        if _QEND.search(body[k].text):
            return k
    return -1


def _is_heading(t: str) -> bool:
    return bool(_HEADING.match(t))


def _heading_side(t: str) -> str:
    return "government" if "regierung" in t.replace(" ", "") else "askers"


def _choose_chain(body: list[_Line]) -> list[_Cand]:
    """Best-scoring chain of candidates in document order with increasing numbers; every
    number the chain skips costs _GAP_COST (so a numbered list inside an answer loses)."""
    floor = _first_question_floor(body)
    padded = sum(1 for ln in body[floor:] if _PADDED.match(ln.text)) >= 2
    cands = [c for c in _candidates(body, padded) if c.idx >= floor]
    if not cands:
        return []
    best: list[float] = []
    prev: list[int] = []
    tree = _PrefixMax(_MAX_NUMBER + 1)
    for ci, c in enumerate(cands):
        # best[p] - cost * (c.n - p.n - 1) = (best[p] + cost * p.n) - cost * (c.n - 1)
        val, p = tree.query(c.number - 1)
        best.append(c.score + max(val, 0.0) - _GAP_COST * (c.number - 1))
        prev.append(p if val > 0.0 else -1)
        tree.update(c.number, best[ci] + _GAP_COST * c.number, ci)
    end = max(range(len(cands)), key=lambda k: best[k])
    chain: list[_Cand] = []
    while end >= 0:
        chain.append(cands[end])
        end = prev[end]
    return _add_reprints(body, cands, _add_out_of_order(cands, chain[::-1]))


def _single_question(body: list[_Line]) -> list[_Cand]:
    """A Kleine Anfrage with one unnumbered question: the sentence ending in the first '?'
    after the headings, when it reads like a question."""
    floor = _first_question_floor(body)
    end = next((k for k in range(floor, len(body)) if _QEND.search(body[k].text)), -1)
    if end < 0:
        return []
    start = end
    while start > floor and not re.search(r"[.!?:]\s*$", body[start - 1].text):
        start -= 1
    if not _INTERROGATIVE.match(body[start].text.strip()):
        return []
    return [_Cand(start, 1, 5.0)]


class _PrefixMax:
    """Fenwick tree over question numbers: max (value, candidate) among numbers <= n."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.val = [0.0] * (size + 1)
        self.arg = [-1] * (size + 1)

    def update(self, n: int, value: float, arg: int) -> None:
        while n <= self.size:
            if value > self.val[n]:
                self.val[n], self.arg[n] = value, arg
            n += n & -n

    def query(self, n: int) -> tuple[float, int]:
        best, arg = 0.0, -1
        while n > 0:
            if self.val[n] > best:
                best, arg = self.val[n], self.arg[n]
            n -= n & -n
        return best, arg


def _add_out_of_order(cands: list[_Cand], chain: list[_Cand]) -> list[_Cand]:
    """Questions answered jointly are sometimes reprinted out of order ("2." "5." then "Die
    Fragen 2 und 5 ..."): a number missing from the chain is taken from a strong candidate
    wherever it stands."""
    numbers = {c.number for c in chain}
    used = {c.idx for c in chain}
    extra = []
    for m in range(1, max(numbers) + 1):
        if m in numbers:
            continue
        options = [c for c in cands if c.number == m and c.idx not in used and c.score >= 2.0]
        if options:
            extra.append(max(options, key=lambda c: (c.score, -c.idx)))
    return sorted(chain + extra, key=lambda c: c.idx)


def _add_reprints(body: list[_Line], cands: list[_Cand], chain: list[_Cand]) -> list[_Cand]:
    """A question printed again (after a joint group, or heading an annex) starts a further
    answer block for its number, so the text after it is not credited to its neighbour."""
    first = {c.number: _opening(body[c.idx].text) for c in chain}
    used = {c.idx for c in chain}
    extra = [
        _Cand(c.idx, c.number, c.score, reprint=True)
        for c in cands
        if c.idx not in used
        and c.score >= 2.0
        and first.get(c.number) == _opening(body[c.idx].text)
    ]
    return sorted(chain + extra, key=lambda c: c.idx)


def _opening(line: str) -> str:
    return " ".join(_strip_number(line).split())[:45]


def _question_ends(body: list[_Line], chain: list[_Cand]) -> list[int]:
    """Last line index (inclusive) of each chosen question's text."""
    ends = []
    for k, c in enumerate(chain):
        limit = chain[k + 1].idx if k + 1 < len(chain) else len(body)
        ends.append(_question_end(body, c.idx, limit))
    return ends


def _question_end(body: list[_Line], i: int, limit: int) -> int:
    end = -1
    k = i
    while k < min(limit, i + _MAX_QLINES):
        t = body[k].text
        if k > i and (_ANSWER_OPENERS.match(t) or _is_heading(t)):
            break
        if _QEND.search(t):
            end = k
            if k + 1 < limit and _SUBQ.match(body[k + 1].text) and _subq_has_mark(body, k + 1):
                k += 1
                continue
            break
        k += 1
    if end >= 0:
        return end
    return _question_end_without_mark(body, i, limit)


def _subq_has_mark(body: list[_Line], k: int) -> bool:
    found = _question_mark_within(body, k, limit=20)
    return found >= 0


def _question_end_without_mark(body: list[_Line], i: int, limit: int) -> int:
    """No '?': the question ends at a line closing a sentence ('... angeben).') or at a
    list item ending in ',' after which an answer sentence starts with a capital."""
    for k in range(i, min(limit, i + 12)):
        if k > i and _ANSWER_OPENERS.match(body[k].text):
            return k - 1
        t = body[k].text.rstrip()
        if re.search(r"[.:!]$|\)\.?$", t):
            return k
        nxt = body[k + 1].text.strip() if k + 1 < limit else ""
        if t.endswith((",", ";")) and nxt[:1].isupper():
            return k
    return i


# ---------------------------------------------------------------------------- units


def _joint_numbers(text: str) -> tuple[int, ...]:
    """Numbers named in 'Die Fragen 3, 5 bis 7 und 9b werden gemeinsam beantwortet'."""
    m = _JOINT.match(text)
    if not m:
        return ()
    spec = m.group(1)
    if not re.search(r"beantwortet|zusammen|gemeinsam|Sachzusammenhang", text[:300]) and not (
        text.lstrip().startswith("Zu")
    ):
        return ()
    nums: set[int] = set()
    tokens = re.findall(r"\d{1,3}|bis|–|-", spec)
    for k, tok in enumerate(tokens):
        if tok.isdigit():
            n = int(tok)
            if k >= 2 and tokens[k - 1] in ("bis", "–", "-") and tokens[k - 2].isdigit():
                lo = int(tokens[k - 2])
                if lo < n <= lo + 60:
                    nums.update(range(lo, n + 1))
            nums.add(n)
    return tuple(sorted(nums))


def _build_units(
    text: str,
    noise: list[tuple[int, int]],
    body: list[_Line],
    chain: list[_Cand],
    q_ends: list[int],
) -> tuple[tuple[Question, ...], list[AnswerBlock], list[str]]:
    questions: list[Question] = []
    answers: list[AnswerBlock] = []
    warnings: list[str] = []
    pending: list[int] = []
    covered: set[int] = set()
    for k, c in enumerate(chain):
        q_end = q_ends[k]
        nxt = chain[k + 1].idx if k + 1 < len(chain) else len(body)
        q_start, q_stop = body[c.idx].start, body[q_end].end
        if not c.reprint:
            q_text = _clean(_strip_number(_cut(text, q_start, q_stop, noise)))
            questions.append(Question(c.number, q_text, str(c.number), q_start, q_stop))
        if q_end + 1 >= nxt:
            if c.number not in covered:
                pending.append(c.number)
            continue
        a_start, a_stop = body[q_end + 1].start, body[nxt - 1].end
        a_text = _clean(_cut(text, a_start, a_stop, noise))
        if not a_text:
            pending.append(c.number)
            continue
        nums = {*pending, c.number}
        joint = _joint_numbers(a_text)
        if joint:
            nums.update(n for n in joint if n >= c.number or n in pending)
        covered.update(nums)
        answers.append(AnswerBlock(tuple(sorted(nums)), a_text, a_start, a_stop))
        pending = []
    if pending:
        warnings.append(f"Fragen ohne Antwort: {', '.join(map(str, pending))}")
    return tuple(questions), answers, warnings


_ANNEX_LINE = re.compile(r"(?m)^Anlage\b[^\n]{0,200}")
_ANNEX_TARGET = re.compile(r"Fragen?\s+(\d+)(?:\s*(?:und|bis|,)\s*(\d+))?")
_MENTIONS_ANNEX = re.compile(r"\bAnlage")


def _annex_target(header: str, answers: list[AnswerBlock]) -> int | None:
    """Index of the block an annex belongs to: the question its header names, else the first
    answer that refers to "Anlage"; None when neither says."""
    m = _ANNEX_TARGET.search(header)
    if m:
        n = int(m.group(1))
        for i, a in enumerate(answers):
            if n in a.questions:
                return i
    for i, a in enumerate(answers[:-1]):
        if _MENTIONS_ANNEX.search(a.text):
            return i
    return None


def _route_annexes(answers: list[AnswerBlock]) -> list[AnswerBlock]:
    """Annexes printed after the last answer belong to the answer that refers to them
    ("in der Anlage beigefügten ..."), not to the last question. Their text is appended to
    that block; offsets keep the block's own span."""
    if len(answers) < 2:
        return answers
    last = answers[-1]
    starts = [m for m in _ANNEX_LINE.finditer(last.text) if m.start() > 0]
    if not starts:
        return answers
    texts = [a.text for a in answers]
    texts[-1] = last.text[: starts[0].start()].rstrip()
    bounds = [m.start() for m in starts] + [len(last.text)]
    target = None
    for m, end in zip(starts, bounds[1:], strict=True):
        target = _annex_target(m.group(0), answers) if target is None or \
            _ANNEX_TARGET.search(m.group(0)) else target
        dest = len(answers) - 1 if target is None else target
        texts[dest] = f"{texts[dest]}\n{last.text[m.start():end].strip()}"
    return [AnswerBlock(a.questions, t, a.start, a.end) for a, t in zip(answers, texts,
                                                                        strict=True)]


def _strip_number(raw: str) -> str:
    return re.sub(rf"^{_WS}*\d{{1,3}}\.{_WS}*", "", raw)


# ---------------------------------------------------------------------------- preambles


def _preambles(
    text: str, noise: list[tuple[int, int]], body: list[_Line], first_q: int
) -> tuple[Preamble, ...]:
    heads = [
        (i, _heading_side(ln.text)) for i, ln in enumerate(body[:first_q]) if _is_heading(ln.text)
    ]
    if not heads or heads[0][0] > 0:
        # text between title and the first heading/question: the askers' unheaded preamble
        heads.insert(0, (-1, "askers"))
    out: list[Preamble] = []
    for k, (i, side) in enumerate(heads):
        stop = heads[k + 1][0] if k + 1 < len(heads) else first_q
        if stop <= i + 1:
            continue
        start, end = body[i + 1].start, body[stop - 1].end
        cleaned = _clean(_cut(text, start, end, noise))
        if cleaned:
            out.append(Preamble(side, cleaned, start, end))
    return tuple(out)
