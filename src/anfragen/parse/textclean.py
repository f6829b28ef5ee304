"""Text repairs shared by all parser families: hyphenation, letter spacing, whitespace."""

from __future__ import annotations

import re

# Words after which a line-end hyphen is a real hyphen ("Extremismus- und Terrorismus...").
_KEEP_HYPHEN_BEFORE = {
    "und",
    "oder",
    "bzw",
    "sowie",
    "bis",
    "beziehungsweise",
    "respektive",
    "statt",
}
_HYPHEN_BREAK = re.compile(r"(\w+)-[ \t]*\n[ \t]*(?=(\w+))")
_LETTER_SPACED = re.compile(r"(?<!\S)((?:\w ){3,}\w)(?!\S)")
_WS = re.compile(r"\s+")


def dehyphenate(text: str) -> str:
    """Join words split at line end: "Gesundheitsregio-\\nnen" -> "Gesundheitsregionen".

    Keeps the hyphen when the next word is a conjunction ("Extremismus-\\nund" stays
    "Extremismus- und"), starts upper-case or with a digit ("Online-\\nProfile"), or the
    left part is an abbreviation or number ("KI-\\ngestützte", "SGB-II-\\nLeistungen").
    """

    def fix(m: re.Match[str]) -> str:
        left, word = m.group(1), m.group(2)
        if word.lower() in _KEEP_HYPHEN_BEFORE and len(left) > 3:
            return f"{left}- "
        if word[0].isupper() or word[0].isdigit() or left[-1].isdigit():
            return f"{left}-"
        if len(left) >= 2 and left.isupper():
            return f"{left}-"
        return left

    return _HYPHEN_BREAK.sub(fix, text)


def mend_letter_spacing(text: str) -> str:
    """ "V o r b e m e r k u n g  d e r  F r a g e s t e l l e r" -> words.

    Letter-spaced headings separate letters by one space and words by two or more.
    """

    def fix(line: str) -> str:
        stripped = line.strip()
        if not _LETTER_SPACED.search(stripped):
            return line
        words = re.split(r" {2,}", stripped)
        if all(re.fullmatch(r"(?:\S ){1,}\S|\S", w) for w in words if w):
            return " ".join(w.replace(" ", "") for w in words if w)
        return line

    return "\n".join(fix(line) for line in text.split("\n"))


def squash_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def clean_block(text: str) -> str:
    """Standard cleaning of an extracted block: hyphenation joined, whitespace collapsed,
    paragraph breaks (blank lines) kept as single newlines."""
    text = text.replace("\u00ad", "").replace("\f", "\n")
    text = dehyphenate(text)
    paras = re.split(r"\n[ \t]*\n", text)
    return "\n".join(p for p in (squash_ws(p) for p in paras) if p)


GERMAN_MONTHS = {
    "januar": 1,
    "februar": 2,
    "märz": 3,
    "maerz": 3,
    "april": 4,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "dezember": 12,
    "jan": 1,
    "feb": 2,
    "mär": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "okt": 10,
    "nov": 11,
    "dez": 12,
}


def iso_date(text: str) -> str:
    """First German date in text as ISO: "03.02.2023", "7. Mai 2025", "11.06.26"."""
    m = re.search(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d)", text)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
        year = int(y) + (2000 if len(y) == 2 else 0)
        if 1 <= d <= 31 and 1 <= mo <= 12:
            return f"{year:04d}-{mo:02d}-{d:02d}"
    m = re.search(r"(\d{1,2})\.\s*([A-Za-zäÄ]+)\.?\s+(\d{4})", text)
    if m and m.group(2).lower() in GERMAN_MONTHS:
        return (
            f"{int(m.group(3)):04d}-{GERMAN_MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"
        )
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return m.group(0)
    return ""
