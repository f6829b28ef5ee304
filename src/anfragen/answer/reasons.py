"""Why there is no answer: the question's salient terms that the closest passages lack.

"Zu «Nordrhein-Westfalen» finde ich nichts; die gefundenen Antworten nennen nur bundesweite
Zahlen." is built from what the answerability features saw: which of the question's
Länder, years, numbers or names the best passages and their documents do not mention, and
what those passages cover instead (the Bund, another Land, other years).
"""

from __future__ import annotations

import re

from .answerability import YEAR, Coverage, QueryTerms, Term, missing_terms

_COUNTING = re.compile(r"^\s*(?:wie\s+(?:viele?|hoch|groß|lang|teuer)|in\s+wie\s+vielen|"
                       r"welche[nrs]?\s+(?:anzahl|summe|betrag|anteil|höhe))|anzahl|zahl",
                       re.IGNORECASE)
_SPECIFIC = ("place", "year", "number", "name")


def why_not(query: str, qt: QueryTerms, closest: list[tuple]) -> str | None:
    """The reason for an abstention, or None when the closest passages (hit, coverage, p)
    lack nothing the question singles out."""
    if not closest:
        return None
    covs: list[Coverage] = [cov for _, cov, _ in closest]
    missing = [t for t in missing_terms(qt, covs[0]) if t.kind in _SPECIFIC
               and all(t in missing_terms(qt, c) for c in covs[1:])]
    if not missing:
        return None
    first = missing[0]
    named = [t for t in missing if t.kind == first.kind][:2]
    what = " und ".join(f"«{t.text}»" for t in named)
    if all(unknown(qt, t) for t in named):
        return f"Zu {what} finde ich in den Anfragen nichts."
    return f"Zu {what} finde ich nichts; die gefundenen Antworten {instead(query, first, covs)}."


def unknown(qt: QueryTerms, t: Term) -> bool:
    """A term no chunk of the index contains."""
    return t.kind != "place" and bool(t.stems) and all(
        qt.idf.get(s, qt.max_idf) >= qt.max_idf - 1e-9 for s in t.stems)


def instead(query: str, t: Term, covs: list[Coverage]) -> str:
    """What the closest passages cover in place of the missing term."""
    noun = "Zahlen" if _COUNTING.search(query) else "Angaben"
    if t.kind == "place":
        lands = sorted({c.doc_land for c in covs if c.doc_land} |
                       {land for c in covs for land in c.lands})
        if not lands:
            return f"nennen nur bundesweite {noun}"
        return f"betreffen {' und '.join(lands[:2])}"
    if t.kind == "year":
        years = sorted({y for c in covs for y in YEAR.findall(c.text)})
        if years:
            return f"nennen {noun} für {', '.join(years[-4:])}"
        return "nennen keine Angaben für dieses Jahr"
    return "behandeln das Thema, nennen dies aber nicht"
