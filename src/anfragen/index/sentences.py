"""Sentences of an answer: splitting, procedural boilerplate, cross-references, and the
score that picks the sentence that answers a question.

A passage's sentences are scored against the question by meaning (cosine of the embedding
model's vectors, precomputed at ingest: see sentvecs.py) and by shared stems; procedural
sentences ("Die Fragen 1 bis 5 werden ... gemeinsam beantwortet.") are never quoted, and a
sentence that only points to another answer of the same document ("Auf die Antwort zu
Frage 7 wird verwiesen.") is replaced by that answer's best sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .analyze import analyze

_ABBREV = frozenset(
    "nr abs art bzw ca vgl ggf drs dr prof st std mio mrd tsd usw etc inkl insb bspw evtl "
    "u.a z.b d.h i.d.r s.o s.u s bd kap anl lfd gem mill zzgl abzgl tab ziff z b d h a i "
    "u o v".split()
)
_BOUNDARY = re.compile(r"[.!?:]\s+(?=[A-ZÄÖÜ„\"(\d])")
EMBED_CHARS = 300  # a sentence is embedded from its first 300 characters (tables run long)

_NUM = r"\d+[a-z]?(?![a-zäöüß])"
_NUMS = rf"{_NUM}(?:\s*(?:,|und|bis|sowie|-|–)\s*{_NUM})*"
_PROCEDURAL = [re.compile(p, re.IGNORECASE) for p in (
    # joint-answer notices: "Die Fragen 3 und 4 werden aufgrund des Sachzusammenhangs
    # gemeinsam beantwortet."
    rf"^(?:die\s+)?fragen?\s+{_NUMS}\s+(?:werden|wird)\b.{{0,80}}\b(?:gemeinsam|zusammen|"
    r"im zusammenhang|zusammenhängend)\s+beantwortet",
    r"^(?:diese|die)\s+vorbemerkung(?:en)?\s+(?:der\s+\w+\s+)?(?:vorangestellt|"
    r"vorausgeschickt)",
    r"^dies(?:es)?\s+(?:vorangestellt|vorausgeschickt|vorweggeschickt)",
    r"^(?:namens|im namen|namens und im auftrag)\s+(?:der|des)\s+\w+.{0,80}\bbeantworte",
    r"\bbeantworte(?:n)?\s+(?:ich|wir)\s+die\s+(?:kleine|schriftliche|große)\s+anfrage",
    r"\bwird\s+(?:die\s+)?(?:kleine\s+)?anfrage\s+wie\s+folgt\s+beantwortet",
    r"^die\s+antwort\s+wurde\s+namens\s+der",  # transmission note (Bundestag)
    r"\bmit\s+schreiben\s+(?:des|der|vom)\b.{0,160}\bübermittelt\b",
    r"^(?:die\s+)?drucksache\s+enthält\s+zusätzlich",
    r"^vorabfassung\b",
    r"^dieses\s+werk\s+ist\s+lizenziert",
    r"^(?:vorbemerkung|antwort)\s+(?:der|des)\s+\w+:?$",
)]
_REFERENCE = re.compile(
    r"\b(?:antwort(?:en)?\s+(?:der\s+\w+\s+)?zu(?:r|\s+den)?\s+(?:fragen?\s+)?"
    rf"(?P<nums>{_NUMS})|(?P<pre>vorbemerkung(?:en)?(?:\s+der\s+(?:bundes|landes|staats)"
    r"regierung|\s+des\s+senats)?)\b)",
    re.IGNORECASE,
)
_POINTER = re.compile(r"\b(?:verwiesen|hingewiesen|bezug\s+genommen|verweist|siehe|vgl\.)",
                      re.IGNORECASE)
_ELSEWHERE = re.compile(r"drucksache|drs\.|kleinen\s+anfrage|schriftliche\s+frage|plenarprotokoll",
                        re.IGNORECASE)


_POINTER_WORDS = frozenset({"ubrig", "darub", "hinaus", "zud", "weit", "insoweit", "erganz",
                            "dies", "bezug", "hinsicht", "dabei"})


# Stored with the index (manifest "sentence_split"): an index whose sentences were split
# otherwise gets them again at the next ingest, or their stored vectors would not match the
# sentences quoted. 1: before parentheses held their boundaries.
SPLIT_VERSION = 2
PAREN_REACH = 120  # a parenthesis closed within this many characters holds its boundaries


def split_sentences(text: str) -> list[str]:
    """German sentence split that survives "Nr. 5", "z. B.", "1. Januar", tables and
    parentheses: "(Stand: 29. April 2025)" stays inside its sentence."""
    out: list[str] = []
    for para in text.split("\n"):
        start = 0
        for m in _BOUNDARY.finditer(para):
            before = para[start : m.start()].rsplit(" ", 1)[-1].lower().lstrip("(„\"")
            if para[m.start()] == "." and (before in _ABBREV or re.fullmatch(r"\d{1,2}", before)):
                continue  # abbreviation or ordinal ("1. Januar"), not a sentence end
            if inside_parenthesis(para, start, m.start(), m.end()):
                continue
            out.append(para[start : m.start() + 1].strip())
            start = m.end()
        out.append(para[start:].strip())
    return [s for s in out if s]


def inside_parenthesis(para: str, start: int, at: int, after: int) -> bool:
    """Is the boundary at `at` inside a parenthesis opened in this sentence and closed soon
    after it ("(Stand: 31. Juli 2025)", "(Antragshöhe: 1,4 Millionen Euro)")? A "(" never
    closed (a table's debris) does not hold the split."""
    head = para[start:at]
    if head.count("(") <= head.count(")"):
        return False
    tail = para[after : after + PAREN_REACH]
    close, reopen = tail.find(")"), tail.find("(")
    return close >= 0 and (reopen < 0 or close < reopen)


def embed_text(sentence: str) -> str:
    """What the embedding model sees of a sentence (also the key of its cached vector)."""
    return " ".join(sentence.split())[:EMBED_CHARS]


def is_procedural(sentence: str) -> bool:
    """A notice about how the answer is given, not part of it."""
    s = " ".join(sentence.split())
    return any(p.search(s) for p in _PROCEDURAL)


@dataclass(frozen=True)
class Reference:
    """A sentence that points to other answers of the same document (0: the preamble)."""

    numbers: tuple[int, ...]
    only: bool  # the sentence says nothing else: it is replaced, not quoted


def reference_in(sentence: str) -> Reference | None:
    """The answers of the same document a sentence refers to; None for references to other
    Drucksachen and for sentences without one."""
    s = " ".join(sentence.split())
    m = _REFERENCE.search(s)
    if m is None or not _POINTER.search(s) or _ELSEWHERE.search(s):
        return None
    nums = (0,) if m.group("pre") else question_numbers(m.group("nums") or "")
    if not nums:
        return None
    rest = _POINTER.sub(" ", s[: m.start()] + s[m.end():])
    only = len(set(analyze(rest)) - _POINTER_WORDS) <= 2 and len(s) < 240
    return Reference(nums, only)


def question_numbers(spec: str) -> tuple[int, ...]:
    """ "3 und 4" -> (3, 4); "1 bis 3b" -> (1, 2, 3); sub-questions belong to their number."""
    out: list[int] = []
    for part in re.split(r"\s*(?:,|und|sowie)\s*", spec):
        bounds = [int(x) for x in re.findall(r"\d+", part)][:2]
        if len(bounds) == 2 and re.search(r"bis|-|–", part) and 0 < bounds[1] - bounds[0] < 50:
            out.extend(range(bounds[0], bounds[1] + 1))
        else:
            out.extend(bounds[:1])
    return tuple(dict.fromkeys(n for n in out if n > 0))


_VERB_END = re.compile(r"(?:en|st|t|e)$")


def lexical(query_terms: set[str] | dict[str, float], sentence: str) -> float:
    """Share of the query's content stems in the sentence, each weighted by its IDF when
    `query_terms` maps stems to it (a rare word of the question says more than "Jahr");
    half a point for a stem whose root opens or closes a word of it (German compounds and
    nominalised verbs: "baut" -> "Aufbau", "Geld" -> "Fördergeld")."""
    if not query_terms:
        return 0.0
    weight = query_terms if isinstance(query_terms, dict) else dict.fromkeys(query_terms, 1.0)
    words = set(analyze(sentence))
    score = 0.0
    for t, w in weight.items():
        root = _VERB_END.sub("", t) if not t[0].isdigit() else t
        if t in words:
            score += w
        elif len(root) >= 3 and any(x != root and (x.endswith(root) or x.startswith(root))
                                    for x in words):
            score += 0.5 * w
    return score / (sum(weight.values()) or 1.0)


# Score of a sentence: meaning first (query-sentence cosine of the embedding model, which
# e5 keeps in a narrow band, hence the weight), shared stems second, and a small bonus for
# coming early (answers tend to open with the answer). Without a vector: stems and position.
SEM_WEIGHT = 4.0
POSITION_BONUS = 0.1


@dataclass(frozen=True)
class Candidate:
    """A quotable sentence of a passage with its score; `reference` when it points to
    other answers of the same document."""

    text: str
    index: int
    score: float
    reference: Reference | None = None


# What kind of sentence answers the question: a figure ("Wie viele ...", "Wie hoch ..."), a
# date ("Wann ..."), or a plain yes or no ("Gibt es ...?", "Darf ...?"); see shape_of.
_COUNT_Q = re.compile(r"\b(?:wie\s+(?:viele?|hoch|groß|lang|teuer|oft)|in\s+welcher\s+höhe|"
                      r"welche[nrs]?\s+(?:anzahl|summe|betrag|anteil|kosten)|anzahl|"
                      r"wie\s+viel\s+\w+)\b", re.IGNORECASE)
_WHEN_Q = re.compile(r"\b(?:wann|bis\s+wann|seit\s+wann|ab\s+wann|zeitpunkt|zeitplan)\b",
                     re.IGNORECASE)
_FIGURE = re.compile(r"\d[\d.,]*\s*(?:%|prozent|euro|mio|mrd|millionen|milliarden|tausend|"
                     r"\w+)|\b(?:keine[nrms]?|kein)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(?:19|20)\d{2}\b|\b(?:januar|februar|märz|april|mai|juni|juli|august|"
                   r"september|oktober|november|dezember|frühjahr|sommer|herbst|winter|"
                   r"quartal|ende|anfang|mitte)\b", re.IGNORECASE)
# Sentences that lead into what follows ("... teilt hierzu mit:"), ask back, or add to an
# answer already given ("Ergänzend ...", "Im Übrigen ..."): they answer nothing on their own.
_CONNECTIVE = re.compile(r"^(?:ergänzend|im\s+übrigen|darüber\s+hinaus|zudem|außerdem|"
                         r"vor\s+diesem\s+hintergrund|des\s+weiteren|weiterhin|hierzu|"
                         r"dazu|insofern|insoweit)\b", re.IGNORECASE)
SHAPE_BONUS = 0.15
LEAD_IN_PENALTY = 0.3
CONNECTIVE_PENALTY = 0.1


def shape_of(query: str) -> frozenset[str]:
    """"count" and/or "when": the kinds of fact the question asks for."""
    out = set()
    if _COUNT_Q.search(query):
        out.add("count")
    if _WHEN_Q.search(query):
        out.add("when")
    return frozenset(out)


def form_score(sentence: str, shape: frozenset[str]) -> float:
    """A bonus for a sentence shaped like the answer asked for (a figure, a date), a penalty
    for one that only leads into, or adds to, what the answer says."""
    s = sentence.strip()
    score = 0.0
    if "count" in shape and _FIGURE.search(re.sub(r"\b(?:19|20)\d{2}\b", "", s)):
        score += SHAPE_BONUS
    if "when" in shape and _DATE.search(s):
        score += SHAPE_BONUS
    if s.endswith((":", "?")):
        score -= LEAD_IN_PENALTY
    if _CONNECTIVE.match(s):
        score -= CONNECTIVE_PENALTY
    return score


def sentence_score(semantic: float | None, lex: float, index: int, form: float = 0.0) -> float:
    prior = POSITION_BONUS / (1 + index)
    if semantic is None:
        return lex + prior + form
    return SEM_WEIGHT * semantic + lex + prior + form


def candidates(query_terms: set[str] | dict[str, float], text: str, vectors: dict | None = None,
               query_vector=None, shape: frozenset[str] = frozenset()) -> list[Candidate]:
    """The passage's sentences that may be quoted (procedural notices dropped), scored;
    `shape` is what the question asks for (shape_of)."""
    out = []
    for i, sent in enumerate(split_sentences(text)):
        if is_procedural(sent):
            continue
        vec = (vectors or {}).get(embed_text(sent))
        sem = float(vec.astype("float32") @ query_vector) if vec is not None and \
            query_vector is not None else None
        score = sentence_score(sem, lexical(query_terms, sent), i, form_score(sent, shape))
        out.append(Candidate(sent, i, score, reference_in(sent)))
    return out


def select(cands: list[Candidate], max_sentences: int, max_chars: int,
           whole_below: int) -> list[Candidate]:
    """The best sentence first, then the next best ones in document order, within the
    budget; a passage shorter than `whole_below` characters is quoted whole. A sentence that
    only points elsewhere is never quoted (its target is quoted instead)."""
    quotable = [c for c in cands if not (c.reference and c.reference.only)]
    if not quotable:
        return []
    # a sentence ending in "?" restates the printed question ("d) Wurden die Projektträger
    # informiert ...?"): quoted after the answer, never instead of it
    answers = [c for c in quotable if not c.text.rstrip().endswith("?")] or quotable
    best = max(answers, key=lambda c: (c.score, -c.index))
    if sum(len(c.text) for c in quotable) <= whole_below:
        chosen = quotable
    else:
        chosen, total = [best], len(best.text)
        for c in sorted(quotable, key=lambda c: (-c.score, c.index)):
            if c is best or len(chosen) >= max_sentences or total + len(c.text) > max_chars:
                continue
            chosen.append(c)
            total += len(c.text)
    return [best] + sorted((c for c in chosen if c is not best), key=lambda c: c.index)


def references(cands: list[Candidate], own: tuple[int, ...]) -> tuple[int, ...]:
    """The other answers a passage points to, when its own words say little (at most two
    quotable sentences besides the pointer)."""
    refs = [n for c in cands if c.reference for n in c.reference.numbers if n not in own]
    plain = [c for c in cands if not c.reference]
    return tuple(dict.fromkeys(refs)) if refs and len(plain) <= 2 else ()
