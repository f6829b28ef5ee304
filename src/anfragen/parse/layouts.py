"""Layout hints: what the general parser needs to know about one parliament's print.

Every German written inquiry shares one structure (header, preambles, numbered questions,
answers), so the general parser (`general.py`) needs no per-parliament code. A hint only
names the parliament as it prints itself and, where its print has them, page furniture or
closing lines that the generic patterns miss, or an answer label of its own. A hint is chosen
by the printed name in the document head, never by folder or file format.

To add a layout: append a `LayoutHint` below (name as the parliament prints it, a pattern that
finds that name), add furniture/ends/labels only for lines the generic patterns do not cover,
and add a synthetic document in that style to tests/test_parse_general.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_I = re.IGNORECASE


@dataclass(frozen=True)
class LayoutHint:
    name: str  # canonical printed name, used as Inquiry.parliament
    printed: re.Pattern  # finds the name in the document head
    furniture: tuple[re.Pattern, ...] = ()  # extra page furniture (masked before segmenting)
    ends: tuple[re.Pattern, ...] = ()  # extra closing lines: an answer ends before them
    labels: tuple[re.Pattern, ...] = ()  # extra answer labels; group "nums" holds the numbers
    government: str = "Landesregierung"  # who answers when the print names no ministry


def _p(pattern: str, flags: int = _I) -> re.Pattern:
    return re.compile(pattern, flags)


HINTS: tuple[LayoutHint, ...] = (
    LayoutHint(
        "Deutscher Bundestag",
        _p(r"Deutsche[rn]?\s+Bundestag(?:es)?\b"),
        government="Bundesregierung",
        furniture=(
            _p(r"Gesamtherstellung:[^\n]{0,250}?(?:heenemann-druck\.de\b|(?=\n))"),
            _p(r"Vertrieb:\s+Bundesanzeiger[^\n]{0,250}?(?:verlag\.de\b|(?=\n))"),
            _p(r"ISSN\s+0722-8333"),
            _p(r"Die Antwort wurde (?:namens|mit Schreiben)[^\n]{0,300}?(?:\n[^\n]{0,300}?){0,3}?"
               r"(?:übermittelt\.|den Fragetext\.)(?:\s*Die Drucksache enthält zusätzlich"
               r"[^\n]{0,100}?(?:\n[^\n]{0,100}?)?den Fragetext\.)?"),
            _p(r"Vorabfassung\s*-\s*wird durch die lektorierte Version ersetzt\.?"),
        ),
    ),
    LayoutHint("Landtag von Baden-Württemberg", _p(r"Landtag\s+(?:von\s+)?Baden-Württemberg")),
    LayoutHint(
        "Bayerischer Landtag",
        _p(r"Bayerische[rn]?\s+Landtag"),
        ends=(_p(r"Hinweise des Landtagsamts"),),
        government="Staatsregierung",
    ),
    LayoutHint(
        "Abgeordnetenhaus Berlin",
        _p(r"Abgeordnetenhaus(?:es)?\s+(?:von\s+)?Berlin|Eingang\s+beim\s+Abgeordnetenhaus"),
        government="Senat",
    ),
    LayoutHint("Landtag Brandenburg", _p(r"Landtag\s+Brandenburg")),
    LayoutHint(
        "Bremische Bürgerschaft",
        _p(r"Bremische[n]?\s+Bürgerschaft|Stadtbürgerschaft"),
        government="Senat",
    ),
    LayoutHint(
        "Hamburgische Bürgerschaft",
        _p(r"Hamburgische[n]?\s+Bürgerschaft|Bürgerschaft\s+der\s+Freien\s+und\s+Hansestadt"
           r"\s+Hamburg"),
        government="Senat",
    ),
    LayoutHint("Hessischer Landtag", _p(r"Hessische[rn]?\s+Landtag")),
    LayoutHint(
        "Landtag Mecklenburg-Vorpommern", _p(r"Landtag\s+(?:von\s+)?Mecklenburg-Vorpommern")
    ),
    LayoutHint("Niedersächsischer Landtag", _p(r"Niedersächsische[rn]?\s+Landtag")),
    LayoutHint(
        "Landtag Nordrhein-Westfalen",
        _p(r"Landtag\s+Nordrhein-Westfalen"),
        furniture=(
            _p(r"Datum des Originals:\s*[\d.]+\s*/\s*Ausgegeben:\s*[\d.]+(?:\s*\([\d.]+\))?"),
        ),
    ),
    LayoutHint("Landtag Rheinland-Pfalz", _p(r"Landtag\s+Rheinland-Pfalz")),
    LayoutHint("Landtag des Saarlandes", _p(r"Landtag\s+des\s+Saarlandes")),
    LayoutHint(
        "Sächsischer Landtag", _p(r"Sächsische[rn]?\s+Landtag"), government="Staatsregierung"
    ),
    LayoutHint("Landtag von Sachsen-Anhalt", _p(r"Landtag\s+(?:von\s+)?Sachsen-Anhalt")),
    LayoutHint("Schleswig-Holsteinischer Landtag", _p(r"Schleswig-Holsteinische[rn]?\s+Landtag")),
    LayoutHint("Thüringer Landtag", _p(r"Thüringer\s+Landtag")),
)
NO_HINT = LayoutHint("", _p(r"(?!x)x"), government="")
PARLIAMENT_NAMES = frozenset(h.name for h in HINTS)
HEAD_CHARS = 2500  # the printed name is looked for this far into the text


def hint_for(text: str) -> LayoutHint:
    """The hint of the parliament printed first in the document head (NO_HINT if none)."""
    head = text[:HEAD_CHARS]
    found = [(m.start(), h) for h in HINTS if (m := h.printed.search(head))]
    return min(found, key=lambda f: f[0])[1] if found else NO_HINT
