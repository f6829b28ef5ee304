"""Hits -> a grounded, extractive Answer: the answering body's own sentences, each with a
numbered citation, or an explicit abstention when the evidence is weak.

Nothing is stated that is not a verbatim sentence of a cited passage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache

from anfragen import paths
from anfragen.index import sentences as st
from anfragen.index import sentvecs
from anfragen.index.analyze import analyze
from anfragen.index.sentences import split_sentences
from anfragen.models import Answer, Citation, Hit
from anfragen.parse.instructions import without_instructions

from . import answerability as ab

__all__ = ["ABSTAIN_TEXT", "AnswerSettings", "answer_from_hits", "citation_for",
           "split_sentences"]

ABSTAIN_TEXT = "In den vorliegenden Anfragen habe ich dazu keine Antwort gefunden."
CALIBRATION_FILE = paths.calibration_file()  # package data, or the user's own calibration


@dataclass(frozen=True)
class AnswerSettings:
    """Abstain when the best passage's confidence is below `threshold` (see calibrate)."""

    threshold: float = 0.80
    max_sources: int = 3
    source_margin: float = 0.015  # further sources: cosine within this of the best
    cite_margin: float = 0.03  # with the answerability model: cited passages within this
    max_sentences: int = 3
    max_chars: int = 600

    @classmethod
    def load(cls) -> AnswerSettings:
        if CALIBRATION_FILE.is_file():
            data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        return cls()


def overlap(query_terms: set[str], text: str) -> float:
    """Fraction of the query's content stems found in the text."""
    if not query_terms:
        return 0.0
    return len(query_terms & set(analyze(text))) / len(query_terms)


def confidence(query_terms: set[str], hit: Hit) -> float:
    """How well a passage answers: the query-passage cosine of the embedding model.

    On the dev set it separates answerable from unanswerable questions far better (AUC 0.95)
    than lexical coverage (0.77) or blends of both; coverage is the fallback in BM25-only use.
    """
    cos = hit.scores.get("cosine")
    if cos is None:
        return 0.55 + 0.45 * overlap(query_terms, hit.chunk.text)
    return float(cos)


def pick_sentences(query_terms: set[str], text: str, s: AnswerSettings, vectors=None,
                   query_vector=None) -> list[str]:
    """The sentences to quote from one passage: the best first (see sentences.select); a
    sentence ordering a reader or model about is never quoted as the answering body's."""
    allowed = set(without_instructions(split_sentences(text)))
    cands = st.candidates(query_terms, text, vectors, query_vector)
    return [c.text for c in st.select(cands, s.max_sentences, s.max_chars, s.max_chars)
            if c.text in allowed]


def citation_for(n: int, hit: Hit) -> Citation:
    d = hit.doc
    return Citation(
        n=n,
        chunk_id=hit.chunk.chunk_id,
        doc_id=hit.chunk.doc_id,
        questions=tuple(hit.chunk.numbers),
        drucksache=d.get("drucksache", ""),
        parliament=d.get("parliament", ""),
        date_answered=d.get("date_answered", ""),
        answering_body=d.get("answering_body", ""),
        source=d.get("path", ""),
        title=d.get("title", ""),
        url=d.get("url", ""),
    )


def choose_sources(
    query_terms: set[str], hits: list[Hit], s: AnswerSettings
) -> list[tuple[Hit, float]]:
    """The best passage and those close to it, at most one per unit, answered ones only."""
    # The askers' preamble is their claim, not the answering body's word: never quoted.
    scored = [
        (h, confidence(query_terms, h))
        for h in hits[:10]
        if h.chunk.answer_text and h.chunk.kind != "preamble:askers"
    ]
    if not scored:
        return []
    best = max(c for _, c in scored)
    chosen: list[tuple[Hit, float]] = []
    units: set[tuple[str, tuple[int, ...]]] = set()
    for h, c in sorted(scored, key=lambda t: (-t[1], t[0].rank)):
        key = (h.chunk.doc_id, h.chunk.numbers)
        if c < best - s.source_margin or key in units or len(chosen) >= s.max_sources:
            continue
        units.add(key)
        chosen.append((h, c))
    return chosen


def answer_from_hits(query: str, hits: list[Hit], settings: AnswerSettings | None = None,
                     lookup=None, model: ab.Model | None = None) -> Answer:
    """The answer to `query` from its ranked hits. With `lookup` (the index, see lookup.py)
    the answerability model decides and explains an abstention; without it (bare hits) the
    calibrated cosine threshold decides."""
    s = settings or AnswerSettings.load()
    terms = set(analyze(query))
    if model is None and lookup is not None:
        model = shipped_model(getattr(lookup, "model_fingerprint", ""))
    if model is None or lookup is None:
        sources = choose_sources(terms, hits, s)
        conf = sources[0][1] if sources else 0.0
        if not sources or conf < s.threshold:
            return Answer(query=query, abstained=True, text=None, citations=(),
                          hits=tuple(hits), confidence=conf)
        return quote(query, terms, [h for h, _ in sources], hits, s, lookup, conf)
    qt = ab.query_terms(query, lookup.term_rows, lookup.n_chunks)
    rows = ab.passage_features(qt, hits)
    feats = ab.question_features(rows)
    conf = model.probability(feats) if feats else 0.0
    if conf < model.threshold:
        return abstain(query, hits, qt, rows, conf)
    weighted = {t: max(qt.idf.get(t, 0.0), MIN_WEIGHT) for t in terms}
    return quote(query, weighted, one_per_unit(cited(rows, s), s.max_sources), hits, s, lookup,
                 conf)


MIN_WEIGHT = 0.5  # a stem in nearly every chunk still counts a little when it is matched


def cited(rows: list, s: AnswerSettings) -> list[Hit]:
    """The passages that pass the check (answerability.passes), in rank order, less those
    with nothing of their own to quote: a unit's first part that holds only "Die Fragen 1
    bis 11 werden gemeinsam beantwortet." would otherwise stand for the whole unit
    (one_per_unit) and take its answer, in the parts after it, out of the citations."""
    best = max(f["cos"] for _, _, f in rows)
    close = [f for _, _, f in rows if f["cos"] >= best - s.cite_margin]
    strict = any(not any(f[k] for k in ("missing_place", "missing_year", "missing_number"))
                 for f in close)
    return [h for h, _, f in rows if ab.passes(f, best, s.cite_margin, strict)
            and sentvecs.quotable(h.chunk.answer_text)]


@lru_cache(maxsize=4)
def shipped_model(fingerprint: str = "") -> ab.Model | None:
    """The fitted model, for indexes of the embedding model it was fitted with only (its
    cosines are on that model's scale); None otherwise: then the cosine threshold decides."""
    models = ab.load_models()
    return models.final if models and models.fits(fingerprint) else None


def one_per_unit(hits: list[Hit], limit: int) -> list[Hit]:
    out: list[Hit] = []
    units: set[tuple[str, tuple[int, ...]]] = set()
    for h in hits:
        key = (h.chunk.doc_id, h.chunk.numbers)
        if key not in units and len(out) < limit:
            units.add(key)
            out.append(h)
    return out


def abstain(query: str, hits: list[Hit], qt: ab.QueryTerms, rows: list, conf: float) -> Answer:
    """No answer; when the documents cover the topic but not what the question singles out
    (a Land, a year, a name), say which, and show those documents as related."""
    from .reasons import why_not

    ranked = sorted(rows, key=lambda r: (-r[2]["cos"], r[0].rank))
    related = one_per_doc([h for h, _, _ in ranked], 5)
    return Answer(query=query, abstained=True, text=None, citations=(), hits=tuple(hits),
                  confidence=conf, reason=why_not(query, qt, ranked[:3]),
                  related=tuple(related))


def one_per_doc(hits: list[Hit], limit: int) -> list[Hit]:
    out, seen = [], set()
    for h in hits:
        if h.chunk.doc_id not in seen and len(out) < limit:
            seen.add(h.chunk.doc_id)
            out.append(h)
    return out


@dataclass(frozen=True)
class Quoted:
    """One cited passage and what is quoted from it; `via` is the citation number of the
    passage whose cross-reference brought it."""

    hit: Hit
    picked: tuple[st.Candidate, ...]
    via: int | None = None


def quote(query: str, terms: set[str] | dict[str, float], sources: list[Hit], hits: list[Hit],
          s: AnswerSettings, lookup, conf: float) -> Answer:
    """Quote the sources in rank order (a preamble leads only with the best sentence), each
    followed by the answers its cross-references point to."""
    vectors = lookup.sentence_vectors([h.chunk.chunk_id for h in sources]) if lookup else {}
    # meaning-based scores only when every sentence has its vector: a score by stems alone
    # is on another scale and would lose every comparison
    qvec = lookup.query_vector() if lookup is not None and all(
        st.embed_text(x) in vectors.get(h.chunk.chunk_id, {})
        for h in sources for x in sentvecs.quotable(h.chunk.answer_text)) else None
    shape = st.shape_of(query)
    parts = []
    for h in sources:
        cands = quotable_only(h.chunk.answer_text, st.candidates(
            terms, h.chunk.answer_text, vectors.get(h.chunk.chunk_id), qvec, shape))
        parts.append((h, cands, st.select(cands, s.max_sentences, s.max_chars, s.max_chars)))
    quoted: list[Quoted] = []
    for h, cands, picked in preamble_order(parts):
        refs = st.references(cands, h.chunk.numbers) if lookup is not None else ()
        seen = {q.hit.chunk.chunk_id for q in quoted}
        # a passage already quoted (two answers pointing to one preamble) is cited once
        follow = [f for f in (followed(terms, h, refs, lookup, qvec, shape) if refs else [])
                  if f.hit.chunk.chunk_id not in seen]
        if h.chunk.chunk_id in seen or (not picked and not follow):
            continue
        quoted.append(Quoted(h, tuple(picked)))
        quoted += [replace(f, via=len(quoted)) for f in follow]
    if not quoted:  # e.g. every sentence was an instruction: nothing of the body's to quote
        return Answer(query=query, abstained=True, text=None, citations=(), hits=tuple(hits),
                      confidence=conf)
    return assemble(query, quoted, hits, conf)


def quotable_only(text: str, cands: list) -> list:
    """Candidates less the sentences that order a reader or model about, and what such a
    sentence dictates after a colon: never quoted as the answering body's words."""
    allowed = set(without_instructions(split_sentences(text)))
    return [c for c in cands if c.text in allowed]


def preamble_order(parts: list) -> list:
    """Rank order, except around preambles: one leads exactly when it holds the best
    sentence of all sources (then it moves to the front); one ranked first without it
    yields the lead to the passage that holds it."""
    def best(part) -> float:
        return max((c.score for c in part[2]), default=float("-inf"))

    if len(parts) < 2:
        return parts
    top = max(range(len(parts)), key=lambda i: (best(parts[i]), -i))
    preamble = parts[top][0].chunk.kind.startswith("preamble")
    if top != 0 and (preamble or parts[0][0].chunk.kind.startswith("preamble")):
        return [parts[top]] + [p for i, p in enumerate(parts) if i != top]
    return parts


MAX_FOLLOWED = 2  # referenced answers quoted per cross-referencing passage


def followed(terms: set[str] | dict[str, float], hit: Hit, numbers: tuple[int, ...], lookup,
             qvec, shape: frozenset[str] = frozenset()) -> list[Quoted]:
    """The referenced answers of the same document, with their best sentences."""
    out: list[Quoted] = []
    for n in numbers[:MAX_FOLLOWED]:
        chunks = lookup.unit(hit.chunk.doc_id, n)
        if not chunks:
            continue
        vecs = lookup.sentence_vectors([c.chunk_id for c in chunks])
        full = all(st.embed_text(x) in vecs.get(c.chunk_id, {}) for c in chunks
                   for x in sentvecs.quotable(c.answer_text))
        best = None
        for c in chunks:
            cands = [x for x in st.candidates(terms, c.answer_text, vecs.get(c.chunk_id),
                                              qvec if full else None, shape)
                     if not x.reference]
            picked = st.select(cands, 2, 400, 0)
            if picked and (best is None or picked[0].score > best[1][0].score):
                best = (c, picked)
        if best is not None:
            ref_hit = Hit(chunk=best[0], score=0.0, rank=0, scores={}, doc=hit.doc)
            out.append(Quoted(ref_hit, tuple(best[1])))
    return out


def assemble(query: str, quoted: list[Quoted], hits: list[Hit], conf: float) -> Answer:
    citations = [citation_for(n, q.hit) for n, q in enumerate(quoted, start=1)]
    sentences = [(c.text, n) for n, q in enumerate(quoted, start=1) for c in q.picked]
    via = {n: q.via for n, q in enumerate(quoted, start=1) if q.via}
    return Answer(query=query, abstained=False, text=compose(sentences, citations, via),
                  citations=tuple(citations), hits=tuple(hits), sentences=tuple(sentences),
                  confidence=conf)


def compose(sentences: list[tuple[str, int]], citations: list[Citation],
            via: dict[int, int] | None = None) -> str:
    """Quote the sentences, grouped per source, each source introduced by who answered; a
    source brought by a cross-reference is introduced as the answer referred to."""
    parts = []
    by_n = {c.n: c for c in citations}
    for c in citations:
        quoted = [s for s, n in sentences if n == c.n]
        if not quoted:
            continue
        quotes = " ".join(f"„{q}“ [{c.n}]" for q in quoted)
        if via and c.n in via:
            src = by_n[via[c.n]]
            parts.append(f"{intro(src)[:-1]} verweist [{src.n}] auf die Antwort zu "
                         f"{label(c)}: {quotes}")
        else:
            parts.append(f"{intro(c)} {quotes}")
    return "\n\n".join(parts)


def label(c: Citation) -> str:
    qs = ", ".join(str(q) for q in c.questions if q)
    if not qs:
        return "der Vorbemerkung"
    return f"{'Frage' if len(c.questions) == 1 else 'Fragen'} {qs}"


def intro(c: Citation) -> str:
    who = c.answering_body or "Die Antwort"
    where = label(c) if any(c.questions) else "Vorbemerkung"
    return f"{who} ({c.drucksache or c.doc_id}, {where}):"
