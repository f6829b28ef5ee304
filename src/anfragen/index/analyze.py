"""German text analysis for BM25: tokens, stopwords, Snowball stems, compound parts, safe FTS5
queries."""

from __future__ import annotations

import os
import re
from functools import lru_cache

from . import compound

_TOKEN = re.compile(r"[0-9]+(?:[/.,][0-9]+)*|[^\W\d_]+", re.UNICODE)

STOPWORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes anderm andern anderr anders auch auf aus bei bin bis bist da damit dann das dass
    dasselbe dazu daß dein deine deinem deinen deiner deines dem demselben den denn denselben
    der derer derselbe derselben des desselben dessen dich die dies diese dieselbe dieselben
    diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines einig
    einige einigem einigen einiger einiges einmal er es etwas euch euer eure eurem euren eurer
    eures für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen
    ihr ihre ihrem ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene
    jenem jenen jener jenes jetzt kann kein keine keinem keinen keiner keines können könnte
    machen man manche manchem manchen mancher manches mein meine meinem meinen meiner meines
    mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine
    seinem seinen seiner seines selbst sich sie sind so solche solchem solchen solcher solches
    soll sollte sondern sonst um und uns unser unsere unserem unseren unserer unseres unter
    viel vom von vor während war waren warst was weg weil weiter welche welchem welchen
    welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde
    würden zu zum zur zwar zwischen gibt wurde wurden gab worden wieviel viele wann wer wem
    wen warum weshalb wieso bitte
    """.split()
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("german")


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


def query_key(query: str) -> str:
    """A question's key in the fitted models' fold maps (answerability.json, rerank.json):
    its tokens, so spacing and case do not matter."""
    import hashlib

    return hashlib.blake2b(" ".join(tokens(query)).encode(), digest_size=8).hexdigest()


def analyze(text: str) -> list[str]:
    """Lower-case tokens without stopwords, Snowball-stemmed (numbers kept as printed)."""
    toks = [t for t in tokens(text) if t not in STOPWORDS]
    stem = _stemmer().stemWords
    return [t if t[0].isdigit() else s for t, s in zip(toks, stem(toks), strict=True)]


# What the BM25 bodies of an index were built with (manifest "analyzer"; an index written
# before the manifest named it is LEGACY_ANALYZER). Compound splitting is opt-in
# (ANFRAGEN_BM25_COMPOUNDS=1 at ingest): measured on both dev files it lifted one and cost the
# other (eval/results/retrieval-issue13-2026-12-01.md), so it is not the default.
LEGACY_ANALYZER = "snowball-german"
COMPOUND_ANALYZER = "snowball-german+compounds-1"
COMPOUNDS_ENV = "ANFRAGEN_BM25_COMPOUNDS"


def ingest_analyzer() -> str:
    """The analyser a new ingest writes BM25 bodies with."""
    return COMPOUND_ANALYZER if os.environ.get(COMPOUNDS_ENV) == "1" else LEGACY_ANALYZER


def bm25_terms(text: str) -> list[str]:
    """analyze() plus, after each compound, the stems of its parts (compound.py), so that
    "Wald" finds "Waldfläche". BM25 only: the answer stage's term overlap keeps analyze()."""
    toks = []
    for t in tokens(text):
        if t not in STOPWORDS:
            toks.append(t)
            toks.extend(compound.parts(t))
    stem = _stemmer().stemWords
    return [t if t[0].isdigit() else s for t, s in zip(toks, stem(toks), strict=True)]


def fts_document(text: str, compounds: bool = False) -> str:
    return " ".join(bm25_terms(text) if compounds else analyze(text))


def fts_terms(text: str, max_terms: int = 64, compounds: bool = False) -> list[str]:
    """The query's distinct BM25 terms in order, quote characters removed; without compound
    parts unless the index's bodies hold them (COMPOUND_ANALYZER)."""
    seen: dict[str, None] = {}
    for term in bm25_terms(text) if compounds else analyze(text):
        seen.setdefault(term.replace('"', ""), None)
    return [t for t in seen if t][:max_terms]


def fts_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression that OR-s the terms, each quoted: user input can never be
    read as FTS5 syntax (quotes, `*`, `NEAR(`, `AND OR`)."""
    return " OR ".join(f'"{t}"' for t in terms)
