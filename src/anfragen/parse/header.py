"""Header metadata of a written inquiry, read from its print: parliament, Wahlperiode,
Drucksache(s), document type, title, askers with party or group, answering body, dates.

Askers are names only: "der Abgeordneten Ulrich von Zons, Knuth Meyer-Soltau und der Fraktion
der AfD" gives two names and the party AfD, never "der Fraktion der". `is_person_name` is also
used to check the askers that a family parser or a record's fields provide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .layouts import LayoutHint
from .textclean import iso_date, squash_ws

_MONTHS = r"Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
DATE = (
    rf"\d{{1,2}}\.\s?\d{{1,2}}\.\s?\d{{4}}|\d{{1,2}}\.\s*(?:{_MONTHS})\.?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}"
)
_DATE_RE = re.compile(DATE)
_DS = re.compile(
    r"(?:\bDrucksache|\bDrs\.(?:-Nr\.)?)(?:\s+Nr\.)?\s*:?\s*(\d{1,2}) ?/ ?(\d{1,6}(?: \d{3})?)"
    r"(?:\s*\((\d{1,2}) ?/ ?(\d{1,6})\))?"
)
_WP = re.compile(r"(\d{1,2})\.\s*Wahlperiode")
_DOC_TYPE = re.compile(
    r"Schriftliche\s+Kleine\s+Anfrage|Kleine\s+Anfrage|Schriftliche\s+Anfrage|Große\s+Anfrage"
    r"|\bA\s?N\s?F\s?R\s?A\s?G\s?E\b|^\s*Anfrage\b",
    re.MULTILINE,
)
_ASKERS = re.compile(
    r"\b(?:(?:des|der)\s+(?:Abgeordneten|Abg\.)|Abgeordnete[rn]?(?=\s+[A-ZÄÖÜ]))\s+"
    r"(?P<names>[^\n]*(?:\n[^\n]*){0,2})"
)
_FRAKTION = re.compile(
    r"\b(?:der\s+)?Fraktion(?:\s+der|\s+im\s+Landtag)?\s+(?P<p>[A-ZÄÖÜ][\w/ÄÖÜäöü.]*(?:\s+\d+"
    r"/[A-ZÄÖÜ ]+)?)|\((?P<q>[^()]{2,40})\)|(?P<r>\b[A-ZÄÖÜ][\w/]*)-Fraktion\b"
)
PARTY_TAIL = re.compile(
    r"(?:\s|^)(BÜNDNIS\s+90/DIE\s+GRÜNEN|Bündnis\s+90/Die\s+Grünen|GRÜNE|CDU/CSU|CDU|CSU|SPD"
    r"|AfD|FDP|DIE\s+LINKE|Die\s+Linke|LINKE|BSW|SSW|FREIE\s+WÄHLER|Freie\s+Wähler"
    r"|Freie\s+Demokraten|B90/Grüne|fraktionslos|ÖDP|Piraten|BVB/FREIE\s+WÄHLER)\b"
)
PARTY_ALIASES = {
    "linke": "DIE LINKE",
    "grüne": "BÜNDNIS 90/DIE GRÜNEN",
    "die grünen": "BÜNDNIS 90/DIE GRÜNEN",
    "bündnis 90/die grünen": "BÜNDNIS 90/DIE GRÜNEN",
    "fw": "FREIE WÄHLER",
}
_PARTY_WORDS = re.compile(
    r"^(?:BÜNDNIS 90/DIE GRÜNEN|Bündnis 90/Die Grünen|GRÜNE|CDU/CSU|CDU|CSU|SPD|AfD|FDP|FDP/DVP"
    r"|DIE LINKE|Die Linke|LINKE|BSW|SSW|FREIE WÄHLER|Freie Wähler|Freie Demokraten|B90/Grüne"
    r"|fraktionslos|ÖDP|Piraten|PIRATEN|NPD|Tierschutzpartei|Volt|BVB/FREIE WÄHLER|Die PARTEI"
    r"|[A-ZÄÖÜ][A-ZÄÖÜ0-9/ .-]{1,24})$"
)
_NAME_STOP = re.compile(
    r"\b(?:Fraktion|Partei|Gruppe|Landesregierung|Bundesregierung|Staatsregierung|Senat\w*"
    r"|Minister\w*|Ministerium|Abgeordnete\w*|Anfrage|Antwort|Drucksache|Wahlperiode|Thema"
    r"|betr|für|und|über|Frau|Herrn?|Demokratische|Soziale|Christlich\w*|Bündnis"
    r"|Kultur|Forschung|Bildung|Wissenschaft|Landtag|Bundestag|Bürgerschaft)\b|[0-9:?;!]"
)
_PARTICLES = {"von", "van", "de", "der", "den", "zu", "zur", "di", "da", "del", "la", "le",
              "ten", "ter", "vom", "y", "dos", "du"}  # fmt: skip
_NAMES_END = re.compile(
    r"\s*(?:\(|,?\s+(?:und\s+(?:der\s+)?)?Fraktion\b|\s+vom\b|\s+betr\b|\s+zum\s+Thema\b"
    r"|\s+Thema\b|\s+und\s+Antwort\b"
    r"|(?<!,)(?<!, )\n(?!\s*(?:und\s|[A-ZÄÖÜ][\w.-]+\s+[A-ZÄÖÜ][\w-]+\s*[,(]))"
    r"|\s+(?:BÜNDNIS|CDU|CSU|SPD|AfD|FDP|DIE LINKE|Die Linke|BSW|SSW|FREIE))"
)


@dataclass(frozen=True)
class Header:
    parliament: str = ""
    wahlperiode: str = ""
    drucksache: str = ""
    drucksachen: tuple[str, ...] = ()
    doc_type: str = ""
    title: str = ""
    askers: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    answering_body: str = ""
    date_asked: str = ""
    date_answered: str = ""


def read_header(
    text: str, hint: LayoutHint, qhead: tuple[int, int], ahead: tuple[int, int]
) -> Header:
    """Metadata from the head of the question paper (`qhead`, a span) and the head of the
    answer paper (`ahead`; (-1, -1) when the document has none)."""
    head = text[qhead[0] : qhead[1]][:4000]
    atext = text[ahead[0] : ahead[1]][:3000] if ahead[0] >= 0 else ""
    drucksachen = _drucksachen(head + "\n" + atext)
    askers, parties = printed_askers(head) or printed_askers(atext) or ((), ())
    wp = _WP.search(head) or _WP.search(atext)
    return Header(
        parliament=hint.name,
        wahlperiode=wp.group(1) if wp else (drucksachen[0].split("/")[0] if drucksachen else ""),
        drucksache=drucksachen[0] if drucksachen else "",
        drucksachen=drucksachen,
        doc_type=_doc_type(head or atext),
        title=printed_title(head) or printed_title(atext),
        askers=askers,
        parties=parties,
        answering_body=answering_body(text, ahead[0]) or (hint.government if atext else ""),
        date_asked=_date_asked(head if head.strip() else atext),
        date_answered=_date_answered(text, atext),
    )


def _drucksachen(head: str) -> tuple[str, ...]:
    out: list[str] = []
    for m in _DS.finditer(head):
        out.append(m.group(1) + "/" + re.sub(r"\s", "", m.group(2)))
        if m.group(3):
            out.insert(len(out) - 1, f"{m.group(3)}/{m.group(4)}")  # "17/1374 (17/1331)"
    return tuple(dict.fromkeys(out))


def _doc_type(head: str) -> str:
    m = _DOC_TYPE.search(head)
    if not m:
        return ""
    found = squash_ws(m.group())
    return "Anfrage" if found.replace(" ", "").upper() == "ANFRAGE" else found


# --------------------------------------------------------------------------- askers


def printed_askers(head: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Names and parties from "der Abgeordneten A, B und C (PARTEI)"; None when not printed.
    A Fraktion asking as such ("Kleine Anfrage der Fraktion der CDU") has no names."""
    m = _ASKERS.search(head)
    if not m:
        frak = re.search(r"\bder\s+Fraktion\s+(?:der\s+)?([A-ZÄÖÜ][\w/ÄÖÜ]+(?:\s+\d+/DIE"
                         r"\s+GRÜNEN)?)", head)
        return ((), (party_name(frak.group(1)),)) if frak else None
    rest = m.group("names")
    end = _NAMES_END.search(rest)
    names_text = rest[: end.start()] if end else rest.split("\n")[0]
    names = names_only(re.split(r"\s*,\s*|\s+und\s+|\s*;\s*", squash_ws(names_text)))
    parties = _parties(rest[len(names_text) :][:200])
    return (names, parties) if names or parties else None


def _parties(tail: str) -> tuple[str, ...]:
    """The party after the names: "(SPD)", ", Fraktion DIE LINKE", "und der Fraktion der AfD",
    "(AfD-Fraktion)", "SPD"."""
    tail = squash_ws(tail)[:120]
    m = _FRAKTION.search(tail)
    if not m or m.start() >= 40:
        known = PARTY_TAIL.match(" " + tail[:60])
        return (party_name(known.group(1)),) if known else ()
    raw = m.group("q") or tail[m.start() :]
    known = PARTY_TAIL.search(" " + raw)
    if known and (m.group("q") is None or known.start() < 3):
        return (party_name(known.group(1)),)
    raw = m.group("p") or m.group("q") or m.group("r")
    raw = re.sub(r"^Fraktion\s+(?:der\s+)?|-?Fraktion$|\s+Gruppe$", "", raw.strip())
    return tuple(p for p in (party_name(x) for x in re.split(r",\s*", raw)) if p)


def party_name(raw: str) -> str:
    raw = squash_ws(raw).strip(" ,.;")
    name = PARTY_ALIASES.get(raw.lower(), raw)
    return name if _PARTY_WORDS.match(name) else ""


def is_person_name(name: str) -> bool:
    """A person's name as printed ("Dr. Konstantin von Notz", "Claudia Roth (Augsburg)",
    "König-Preuss"), never a sentence, a party or an office."""
    name = re.sub(r"\s*\([^()]{2,30}\)$", "", name.strip())
    if not name or len(name) > 60 or _NAME_STOP.search(name):
        return False
    words = [w for w in name.split() if not (w.endswith(".") or "." in w or w == "/")]
    if not words or len(words) > 5:
        return False
    core = [w for w in words if w not in _PARTICLES]
    return bool(core) and all(w[0].isupper() and len(w) >= 2 for w in core)


def names_only(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.strip() for n in names if is_person_name(n)))


def parties_only(parties: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p for p in parties if _PARTY_WORDS.match(p.strip()))


# --------------------------------------------------------------------------- title, body


_TITLE_MARK = re.compile(
    r"(?:\b[Bb]etr\.|\bBetreff|\bzum\s+Thema|\bThema)\s*:[ \t]*(?P<t>[^\n]*(?:\n[^\n]*){0,3})"
)
_HEADERISH = re.compile(
    r"^\s*(?:und|Antwort|A n t w o r t|der|des|auf|zu der|vom|–|-|Drucksache|Kleine|Schriftliche"
    r"|\d{1,2}\.\s*Wahlperiode|Eingang|Anfrage)\b|^\s*[–-]\s*Drucksache"
)


def printed_title(head: str) -> str:
    """The title after "betr.:"/"zum Thema:", else the one to three lines after the askers."""
    if m := _TITLE_MARK.search(head):
        same, _, nxt = m.group("t").partition("\n")
        if len(same) > 160:  # one-line text: the title ends where the next part begins
            return _cut_title(same)
        if not same.strip():
            return _title_lines(nxt.split("\n"))
        if re.search(r"(?:\b(?:von|und|der|des|für|im|in|zur|zum)|[-,])$", same.strip()):
            return squash_ws(f"{same} {nxt.split(chr(10))[0]}")
        return squash_ws(same)
    m = _ASKERS.search(head)
    if not m or "\n" not in head[m.start() :]:
        return ""
    return _title_lines(head[m.start() :].split("\n")[1:])


_TITLE_STOP = re.compile(
    r"\s(?=(?:Sehr geehrte|Namens\b|Im Namen|Vorbemerkung|Ich frage|Wir fragen|und Antwort"
    r"|Antwort\b|Kleine Anfrage|Drucksache|Frage 1\b|1\.\s|Die\s|Der\s|Das\s|Mit Schreiben"
    r"|\w*[Mm]inisterium\b|Sächsische|Senatsverwaltung|vom\s\d))"
)


def _cut_title(rest: str) -> str:
    first = rest.strip().split(" ", 1)
    if len(first) < 2:
        return first[0] if first else ""
    m = _TITLE_STOP.search(first[1])
    return squash_ws(f"{first[0]} {first[1][: m.start()] if m else first[1][:150]}")


def _title_lines(lines: list[str]) -> str:
    out: list[str] = []
    prev = ""
    for line in lines:
        s = line.strip()
        if not s:
            if out:
                break
            continue
        if re.match(r"Vorbemerkung|V o r b|(?:Ich|Wir)\s+frage", s) or len(out) == 3:
            break
        if _HEADERISH.match(s) or prev.endswith((",", " und")) or "(" in s[:1]:
            if out:
                break
            prev = s
            continue
        if s.endswith("-") and len(s) > 60 or (out and out[-1].endswith((".", ":"))):
            break
        out.append(s)
        prev = s
    return squash_ws(" ".join(out)).strip(" „“\"")


_NEXT = (r"(?=\s+(?:Vorbemerkung|Frage|Antwort|Namens|Sehr|Die|Der|Das|Im|Zu|Kleine|Drucksache"
         r"|Ich|Wir|vom|auf)\b|[ \t]*\n|$)")
_BODY = (
    r"mit\s+Schreiben\s+(?:des|der)\s+(?P<b>[A-ZÄÖÜ][^.]{5,160}?)\s+vom\b",
    r"Antwort\s+(?:des|der)\s+(?P<b>(?:\w+\s+)?(?:Staats)?[Mm]inisteriums?\s+(?:für|der|des)\s"
    r"[^\n]{3,120}?)" + _NEXT,
    r"(?:Der|Die|Das)\s+(?P<b>(?:\w+\s+)?(?:Staats)?Minister(?:in|ium)?\s+(?:für|der|des)\s"
    r"[^.]{3,160}?)\s+hat\s+die\s+(?:Kleine|Schriftliche)\s+Anfrage",
    r"beantwortet\s+(?:der|die|das)\s+(?P<b>(?:\w+\s+)?(?:Staats)?Minister(?:in|ium)?\s+"
    r"(?:für|der|des)\s[^.]{3,160}?)\s+die\s+(?:Kleine|Schriftliche)\s+Anfrage",
    r"erstellt\s+vom\s+(?P<b>(?:\w+\s+)?Ministerium\s+(?:für|der|des)\s[^\n]{3,120}?)" + _NEXT,
    r"(?:^|[\n\f])\s*(?P<b>Senatsverwaltung\s+für\s+[^\n]{3,100}?)[ \t]*(?:\n|$)",
    r"(?:Landesregierung|Staatsregierung)\s*[-–]\s*(?P<b>(?:Staats)?Minister(?:in|ium)?\s+"
    r"(?:für|der|des)\s[^\n]*,[ \t]*\n[^\n]*|(?:Staats)?Minister(?:in|ium)?\s+(?:für|der|des)"
    r"\s[^\n]*)",
    r"Antwort\s+(?:des|der)\s+(?P<b>Landesregierung|Bundesregierung|Staatsregierung|Senats?)\b",
    r"(?P<b>Der\s+Senat)\s+beantwortet",
)
_BODY_RE = tuple(re.compile(p) for p in _BODY)


def answering_body(text: str, answer_start: int) -> str:
    region = text[max(answer_start, 0) :][:6000] if answer_start >= 0 else text[:6000]
    for pat in _BODY_RE:
        if m := pat.search(region):
            return _nominative(squash_ws(m.group("b")))
    return ""


def _nominative(body: str) -> str:
    first, _, rest = body.partition(" ")
    first = re.sub(r"(ministerium|Senat)s$|(Minister)s$", r"\1\2", first)
    first = {"Senats": "Senat", "Der": "", "der": ""}.get(first, first)
    return squash_ws(f"{first} {rest}").strip(" ,;")


# --------------------------------------------------------------------------- dates


def _date_asked(head: str) -> str:
    asked = _ASKERS.search(head)
    after = ""
    if asked:  # "vom ..." on the askers' line or the line after it
        first, _, rest = asked.group("names").partition("\n")
        after = first + ("\n" + rest.split("\n")[0] if rest.lstrip().startswith("vom") else "")
    m = re.search(rf"\bvom\s+({DATE})", after)
    if m:
        return iso_date(m.group(1))
    first = _DATE_RE.search(head[: asked.start()] if asked else head[:600])
    return iso_date(first.group()) if first else ""


def _date_answered(text: str, ahead: str) -> str:
    for pat in (rf"Antwort\s+vom\s+({DATE})", rf"Schreiben\s+(?:[^.]{{0,160}}?\s)?vom\s+({DATE})"):
        if m := re.search(pat, text):
            return iso_date(m.group(1))
    asked = _ASKERS.search(ahead)
    if m := _DATE_RE.search(ahead[: asked.start()] if asked else ahead[:300]):
        return iso_date(m.group())
    signed = re.findall(rf"(?m)^\s*[A-ZÄÖÜ][\w.-]+(?:\s[\w.-]+)?,\s+(?:den\s+)?({DATE})", text)
    return iso_date(signed[-1]) if signed else ""
