"""General parser for the structure all German written inquiries share.

A Kleine/Schriftliche Anfrage and its answer consist of a header (parliament, Wahlperiode,
Drucksache, askers, answering body, dates), preambles ("Vorbemerkung ..."), numbered questions
and answers. Parliaments differ only in how they mark these parts, so the parser works on marks
(`marks.py`) found in the text with its page furniture masked (`furniture.py`):

1. Numbered question marks are scored (does a question follow? does the next answer label name
   that number? quoted?) and the best chain of increasing numbers is chosen; sub-questions
   ("5a", "1.1") belong to their number.
2. A question printed twice (question paper followed by answer paper) gives two chains: the
   first is the question list, the second frames the answers.
3. The marks are walked in order: an answer label opens an answer block with its numbers (a bare
   "Antwort:" with the numbers of the questions since the last answer); without labels the text
   after a question's end is its answer, and questions printed one after another with one answer
   below are answered jointly. A joint-answer sentence ("Die Fragen 2 bis 5 werden zusammen
   beantwortet") opens a block or widens the block it begins.
4. When numbers cannot be tied to answers, the answer text is still cut into blocks (safe
   degradation), never one unit for the whole document.

Which rule decided is reported as `Inquiry.rule`, how sure the structure is as `confidence`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from anfragen.errors import ParseError
from anfragen.models import AnswerBlock, Inquiry, Preamble, Question, SourceDoc

from .furniture import MASK, is_one_line, mask_furniture, span_text
from .header import Header, read_header
from .layouts import LayoutHint, hint_for
from .marks import ANSWER_HEAD, Mark, boundary, find_marks

FAMILY = "general"

_INTERROGATIVE = re.compile(
    r"(?:[a-z]\)\s*)?(?:[A-ZÄÖÜ][a-zäöüß]+\s+)?(?:[Ww]ie|[Ww]elche[nmrs]?|[Ww]as|[Ww]ann|[Ww]o"
    r"|[Ww]er|[Ww]em|[Ww]en|[Ww]arum|[Ww]eshalb|[Ww]ieso|[Ii]nwiefern|[Ii]nwieweit|[Oo]b"
    r"|[Ww]o(?:für|ran|durch|rauf|mit|zu|rin|nach|von|bei|rüber|raus|hin)|[Ww]ieviele?|Bitte"
    r"|Falls|Wenn|Ist|Sind|Hat|Haben|Gibt|Gab|Plant|Kann|Können|Wird|Werden|Wurde|Wurden"
    r"|Liegen|Liegt|Teilt|Beabsichtigt|Sieht|Hält|Verfolgt|Erwägt|Prüft|Trifft|Unterstützt|War"
    r"|Waren|Befürwortet|Setzt|Lagen|Lag|Strebt|Ergreift|Betrachtet|Teilen|Stellt|Existiert"
    r"|Existieren|Besteht|Bestehen|Soll|Sollen|Will|Wollen|Gedenkt|Müssen|Muss|Darf|Dürfen)\b"
)
_REQUEST = re.compile(r"(?:Bitte|Ich bitte|Wir bitten)\b")  # a question put as a request
_FOLLOW = re.compile(
    r"[ \t\u00a0]*\n?[ \t\u00a0]*(?:\([^()]{0,300}\)[.?]?|[Bb]itte\b[^.?!]{0,300}[.?!]\)?"
    r"|[a-z]{1,2}[.)][ \t][^?]{0,900}\?[“”\"')]*"
    r"|(?:Wenn|Falls|Und|Sofern|Soweit)\b[^.?!]{0,300}\?[“”\"')]*"
    + r"|" + _INTERROGATIVE.pattern + r"[^.?!]{0,300}\?[“”\"')]*)"
)
_WS = " \t\n\f\u00a0\u2002" + MASK
_QMARK = re.compile(r"(?<![/=&])\?[“”\"'»)\]]*(?=[\s.;,]|$)")
_STOP_KINDS = ("item", "label", "bare", "end", "formula", "pre", "intro")
_BASE, _AT_LINE, _ONE_LINE, _ASKS, _OPENS = -1.2, 1.0, 0.6, 1.8, 0.6
_QUOTED, _HIGH, _NEXT_LABEL, _BARE_NEXT, _INSIDE = -2.0, -1.0, 1.5, 1.0, -0.8
_GAP, _START, _REACH = 2.0, 2.0, 6


@dataclass(frozen=True)
class Doc:
    text: str
    view: str  # text with page furniture masked (same length)
    hint: LayoutHint
    one_line: bool
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class _Block:
    nums: tuple[int, ...]
    start: int
    end: int
    parts: tuple[tuple[int, int, str], ...] = ()  # (start, end, printed sub-label)


@dataclass(frozen=True)
class Segmentation:
    questions: tuple[Question, ...]
    answers: tuple[AnswerBlock, ...]
    preambles: tuple[Preamble, ...]
    rule: str
    first: int  # where the structure starts (end of the header)


# --------------------------------------------------------------------------- entry points


def detect(src: SourceDoc) -> bool:
    """Any text can be tried; `parse` raises ParseError when it finds no structure."""
    return bool(src.text.strip())


def parse(src: SourceDoc) -> Inquiry:
    doc = prepare(src.text)
    seg = segment(doc)
    header = header_of(doc, seg.first)
    meta = src.meta if isinstance(src.meta, dict) else {}
    inq = Inquiry(
        doc_id=src.doc_id,
        source=src.path,
        family=FAMILY,
        parliament=header.parliament,
        wahlperiode=header.wahlperiode,
        drucksache=header.drucksache,
        drucksachen=header.drucksachen,
        title=str(meta.get("title") or meta.get("titel") or "") or header.title,
        doc_type=header.doc_type,
        askers=header.askers,
        parties=header.parties,
        answering_body=header.answering_body,
        date_asked=header.date_asked,
        date_answered=header.date_answered,
        preambles=seg.preambles,
        questions=seg.questions,
        answers=seg.answers,
        rule=f"{FAMILY}:{seg.rule}",
    )
    return replace(inq, confidence=structure_confidence(inq, seg.rule))


def prepare(text: str) -> Doc:
    hint = hint_for(text)
    view = mask_furniture(text, hint)
    one_line = is_one_line(text)
    marks = find_marks(view, hint, one_line)
    doc = Doc(text, view, hint, one_line, tuple(marks))
    start = answer_start(doc)
    if start > 0:  # the answer paper's head ends the last listed question
        marks = sorted([*marks, Mark("formula", start, start)], key=lambda m: (m.pos, m.kind))
        doc = replace(doc, marks=tuple(marks))
    return doc


def header_of(doc: Doc, first: int) -> Header:
    """Header metadata: the question paper's head before `first`, the answer paper's head."""
    astart = answer_start(doc)
    kinds = ("item", "label", "bare", "end", "pre", "intro")
    stops = [m.pos for m in doc.marks if m.kind in kinds and m.pos > astart]
    ahead = (astart, min(stops, default=len(doc.text))) if astart >= 0 else (-1, -1)
    qend = astart if 0 < astart < first else first
    return read_header(doc.text, doc.hint, (0, max(qend, 0) or min(len(doc.text), 3000)), ahead)


def answer_start(doc: Doc) -> int:
    """Start of the answer paper: its page when "Antwort" heads that page, -1 when none."""
    for m in ANSWER_HEAD.finditer(doc.view):
        if _quoted(doc.view, m.start()) or not (boundary(doc.view, m.start()) or doc.one_line):
            continue
        page = max(doc.view.rfind("\f", 0, m.start()), -1) + 1
        above = [ln for ln in doc.view[page : m.start()].split("\n") if ln.strip(_WS)]
        return page if len(above) <= 8 else m.start()
    return -1


def structure_confidence(inq: Inquiry, rule: str = "") -> float:
    """1.0 for numbers 1..N all found and answered; lower for gaps, questions without answer,
    answers to questions not found, one block answering nearly all, degraded rules."""
    if inq.fallback:
        return 0.0
    nums = {q.number for q in inq.questions}
    answered = {n for a in inq.answers for n in a.questions} - {0}
    if not nums:
        return 0.3 if answered else 0.0
    top = max(nums)
    conf = 1.0 - 0.5 * len(set(range(1, top + 1)) - nums) / top
    conf -= 0.5 * len(nums - answered) / len(nums)
    conf -= 0.3 * min(1.0, len(answered - nums) / len(nums))
    widest = max((len(a.questions) for a in inq.answers), default=0)
    if len(nums) >= 4 and widest > 0.75 * len(nums):
        conf -= 0.2
    if rule.startswith("degraded"):
        conf = min(conf, 0.4)
    return round(max(conf, 0.0), 2)


# --------------------------------------------------------------------------- segmentation


def segment(doc: Doc) -> Segmentation:
    chain = best_chain(doc)
    listed, walk = split_papers(doc, chain)
    walk = insert_strays(doc, walk)
    events = timeline(doc, walk, listed)
    labeled = any(e.kind in ("label", "bare") for e in events)
    known = {m.key: question_norm(doc, m) for m in listed}
    blocks, qspans, inter = walk_marks(doc, events, labeled, known)
    blocks = attach_annexes(doc, merge_blocks(doc, blocks), events)
    rule = _rule(walk, listed, events, labeled)
    if walk and (not blocks or _unnumbered_answers(walk, events, blocks, labeled)):
        blocks, rule = degrade(doc, walk, events), "degraded"
    if not walk and not blocks:
        raise ParseError("keine nummerierten Fragen und keine Antwortmarken gefunden")
    questions = build_questions(doc, walk, listed, qspans)
    answers = build_answers(doc, blocks, _question_zone_end(walk, listed, events, rule))
    first = min((m.pos for m in (*listed, *walk, *events) if m.kind not in ("end", "formula")),
                default=0)
    preambles = build_preambles(doc, events, walk, listed, inter, first)
    return Segmentation(questions, answers, preambles, rule, first)


def _question_zone_end(walk: list[Mark], listed: list[Mark], events: list[Mark], rule: str) -> int:
    """End of the text that only the askers wrote (their question paper or list), -1 if the
    questions are interleaved with the answers."""
    if listed:
        return walk[0].pos if walk else -1
    if rule == "list+labels":
        return next(e.pos for e in events if e.kind == "label")
    return -1


def _rule(chain: list[Mark], listed: list[Mark], events: list[Mark], labeled: bool) -> str:
    if not chain:
        return "labels-only"
    labels = [e for e in events if e.kind == "label"]
    if listed:
        inner = "labels" if labels else ("bare-labels" if labeled else "interleaved")
        return f"two-papers+{inner}"
    if labels:
        return "list+labels" if chain[-1].pos < labels[0].pos else "labels"
    return "bare-labels" if labeled else "interleaved"


# --------------------------------------------------------------------------- question chain


def _quoted(view: str, pos: int) -> bool:
    before = view[max(0, pos - 3) : pos].rstrip(_WS)
    return before.endswith(("„", '"', "“", "»"))


def _scores(doc: Doc) -> list[tuple[Mark, float]]:
    items = [m for m in doc.marks if m.kind == "item"]
    stops = [m.pos for m in doc.marks if m.kind in _STOP_KINDS]
    labels = [m for m in doc.marks if m.kind in ("label", "bare")]
    label_pos = [m.pos for m in labels]
    first_label = next((m.pos for m in labels if m.kind == "label"), len(doc.view))
    out = []
    for it in items:
        k = bisect_right(stops, it.pos)
        stop = min(stops[k] if k < len(stops) else len(doc.view), it.body + 1500)
        window = doc.view[it.body : stop]
        score = _BASE + (_ONE_LINE if doc.one_line else (_AT_LINE if it.at_line else 0.0))
        asks = window.find("?")
        if asks >= 0:  # a question mark far into the text may belong to a later question
            score += _ASKS if asks < 500 else _ASKS / 2
        elif _REQUEST.match(window):
            score += 0.8 * _ASKS
        score += _OPENS if _INTERROGATIVE.match(window.lstrip(_WS)) else 0.0
        score += _QUOTED if _quoted(doc.view, it.pos) else 0.0
        score += _HIGH if it.key[0] > 60 else 0.0
        score += _INSIDE if it.side == "inside" else 0.0
        j = bisect_right(label_pos, it.pos)
        if j < len(labels):
            nxt = labels[j]
            if nxt.kind == "label" and it.key[0] in nxt.nums:
                score += _NEXT_LABEL
            elif nxt.kind == "label" and it.pos > first_label:
                score -= _NEXT_LABEL
            elif nxt.kind == "bare" and nxt.pos <= stop + 5:
                score += _BARE_NEXT
        out.append((it, score))
    return out


def _step(prev: tuple[int, int], key: tuple[int, int]) -> int | None:
    """Missing numbers between two chain members, None when `key` cannot follow `prev`."""
    (pn, pd), (n, d) = prev, key
    if pn < n:
        return n - pn - 1 + max(d - 1, 0)
    if pn == n and d > pd:
        return d - pd - 1 if pd else d - 1
    return None


def best_chain(doc: Doc) -> list[Mark]:
    """The best-scoring run of question marks with increasing numbers (dynamic programming over
    the marks in text order; a skipped number costs _GAP, a start above 1 costs _START)."""
    scored = _scores(doc)
    best: dict[int, dict[int, tuple[float, int]]] = defaultdict(dict)
    total: list[float] = []
    back: list[int] = []
    for i, (mark, score) in enumerate(scored):
        n, d = mark.key
        pred, pj = -_START * (n - 1 + max(d - 1, 0)), -1
        for pn in range(max(1, n - _REACH), n + 1):
            for pd, (ps, idx) in best.get(pn, {}).items():
                gap = _step((pn, pd), (n, d))
                if gap is not None and ps - _GAP * gap > pred:
                    pred, pj = ps - _GAP * gap, idx
        total.append(score + pred + 0.01)  # of two equal chains the longer one wins
        back.append(pj)
        if total[-1] > best[n].get(d, (float("-inf"), -1))[0]:
            best[n][d] = (total[-1], i)
    if not total or max(total) <= 0:
        return []
    i = max(range(len(total)), key=lambda k: (total[k], -k))
    chain = []
    while i >= 0:
        chain.append(scored[i][0])
        i = back[i]
    return chain[::-1]


def _norm(text: str, limit: int = 60) -> str:
    out = "".join(ch.lower() for ch in text[: limit * 3] if ch.isalnum())
    return out[:limit]


def _similar(doc: Doc, a: Mark, b: Mark) -> bool:
    x, y = _norm(doc.view[a.body : a.body + 200]), _norm(doc.view[b.body : b.body + 200])
    if len(x) < 12 or len(y) < 12:
        return False
    return x[:20] == y[:20] or SequenceMatcher(None, x, y).ratio() >= 0.8


def split_papers(doc: Doc, chain: list[Mark]) -> tuple[list[Mark], list[Mark]]:
    """(question list, marks to walk): when most questions are printed twice, the first print
    is the question paper's list and the second frames the answers."""
    by_key: dict[tuple[int, int], list[Mark]] = defaultdict(list)
    for m in doc.marks:
        if m.kind == "item":
            by_key[m.key].append(m)
    twins = {}
    for c in chain:
        same = [o for o in by_key[c.key] if o.pos != c.pos and _similar(doc, o, c)]
        if same:
            twins[c.key] = sorted([c, *same], key=lambda m: m.pos)
    if not chain or len(twins) < 0.75 * len(chain) or chain[0].key not in twins:
        return [], chain
    zone = min(v[-1].pos for v in twins.values())
    walk = [twins[c.key][-1] if c.key in twins else c for c in chain]
    walk = [m for m in walk if m.pos >= zone]
    listed = [c if c.pos < zone else twins[c.key][0] for c in chain
              if c.pos < zone or c.key in twins]  # fmt: skip
    increasing = all(a.pos < b.pos for a, b in zip(walk, walk[1:], strict=False))
    if not increasing or not listed or max(m.pos for m in listed) >= zone:
        return [], chain
    return listed, walk


# --------------------------------------------------------------------------- the walk


def timeline(doc: Doc, walk: list[Mark], listed: list[Mark]) -> list[Mark]:
    """The marks that cut the text into questions and answers, in text order."""
    start = walk[0].pos if (listed and walk) else 0
    chain_pos = {m.pos for m in walk}
    keep = {"label", "bare", "joint", "end", "pre", "intro", "formula"} - _untrusted(doc, walk)
    events = [m for m in doc.marks if (m.kind in keep or m.pos in chain_pos) and m.pos >= start
              and not (m.kind == "joint" and walk and m.pos < walk[0].pos)]  # a preamble's
    labels = [e for e in events if e.kind == "label"]
    if walk and labels and walk[-1].pos < labels[0].pos:
        events += _repeats(doc, walk, labels[0].pos)
    events += _subs(doc, events)
    return sorted(events, key=lambda m: (m.pos, m.kind != "end"))


def _untrusted(doc: Doc, walk: list[Mark]) -> set[str]:
    """Label kinds too rare to be the document's answer markers: a stray "Zu Frage 3:" in a
    table or an "Antwort:" in a quote must not turn 30 answers into one."""
    if not walk:
        return set()
    asked = {m.key[0] for m in walk}
    labeled = {n for m in doc.marks if m.kind == "label" for n in m.nums} & asked
    bares = sum(m.kind == "bare" for m in doc.marks)
    out = set()
    if len(labeled) * 2 < len(asked):
        out.add("label")
    if bares * 2 < len(asked):
        out.add("bare")
    return out


def insert_strays(doc: Doc, walk: list[Mark]) -> list[Mark]:
    """Questions printed out of order ("22.", "24.", "23." for a joint answer to 22 and 24):
    a missing number whose question-like mark stands inside the chain joins it."""
    have = {m.key[0] for m in walk}
    if not walk:
        return walk
    missing = set(range(1, max(have) + 1)) - have
    lo, hi = walk[0].pos, walk[-1].pos
    extra = [m for m, score in _scores(doc) if m.key[0] in missing and m.key[1] == 0
             and lo < m.pos < hi and score > 1.0]
    firsts = {}
    for m in extra:
        firsts.setdefault(m.key[0], m)
    return sorted([*walk, *firsts.values()], key=lambda m: m.pos)


def _subs(doc: Doc, events: list[Mark]) -> list[Mark]:
    """Lettered sub-questions reprinted before their sub-answers ("b. ..." then "Zu 5. b.:")."""
    labels = [e for e in events if e.kind == "label"]
    pos = [e.pos for e in labels]
    out = []
    for m in doc.marks:
        if m.kind != "sub":
            continue
        k = bisect_right(pos, m.pos)
        if k < len(labels) and labels[k].label == m.label and k > 0:
            out.append(m)
    return out


def _norm_index(view: str) -> tuple[str, list[int]]:
    pos = [m.start() for m in re.finditer(r"[^\W_]", view)]
    return "".join(view[p] for p in pos).lower(), pos


def _repeats(doc: Doc, items: list[Mark], limit: int) -> list[Mark]:
    """Questions printed again without their number before their answer (Saarland)."""
    norm, pos = _norm_index(doc.view)
    last_end = _question_end(doc, items[-1].body, limit)
    k = bisect_left(pos, last_end)
    out = []
    ends = [m.pos for m in items[1:]] + [limit]
    for it, stop in zip(items, ends, strict=True):
        words = _norm(doc.view[it.body : _question_end(doc, it.body, stop)], 75)
        for off in (0, 25, 50):  # a typo in one print still lets a later stretch match
            needle = words[off : off + 25]
            hit = norm.find(needle, k) if len(needle) == 25 else -1
            if hit >= 0:
                line = doc.view.rfind("\n", 0, pos[hit]) + 1
                at = pos[hit] if off == 0 else max(line, pos[max(hit - off, k)])
                out.append(Mark("repeat", at, at, it.nums, it.key))
                k = hit + len(needle)
                break
    return out


def question_norm(doc: Doc, item: Mark) -> str:
    """Normalised text of a listed question, to find where its reprint ends."""
    later = [m.pos for m in doc.marks if m.pos > item.pos and m.kind in _STOP_KINDS]
    limit = min(later, default=len(doc.view))
    end = _question_end(doc, item.body, limit)
    return "".join(ch.lower() for ch in doc.view[item.body : end] if ch.isalnum())


def _question_end(doc: Doc, body: int, limit: int, known: str = "") -> int:
    """Where a question printed at `body` ends: the listed wording when known, else its "?" and
    what belongs to it ("(Bitte ...)", "Bitte auflisten.", "a) ...?", "Falls ja, ...?")."""
    if known and (end := _known_end(doc.view, body, limit, known)) > 0:
        return end
    seg = doc.view[body:limit]
    m = _QMARK.search(seg)
    if not m:  # a request ("Bitte stellen Sie ... dar."): its paragraph or first sentence
        p = re.search(r"\n[ \t]*\n|[.:!](?=[ \t]*\n)", seg)
        if p is None and doc.one_line:
            p = re.search(r"[.!](?=[ \t]+[A-ZÄÖÜ])", seg)
        return body + (p.end() if p else len(seg))
    end = m.end()
    while f := _FOLLOW.match(seg, end):
        if f.end() == end:
            break
        end = f.end()
    return body + end


def _known_end(view: str, body: int, limit: int, known: str) -> int:
    got, i = [], body
    while i < limit and len(got) < len(known):
        if view[i].isalnum():
            got.append(view[i].lower())
        i += 1
    if SequenceMatcher(None, known[-40:], "".join(got)[-40:]).ratio() < 0.7:
        return -1
    while i < limit and view[i] in "?!.)“”\"' \t":
        i += 1
    return i


def _has_text(doc: Doc, start: int, end: int) -> bool:
    return any(ch.isalnum() for ch in doc.view[start:end])


def walk_marks(
    doc: Doc, events: list[Mark], labeled: bool, known: dict[tuple[int, int], str]
) -> tuple[list[_Block], dict[tuple[int, int], list[tuple[int, int]]], list[tuple[int, int]]]:
    """Answer blocks, question spans per key, and askers' text between listed questions."""
    blocks: list[_Block] = []
    qspans: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    inter: list[tuple[int, int]] = []
    pending: list[int] = []
    last: tuple[int, int] | None = None
    for k, ev in enumerate(events):
        nxt_ev = events[k + 1] if k + 1 < len(events) else None
        nxt = nxt_ev.pos if nxt_ev else len(doc.view)
        if ev.kind == "item":
            framed = nxt_ev is not None and nxt_ev.kind in ("label", "bare", "sub")
            cut = not labeled or not framed
            end = _question_end(doc, ev.body, nxt, known.get(ev.key, "")) if cut else nxt
            qspans[ev.key].append((ev.body, end))
            pending += [n for n in ev.nums if n not in pending]
            last = ev.key
            if _has_text(doc, end, nxt):
                if labeled:
                    if nxt_ev is not None and nxt_ev.kind == "item":
                        inter.append((end, nxt))
                else:
                    blocks.append(_Block(tuple(pending), end, nxt, ((end, nxt, ""),)))
                    pending = []
        elif ev.kind == "bare" and nxt_ev is not None and nxt_ev.kind == "label":
            continue  # "Antwort" over "Zu Frage 1:" is a heading
        elif ev.kind in ("label", "bare") and (ev.nums or pending):
            head = doc.view[ev.pos : ev.body].strip() if ev.label else ""  # "Zu 5. a.:"
            start = ev.pos if head else ev.body
            blocks.append(_Block(ev.nums or tuple(pending), start, nxt, ((ev.body, nxt, head),)))
            pending = []
        elif ev.kind == "joint":
            blocks, pending = _joint(doc, blocks, pending, ev, nxt)
        elif ev.kind == "sub" and last is not None:
            qspans[last].append((ev.pos, nxt))
    return blocks, qspans, inter


def _union(*groups: tuple[int, ...] | list[int]) -> tuple[int, ...]:
    return tuple(sorted({n for g in groups for n in g}))


def _joint(
    doc: Doc, blocks: list[_Block], pending: list[int], ev: Mark, nxt: int
) -> tuple[list[_Block], list[int]]:
    """A joint-answer sentence widens the block it begins, or opens one."""
    if blocks and blocks[-1].end == ev.pos and not _has_text(doc, blocks[-1].start, ev.pos):
        b = blocks[-1]
        parts = (*b.parts[:-1], (b.parts[-1][0], nxt, b.parts[-1][2]))
        return [*blocks[:-1], _Block(_union(b.nums, ev.nums), b.start, nxt, parts)], []
    nums = _union(ev.nums, pending)
    return [*blocks, _Block(nums, ev.pos, nxt, ((ev.pos, nxt, ""),))], []


def merge_blocks(doc: Doc, blocks: list[_Block]) -> list[_Block]:
    """Empty labels join the next block ("Zu Frage 2:" "Zu Frage 3:" <answer>); consecutive
    blocks with the same numbers (sub-answers "Zu 5. a.:", "Zu 5. b.:") become one."""
    out: list[_Block] = []
    carry: tuple[int, ...] = ()
    for b in blocks:
        if not _has_text(doc, b.start, b.end):
            carry = _union(carry, b.nums)
            continue
        if carry:
            b, carry = replace(b, nums=_union(carry, b.nums)), ()
        if out and out[-1].nums == b.nums:
            prev = out[-1]
            out[-1] = _Block(b.nums, prev.start, b.end, (*prev.parts, *b.parts))
        else:
            out.append(b)
    return out


def attach_annexes(doc: Doc, blocks: list[_Block], events: list[Mark]) -> list[_Block]:
    """Annexes join the answer they belong to: "Anlage zu Frage 10" the answer to 10, "Anlage 2"
    the answer citing "Anlage 2", else the last answer."""
    annexes = [(k, e) for k, e in enumerate(events) if e.kind == "end" and e.side == "annex"]
    if not blocks or not annexes:
        return blocks
    out = list(blocks)
    for k, e in annexes:
        stop = events[k + 1].pos if k + 1 < len(events) else len(doc.view)
        if not _has_text(doc, e.pos, stop):
            continue
        j = _annex_target(doc, out, e)
        b = out[j] if j >= 0 else None
        if b is None:
            out.append(_Block(e.nums, e.pos, stop, ((e.pos, stop, ""),)))
            continue
        out[j] = _Block(b.nums, b.start, b.end, (*b.parts, (e.pos, stop, "")))
    return out


def _annex_target(doc: Doc, blocks: list[_Block], annex: Mark) -> int:
    if annex.nums:
        return next((j for j, b in enumerate(blocks) if set(annex.nums) & set(b.nums)), -1)
    if annex.label:
        cite = re.compile(rf"\bAnlage\s+{annex.label}\b")
        for j, b in enumerate(blocks):
            if any(cite.search(doc.view[a:e]) for a, e, _ in b.parts):
                return j
    return len(blocks) - 1


def _unnumbered_answers(walk: list[Mark], events: list[Mark], blocks: list[_Block],
                        labeled: bool) -> bool:
    """Every question listed, then one text below them all and no sentence saying they are
    answered together: the answers carry no numbers."""
    asked = _union([m.nums[0] for m in walk])
    return (not labeled and len(asked) >= 2 and len(blocks) == 1 and blocks[0].nums == asked
            and not any(e.kind == "joint" for e in events))


def degrade(doc: Doc, chain: list[Mark], events: list[Mark]) -> list[_Block]:
    """No answer could be tied to a number: the answer text after the last question is cut into
    its paragraphs (headings dropped), one per question when the counts agree, else each a block
    of its own answering all questions."""
    last = chain[-1]
    after = [e.pos for e in events if e.pos > last.pos and e.kind not in ("end", "formula")]
    start = _question_end(doc, last.body, min(after, default=len(doc.view)))
    ends = [e.pos for e in events if e.kind == "end" and e.pos > start]
    end = min(ends, default=len(doc.view))
    nums = _union([m.nums[0] for m in chain])
    paras = [(m.start() + start, m.end() + start) for m in
             re.finditer(r"\S(?:.|\n(?![ \t]*\n))*", doc.view[start:end])]
    paras = [(a, b) for a, b in paras if not _heading(span_text(doc.view, a, b))]
    if len(paras) == len(nums):
        return [_Block((n,), a, b, ((a, b, ""),)) for n, (a, b) in zip(nums, paras, strict=True)]
    return [_Block(nums, a, b, ((a, b, ""),)) for a, b in paras]


def _heading(text: str) -> bool:
    return not text or (len(text) < 80 and not re.search(r"[.!?:]$", text))


# --------------------------------------------------------------------------- assembling


def build_questions(
    doc: Doc,
    walk: list[Mark],
    listed: list[Mark],
    qspans: dict[tuple[int, int], list[tuple[int, int]]],
) -> tuple[Question, ...]:
    """One question per number; sub-questions ("1.1", "5a") are part of their number's text."""
    by_num: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    printed = {m.key: m.label for m in (*listed, *walk)}
    for m in listed or walk:
        spans = qspans.get(m.key) if not listed else [(m.body, _listed_end(doc, m))]
        for a, b in spans or [(m.body, _listed_end(doc, m))]:
            by_num[m.key[0]].append((printed.get(m.key, ""), a, b))
    out = []
    for n, parts in sorted(by_num.items(), key=lambda kv: kv[1][0][1]):  # print order
        multi = len({p[0] for p in parts}) > 1
        texts = [(f"{lab} " if multi and lab else "") + span_text(doc.view, a, b)
                 for lab, a, b in parts]
        text = "\n".join(t for t in texts if t.strip())
        out.append(Question(n, text, parts[0][0] if not multi else str(n), parts[0][1],
                            parts[-1][2]))
    return tuple(out)


def _listed_end(doc: Doc, item: Mark) -> int:
    later = [m.pos for m in doc.marks if m.pos > item.pos and m.kind in _STOP_KINDS]
    return _question_end(doc, item.body, min(later, default=len(doc.view)))


def build_answers(doc: Doc, blocks: list[_Block], zone_end: int) -> tuple[AnswerBlock, ...]:
    qnorm = ""
    if zone_end > 0:
        qnorm = "".join(ch.lower() for ch in doc.view[:zone_end] if ch.isalnum())
    out = []
    for b in blocks:
        texts = []
        for a, e, head in b.parts:
            e = _trim_copied(doc.view, a, e, qnorm) if qnorm else e
            text = span_text(doc.view, a, e)
            texts.append(f"{head} {text}" if head else text)
        text = "\n".join(t for t in texts if t)
        if text:
            out.append(AnswerBlock(b.nums, text, b.start, b.end))
    return tuple(out)


def _trim_copied(view: str, start: int, end: int, qnorm: str) -> int:
    """Drop trailing lines copied from the question paper (headings and context reprinted
    before the next question); short lines count together with the lines above them."""
    lines = view[start:end].split("\n")
    cut, acc, pos = end, "", end
    for line in reversed(lines[1:][-40:]):
        pos -= len(line) + 1
        norm = "".join(ch.lower() for ch in line if ch.isalnum())
        if not norm:
            continue
        acc = norm + acc
        if len(acc) < 15:
            continue
        if acc not in qnorm:
            break
        cut = pos
    return max(cut, start)


def build_preambles(
    doc: Doc,
    events: list[Mark],
    chain: list[Mark],
    listed: list[Mark],
    inter: list[tuple[int, int]],
    first: int,
) -> tuple[Preamble, ...]:
    stops = sorted({m.pos for m in (*events, *chain, *listed) if m.kind != "pre"}
                   | {m.pos for m in doc.marks if m.kind in ("pre", "intro", "formula")})
    out: list[Preamble] = []
    for m in doc.marks:
        if m.kind != "pre":
            continue
        k = bisect_right(stops, m.pos)
        stop = stops[k] if k < len(stops) else len(doc.view)
        text = span_text(doc.view, m.body, stop)
        if text and not any(p.side == m.side and p.text[:80] == text[:80] for p in out):
            out.append(Preamble(m.side, text, m.body, stop))
    if not any(p.side == "askers" for p in out):
        out += _implicit_askers(doc, chain, listed)
    if inter:
        out = _add_interstitial(doc, out, inter)
    return tuple(out)


def _implicit_askers(doc: Doc, chain: list[Mark], listed: list[Mark]) -> list[Preamble]:
    """The askers' text between the title and "Ich frage die Landesregierung:"."""
    first_q = (listed or chain)[0].pos if (listed or chain) else -1
    intros = [m for m in doc.marks if m.kind == "intro" and m.pos < first_q]
    if not intros:
        return []
    intro = intros[-1]
    header = header_of(doc, intro.pos)
    start = _title_end(doc, header.title, intro.pos)
    text = span_text(doc.view, start, intro.pos) if start > 0 else ""
    return [Preamble("askers", text, start, intro.pos)] if len(text) > 40 else []


def _title_end(doc: Doc, title: str, limit: int) -> int:
    tail = "".join(ch.lower() for ch in title if ch.isalnum())[-25:]
    if len(tail) < 10:
        return -1
    norm, pos = _norm_index(doc.view[:limit])
    hit = norm.find(tail)
    if hit < 0:
        return -1
    end = pos[hit + len(tail) - 1] + 1
    nl = doc.view.find("\n", end)
    return nl + 1 if 0 <= nl < limit else end


def _add_interstitial(
    doc: Doc, out: list[Preamble], inter: list[tuple[int, int]]
) -> list[Preamble]:
    """Context the askers printed between their questions joins their preamble."""
    texts = [t for a, b in inter if len(t := span_text(doc.view, a, b)) > 40]
    if not texts:
        return out
    asks = [p for p in out if p.side == "askers"]
    if asks:
        p = asks[0]
        merged = Preamble("askers", "\n".join([p.text, *texts]), p.start, max(p.end, inter[-1][1]))
        return [merged if q is p else q for q in out]
    return [Preamble("askers", "\n".join(texts), inter[0][0], inter[-1][1]), *out]
