"""The marks a written inquiry is segmented by, found in the furniture-masked view.

Each mark stands at a line start or, in text whose line breaks were lost, after a sentence end:
- item: a numbered question ("1.", "1)", "5a)", "1.1", "Frage 1:", "Frage 1." or "Frage 1"
  alone on its line);
- label: an answer label with numbers ("Zu 1.:", "Zu Frage 1:", "zu Fragen 2 und 3:", "Antwort
  zu Frage 1:", "Zu den Fragen 1 und 3:", "Zu 5. a.:", "Zu 1.1:", "Zusammenfassende Antwort auf
  die Fragen 1 und 2");
- bare: an answer label without numbers ("Antwort:", "Antwort" alone on its line);
- joint: a sentence that answers several questions together ("Die Fragen 2 bis 5 werden
  zusammen beantwortet", "... aufgrund des Sachzusammenhangs gemeinsam beantwortet");
- sub: a lettered sub-question on its own line ("a. eines ...", "b) ...");
- pre: a preamble heading ("Vorbemerkung der Fragesteller", "V o r b e m e r k u n g");
- intro: the sentence before the list of questions ("Ich frage die Landesregierung:");
- formula: the sentence that opens the answers ("... beantworte ich ... wie folgt:");
- end: a closing line (place and date, "In Vertretung", "Mit freundlichen Grüßen") or an
  annex heading at a page top.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from .furniture import MASK
from .header import DATE
from .layouts import LayoutHint

_SPACE = " \t\u00a0\u2002\u2003\u2009\u202f" + MASK
_SENTENCE_END = ".?!:;)“”\"»"
_NUM = r"\d{1,2}(?:\.\d{1,2})?\.?(?:[ \t]?[a-z]\)?\.?(?![\wäöüß]))?"
_NUMS = rf"{_NUM}(?:[ \t]*(?:,|und|bis|sowie|u\.|-|–|/)[ \t]*{_NUM})*"
_NUMS_WS = rf"{_NUM}(?:\s*(?:,|und|bis|sowie|u\.|-|–)\s*{_NUM})*"
_LINE_END = r"(?=[ \t]*(?:\n|\f|$))"

ITEM = re.compile(
    rf"(?P<frage>Frage)[ \t]+(?P<fn>\d{{1,2}})(?P<fl>[a-z])?[ \t]*(?::|\.(?=\s)|{_LINE_END}"
    r"|(?=[ \t]+[A-ZÄÖÜ]))"
    r"|(?<![\d.,/])(?P<n>\d{1,2})(?:\.(?P<dec>\d{1,2})\.?|(?P<l>[a-z])?(?P<close>\.\)|\.|\)))"
    r"(?=[ \t\u00a0\u2002\n])"
)
_TERM = rf"[ \t]*(?::|{_LINE_END}|(?=[ \t]+[A-ZÄÖÜ„]))"  # the last: see _label_ends
LABEL = re.compile(
    rf"(?:Antwort(?:en)?[ \t]+(?:(?:der|des)[ \t]+\w+[ \t]+)?)?(?:[Zz]u[ \t]+den|[Zz]u[ \t]+der"
    rf"|[Zz]ur?)[ \t]+(?:Fragen?[ \t]+(?:Nr\.[ \t]*)?|Nr\.[ \t]*|Ziffern?[ \t]+)?"
    rf"(?P<nums>{_NUMS}){_TERM}"
    rf"|Antwort(?:en)?[ \t]+(?:auf[ \t]+)?(?:die[ \t]+)?Fragen?[ \t]+(?P<nums2>{_NUMS}){_TERM}"
    rf"|Zusammenfassende[ \t]+Antwort[ \t]+(?:auf|zu)[ \t]+(?:die|den)[ \t]+Fragen[ \t]+"
    rf"(?P<nums3>{_NUMS})[ \t]*:?"
)
BARE = re.compile(
    r"(?:Antwort(?:[ \t]+(?:der|des)[ \t]+(?:Landesregierung|Bundesregierung|Staatsregierung"
    rf"|Senats))?[ \t]*:|Antwort{_LINE_END}|ANTWORT[ \t]*:|Antwort(?=[ \t]+[A-ZÄÖÜ]))"
)
JOINT = re.compile(
    rf"(?:Die\s+)?Fragen\s+(?P<nums>{_NUMS_WS})\s+werden[^.?!:]{{0,100}}?(?:gemeinsam|zusammen\w*"
    r"|im\s+(?:Sach)?[Zz]usammenhang|verbunden)[^.?!:]{0,60}?beantwortet"
    r"|(?:Aufgrund|Wegen)\s+(?:des|ihres)[^.?!:]{0,50}?werden\s+die\s+Fragen\s+"
    rf"(?P<nums2>{_NUMS_WS})[^.?!:]{{0,60}}?beantwortet"
)
SUB = re.compile(r"(?P<l>[a-z])[.)][ \t]+(?=\S)")
_WHO = (
    r"(?:[ \t]+(?:der|des|zur))?[ \t]*(?P<who>Fragesteller\w*|Fragestellenden|Abgeordneten"
    r"|Kleinen[ \t]+Anfrage|Anfrage|Landesregierung|Bundesregierung|Staatsregierung|Senats?"
    r"|Fraktion\w*|[\wÄÖÜäöüß]*[Mm]inister\w*(?:[ \t]+(?:für|der|des)[^:\n]{0,80})?)"
)
PRE = re.compile(
    r"V[ \t]?o[ \t]?r[ \t]?b[ \t]?e[ \t]?m[ \t]?e[ \t]?r[ \t]?k[ \t]?u[ \t]?n[ \t]?g"
    r"(?:[ \t]?e[ \t]?n)?(?:(?P<spaced>(?:[ \t]{1,3}\S(?:[ \t]\S){2,})+)|" + _WHO + r")?[ \t]*(?::|"
    + _LINE_END + ")"
)
INTRO = re.compile(
    r"(?:(?:Ich|Wir)\s+frage[n]?\s+(?:daher\s+|deshalb\s+)?(?:die|den)\b[^:?.\n]{0,60}"
    r"|(?:Daher|Deshalb|Darum|Somit|Vor\s+diesem\s+Hintergrund)\s+frage[n]?\s+(?:ich|wir)\b"
    r"[^:?.\n]{0,60}|[^:?.\n]{0,60}\b(?:wird|werden)\s+gefragt|Ich\s+frage|Wir\s+fragen)\s*:"
)
_INTRO_ANCHOR = re.compile(r"\b(?:frage[n]?|gefragt)\b[^:?.\n]{0,70}:")
FORMULA = re.compile(
    r"\b(?:beantworte\w*|Beantwortung)\b[^.:?]{0,160}?\bwie\s+folgt\s*:"
    r"|\bwie\s+folgt\s+beantwortet\s*:|\bbeantworte\s+ich\b[^.:?]{0,120}:"
)
ANSWER_HEAD = re.compile(
    r"A[ \t]?n[ \t]?t[ \t]?w[ \t]?o[ \t]?r[ \t]?t" + _LINE_END + r"|ANTWORT" + _LINE_END
    + r"|Antwort[ \t\n]+(?:der|des)[ \t\n]+(?:Landesregierung|Bundesregierung|Staatsregierung"
    r"|Senats|\w*[Mm]inisteri\w+|Senatsverwaltung)\b"
)
END = re.compile(r"In[ \t]+Vertretung\b|Mit[ \t]+freundlichen[ \t]+Grüßen|\(verteilt[ \t]+am\b")
_SIGNED = re.compile(rf",[ \t]+(?:den[ \t]+)?(?:{DATE})")
_PLACE = re.compile(r"[A-ZÄÖÜ][a-zäöüß]+(?:[ \t-][A-ZÄÖÜ][a-zäöüß.]+)?$")
ANNEX = re.compile(r"Anlage(?:[ \t]+\d{1,2})?\b|.{0,200}\bAnlage[ \t]+\d{1,2}[ \t]*$", re.M)
ANNEX_FOR = re.compile(
    r"Anlage(?:[ \t]+\d{1,2})?[ \t]+zu(?:r[ \t]+Beantwortung)?(?:[ \t]+(?:von|der))?[ \t]+"
    rf"(?:den[ \t]+)?Fragen?[ \t]+(?P<nums>{_NUMS})"
)
_MONTH_OR_UNIT = re.compile(
    r"(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
    r"|Jan|Feb|Mär|Apr|Jun|Jul|Aug|Sep|Sept|Okt|Nov|Dez|Wahlperiode|Legislaturperiode|Sitzung"
    r"|Klasse|Jahrgangsstufe|Lebensjahr|Jahrhundert|Quartal|Halbjahr|Kalenderwoche|Tagung"
    r"|Mal|Platz|Stock|Etage|Änderung|Auflage|Bundesliga|Liga)\b"
)


@dataclass(frozen=True)
class Mark:
    kind: str
    pos: int  # where the mark starts
    body: int  # where the text after it starts
    nums: tuple[int, ...] = ()
    key: tuple[int, int] = (0, 0)  # item: (number, sub-number or letter index), for chains
    label: str = ""  # item: the number as printed ("5a", "1.1"); label: its sub-letter
    at_line: bool = False
    side: str = ""  # pre: "askers" | "government"


_ABBREV = re.compile(
    r"(?:\b(?:vgl|bzw|ca|Nr|Abs|Art|Ziff|Kap|Anm|ggf|evtl|inkl|bspw|usw|etc|sog|Drs|Dr|Prof|St"
    r"|[a-zäöü]{1,2})|\b[a-zA-Z]\.\s?[a-zA-Z])\.$"
)


def boundary(view: str, pos: int) -> str:
    """"line" at a line start, "sentence" after a sentence end, "" inside a sentence."""
    i = pos - 1
    while i >= 0 and view[i] in _SPACE:
        i -= 1
    if i < 0 or view[i] in "\n\f":
        return "line"
    if view[i] == "." and _ABBREV.search(view[max(0, i - 8) : i + 1]):
        return ""  # "vgl.", "bzw.", "z. B."
    if view[i] == "." and view[i - 1 : i].isdigit() and _MONTH_OR_UNIT.match(view, pos):
        return ""  # "am 3. Juni", "im 2. Quartal"
    return "sentence" if view[i] in _SENTENCE_END else ""


def numbers(spec: str) -> tuple[int, ...]:
    """ "1. und 2." -> (1, 2); "2 bis 5" -> (2, 3, 4, 5); "5. a." -> (5,); "1.1, 2.3" -> (1, 2)."""
    out: list[int] = []
    pending_range = False
    sub = r"(?:\s?[a-z](?![a-zäöüß])\)?\.?)?"
    for num, rng in re.findall(rf"(\d{{1,2}})(?:\.\d{{1,2}})?\.?{sub}\s*(bis|-|–)?", spec):
        n = int(num)
        if pending_range and out and n > out[-1]:
            out.extend(range(out[-1] + 1, n + 1))
        elif n not in out:
            out.append(n)
        pending_range = bool(rng)
    return tuple(out)


def _sub_letter(spec: str) -> str:
    m = re.search(r"\d\.?\s?([a-z])\)?\.?\s*$", spec)
    return m.group(1) if m else ""


def find_marks(view: str, hint: LayoutHint, one_line: bool = False) -> list[Mark]:
    """All marks in text order. In one-line text a capitalised label ("Zu 5. a.:") or a
    numbered question needs no sentence end before it (tables lose theirs)."""
    marks = _labels(view, hint, one_line) + _bares(view) + _joints(view) + _items(view, one_line)
    marks += _simple(view, PRE, "pre") + _intros(view) + _signatures(view)
    marks += _simple(view, END, "end") + [Mark("end", m.start(), m.end())
                                          for p in hint.ends for m in p.finditer(view)]
    marks += _formulas(view) + _annexes(view)
    marks = _drop_overlaps(marks)
    if any(m.kind == "label" and m.label for m in marks):
        marks += _subs(view)
    return sorted(marks, key=lambda m: (m.pos, m.kind))


def _labels(view: str, hint: LayoutHint, one_line: bool) -> list[Mark]:
    out = []
    for pat in (LABEL, *hint.labels):
        for m in pat.finditer(view):
            spec = next((g for g in (m.groupdict().get(k) for k in ("nums", "nums2", "nums3"))
                         if g), "")
            where = boundary(view, m.start()) or (one_line and m.group()[0].isupper())
            nums = numbers(spec)
            if where and nums and _label_ends(view, m, spec, one_line):
                out.append(Mark("label", m.start(), m.end(), nums, label=_sub_letter(spec),
                                at_line=where is True or where == "line"))
    return out


def _label_ends(view: str, m: re.Match[str], spec: str, one_line: bool) -> bool:
    """A label without colon stands alone on its line, the answer starting below it, or
    (capitalised, "Zu 1. Die ...", "Zu Frage 1 Die ...") at a line start or, in one-line text,
    after a sentence end."""
    if m.group().rstrip().endswith(":") or "Zusammenfassende" in m.group()[:20]:
        return True
    rest = view[m.end() : m.end() + 80]
    nxt = rest.lstrip(_SPACE + "\n\f")
    if not nxt or not (nxt[0].isupper() or nxt[0] in "„\"("):
        return False
    if "\n" in rest[: len(rest) - len(nxt)] or "\f" in rest[: len(rest) - len(nxt)]:
        return boundary(view, m.start()) == "line"
    where = boundary(view, m.start())
    if _MONTH_OR_UNIT.match(nxt):
        return False  # "Zu 2. Quartal ..."
    return (m.group()[0].isupper() and (where == "line" or (one_line and bool(where)))
            and (spec.rstrip().endswith(".") or "Frage" in m.group()))


def _bares(view: str) -> list[Mark]:
    """ "Antwort:" (or "Antwort" alone on its line, or in one-line text right after a question)
    before an answer; not the heading "Antwort der Landesregierung auf ..." nor "Antwort" over
    a numbered label ("Antwort" / "Zu Frage 1:")."""
    out = []
    for m in BARE.finditer(view):
        where = boundary(view, m.start())
        after = view[m.end() : m.end() + 40].lstrip(_SPACE + "\n\f")
        colon = m.group().rstrip().endswith(":")
        if not where or (not colon and re.match(r"(?:der|des|auf|[Zz]u|[Zz]ur|an|vom)\b", after)):
            continue
        if not colon and where != "line":
            before = view[: m.start()].rstrip(_SPACE)
            if not before.endswith(("?", ")", ".")):
                continue
        out.append(Mark("bare", m.start(), m.end(), at_line=where == "line"))
    return out


def _joints(view: str) -> list[Mark]:
    out = []
    for m in JOINT.finditer(view):
        nums = numbers(m.group("nums") or m.group("nums2") or "")
        if len(nums) >= 2 and boundary(view, m.start()):
            out.append(Mark("joint", m.start(), m.start(), nums))
    return out


def _items(view: str, one_line: bool) -> list[Mark]:
    out = []
    for m in ITEM.finditer(view):
        mark = _item(view, m, one_line)
        if mark:
            out.append(mark)
    return out


def _item(view: str, m: re.Match[str], one_line: bool) -> Mark | None:
    where = boundary(view, m.start())
    if not where and not (one_line and view[max(m.start() - 1, 0)] == " "):
        return None
    if m.group("frage"):
        n, sub, printed = int(m.group("fn")), m.group("fl") or "", m.group("fn")
    else:
        n, sub = int(m.group("n")), m.group("dec") or m.group("l") or ""
        printed = m.group("n") + (f".{sub}" if m.group("dec") else sub)
    after = view[m.end() : m.end() + 30].lstrip(_SPACE)
    if n == 0 or not after or not _starts_question(after, bool(m.group("frage"))):
        return None
    key = (n, int(sub) if sub.isdigit() else (ord(sub) - 96 if sub else 0))
    body = m.end() + (len(view[m.end() : m.end() + 30]) - len(after))
    return Mark("item", m.start(), body, (n,), key, printed, at_line=where == "line",
                side="" if where else "inside")


def _starts_question(after: str, frage: bool) -> bool:
    if _MONTH_OR_UNIT.match(after) or after[0].isdigit():
        return False
    if re.match(r"[A-ZÄÖÜa-zäöü]{1,4}\.(?:\s|$)", after):
        return False  # "6. Ed.", "2. Aufl.": an edition or ordinal, no question
    if frage:
        return True
    return after[0].isupper() or after[0] in "„\"“(»'" or bool(re.match(r"[a-z][.)]\s", after))


def _simple(view: str, pattern: re.Pattern, kind: str) -> list[Mark]:
    out = []
    for m in pattern.finditer(view):
        where = boundary(view, m.start())
        if not where:
            continue
        side = ""
        if kind == "pre":
            who = (m.group("spaced") or "").replace(" ", "") + (m.group("who") or "")
            side = "askers" if re.search(r"(?i)frage|abgeordn|anfrage|fraktion", who) else (
                "government")
        out.append(Mark(kind, m.start(), m.end(), at_line=where == "line", side=side))
    return out


_SENTENCE_GAP = re.compile(r"[.?!:][“”\"'»)]*[ \t]+(?=[A-ZÄÖÜ„\"])|[\n\f]")


def _sentence_start(view: str, pos: int, reach: int = 200) -> int:
    """Start of the sentence holding `pos`: after the last sentence end (not an abbreviation
    like "Nr." or "vgl.") or line break before it."""
    lo = max(pos - reach, 0)
    start = lo
    for m in _SENTENCE_GAP.finditer(view, lo, pos):
        if m.group() in "\n\f" or boundary(view, m.end()):
            start = m.end()
    return start


def _intros(view: str) -> list[Mark]:
    """ "Ich frage die Landesregierung:", "Die Staatsregierung wird gefragt:" (found from the
    verb, then checked from the sentence start)."""
    out = []
    for m in _INTRO_ANCHOR.finditer(view):
        start = _sentence_start(view, m.start(), 120)
        while start < m.start() and view[start] in _SPACE + "\n":
            start += 1
        full = INTRO.match(view, start)
        if full and full.end() == m.end() and boundary(view, start):
            out.append(Mark("intro", start, m.end(), at_line=boundary(view, start) == "line"))
    return out


def _signatures(view: str) -> list[Mark]:
    """Place and date closing a paper: "Berlin, den 22. November 2021", "Kiel, 12.03.2024"."""
    out = []
    for m in _SIGNED.finditer(view):
        place = _PLACE.search(view, max(m.start() - 40, 0), m.start())
        if place and boundary(view, place.start()):
            out.append(Mark("end", place.start(), m.end()))
    return out


def _formulas(view: str) -> list[Mark]:
    """The sentence that opens the answers; the mark stands at that sentence's start."""
    out = []
    for m in FORMULA.finditer(view):
        start = _sentence_start(view, m.start(), 300)
        while start < m.start() and view[start] in _SPACE + "\n\f":
            start += 1
        out.append(Mark("formula", start, m.end()))
    return out


def _annexes(view: str) -> list[Mark]:
    """Annex headings: "Anlage 2 zu Frage 10" at a line start, "Anlage 1" heading a page."""
    out = [Mark("end", m.start(), m.end(), numbers(m.group("nums")), label=_annex_no(m.group()),
                side="annex") for m in ANNEX_FOR.finditer(view)
           if boundary(view, m.start()) == "line"]  # fmt: skip
    for page in re.finditer(r"\f", view):
        nxt = re.search(r"\S", view[page.end() : page.end() + 400].replace(MASK, " "))
        if not nxt:
            continue
        start = page.end() + nxt.start()
        line_end = view.find("\n", start)
        line = view[start : line_end if line_end >= 0 else len(view)]
        if ANNEX.match(line) and not any(m.pos == start for m in out):
            out.append(Mark("end", start, start, label=_annex_no(line), side="annex"))
    return out


def _annex_no(heading: str) -> str:
    m = re.search(r"Anlage[ \t]+(\d{1,2})", heading)
    return m.group(1) if m else ""


def _subs(view: str) -> list[Mark]:
    return [Mark("sub", m.start(), m.start(), label=m.group("l"), at_line=True)
            for m in SUB.finditer(view) if boundary(view, m.start()) == "line"]


def _drop_overlaps(marks: list[Mark]) -> list[Mark]:
    """An item inside a label ("Frage 1" in "Zu Frage 1:") or a bare "Antwort" inside a label
    is no mark of its own."""
    spans = sorted((m.pos, m.body) for m in marks if m.kind == "label")
    starts = [a for a, _ in spans]
    out = []
    for m in marks:
        k = bisect_right(starts, m.pos) - 1
        if m.kind in ("item", "bare") and k >= 0 and m.pos < spans[k][1]:
            continue
        out.append(m)
    return out
