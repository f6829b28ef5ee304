"""Page furniture: running headers and footers, page numbers, print-shop and distribution lines,
transmission notes, rulers. They are masked before segmenting, wherever they stand: on lines of
their own, at page tops and bottoms ("\\f" = page break), or spliced into one-line text whose line
breaks were lost.

Masking replaces every furniture character (except line and page breaks) by MASK, so the view has
the length of the source and every offset found in it is an offset into the source text.
`span_text` turns a span of the view into clean text: masked lines vanish (a sentence broken by a
page header is joined again), masked runs inside a line become one space.
"""

from __future__ import annotations

import re

from .layouts import HINTS, LayoutHint
from .textclean import clean_block

MASK = "\x00"
ONE_LINE_CHARS = 400  # fewer line breaks than one per this many characters: one-line text

_PARL = "|".join(f"(?:{h.printed.pattern})" for h in HINTS)
_DS = r"Drucksache\s+\d{1,2} ?/ ?\d{1,6}(?: \d{3})?(?:\s*\((?:neu|\d{1,2}/\d{1,6})\))?"
_PART = (
    rf"(?:{_DS}|{_PARL}|\d{{1,2}}\.\s*Wahlperiode|[-–]\s?\d{{1,3}}\s?[-–]"
    r"|Seite\s+\d{1,3}(?:\s*(?:von|/)\s*\d{1,3})?)"
)
# "Drucksache 21/7652 – 2 – Deutscher Bundestag – 21. Wahlperiode", "Schleswig-Holsteinischer
# Landtag - 20. Wahlperiode Drucksache 20/2905": two or more parts, one of them a Drucksache.
_RUNNING = re.compile(rf"{_PART}(?:[ \t]*[-–]?[ \t]*{_PART})+", re.IGNORECASE)
_PAGE_NO = re.compile(r"[ \t]*(?:[-–][ \t]*)?\d{1,3}(?:[ \t]*[-–])?[ \t]*|[ \t]*Seite[ \t]+\d{1,3}"
                      r"(?:[ \t]*(?:von|/)[ \t]*\d{1,3})?[ \t]*")
_LINE = re.compile(
    r"^[ \t]*(?:[-–][ \t]*\d{1,3}[ \t]*[-–]|Seite[ \t]+\d{1,3}(?:[ \t]*(?:von|/)[ \t]*\d{1,3})?"
    r"|(?:Ausgegeben|Datum des Originals|Eingegangen|Verteilt|Zuleitung an die Landesregierung)"
    r"[ \t]*:[^\n]*|Drucksachen(?:,| und) Plenarprotokolle[^\n]*|[^\w\n]{3,})[ \t]*$",
    re.MULTILINE,
)
_INLINE = re.compile(
    r"(?<=\s)[-–] ?\d{1,3} ?[-–](?=\s)|Seite \d{1,3} (?:von|/) \d{1,3}"
    r"|Ausgegeben: \d{1,2}\.\d{1,2}\.\d{4}(?: \(\d{1,2}\.\d{1,2}\.\d{4}\))?"
)
_MASK_RUN = re.compile(rf"[ \t]*{MASK}[{MASK} \t]*")


def is_one_line(text: str) -> bool:
    breaks = text.count("\n") + text.count("\f")
    return breaks * ONE_LINE_CHARS < len(text)


def mask_furniture(text: str, hint: LayoutHint) -> str:
    """The text with its page furniture replaced by MASK characters (same length)."""
    spans = [m.span() for pat in hint.furniture for m in pat.finditer(text)]
    if is_one_line(text):
        spans += [m.span() for m in _INLINE.finditer(text)]
        spans += [m.span() for m in _RUNNING.finditer(text) if "rucksache" in m.group()]
    else:
        spans += [m.span() for m in _LINE.finditer(text)]
        spans += _page_edges(text)
    return _apply(text, spans)


def _apply(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for a, b in sorted(spans):
        a = max(a, pos)
        if a >= b:
            continue
        out.append(text[pos:a])
        out.append(re.sub(r"[^\n\f]", MASK, text[a:b]))
        pos = b
    out.append(text[pos:])
    return "".join(out)


_EDGE_LINE = re.compile(r"[^\n\f]*")


def _page_edges(text: str) -> list[tuple[int, int]]:
    """Running headers at page tops, page numbers at page tops and bottoms ("\\f" ends a page),
    and any line that is a running header as a whole."""
    spans = []
    for m in re.finditer(r"(?:^|(?<=[\n\f]))[^\n\f]*rucksache[^\n\f]*(?=[\n\f]|\Z)", text):
        if _is_running(m.group(), _page_top(text, m.start())):
            spans.append(m.span())
    breaks = [m.start() for m in re.finditer(r"\f", text)]
    for b in breaks:
        spans += _edge(text, b, -1) + _edge(text, b + 1, 1)
    spans += _edge(text, len(text), -1)
    return spans


def _page_top(text: str, pos: int) -> bool:
    """Is the line at `pos` the first non-blank line of a page after the first?"""
    before = text[max(0, pos - 400) : pos]
    cut = before.rfind("\f")
    return cut >= 0 and not before[cut + 1 :].strip()


def _edge(text: str, pos: int, step: int) -> list[tuple[int, int]]:
    """The first non-blank line after `pos` (step 1) or the last before it (step -1), when it is
    a page number."""
    if step > 0:
        m = re.compile(r"[ \t\n]*").match(text, pos)
        start = m.end() if m else pos
        end = _EDGE_LINE.match(text, start).end()
    else:
        end = len(text[:pos].rstrip(" \t\n"))
        start = max(text.rfind("\n", 0, end), text.rfind("\f", 0, end)) + 1
    line = text[start:end]
    return [(start, end)] if line.strip() and _PAGE_NO.fullmatch(line) else []


def _is_running(line: str, page_top: bool) -> bool:
    line = line.strip()
    if len(line) > 150 or "rucksache" not in line:
        return False
    m = _RUNNING.fullmatch(line)
    return bool(m) or (page_top and bool(_RUNNING.search(line)) and len(line) < 110)


def span_text(view: str, start: int, end: int) -> str:
    """Clean text of view[start:end]: furniture gone, hyphenation joined, paragraphs kept."""
    lines = view[start:end].replace("\f", "\n").split("\n")
    kept = [ln for ln in lines if not (MASK in ln and not ln.replace(MASK, "").strip())]
    return clean_block(_MASK_RUN.sub(" ", "\n".join(kept)))
