"""New answers from the Bundestag's DIP API (search.dip.bundestag.de/api/v1, /drucksache-text).

Traps of this API (../shared/reference/README.md) and how they are met here:
- the next page repeats ALL parameters plus `cursor`; a cursor alone pages through everything,
  so `page_params` always rebuilds the full list;
- the end is reached when the cursor no longer changes (not when a page is short);
- an unknown or ignored filter answers 200 with the unfiltered list, so every document is
  checked against the filters asked for (`check_filters`) and the run stops at the first one
  that does not fit;
- fresh answers can lack a text for a while: they are reported with their PDF URL, not
  written, and fetched again by the next run.
Each page's documents are written before the state file records the page's cursor, so an
interrupted run resumes where it stopped and never skips a document.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .http import FetchError, PoliteClient

BASE_URL = "https://search.dip.bundestag.de/api/v1"
TYPES = ("Antwort", "Schriftliche Fragen")
STATE_FILE = ".fetch-state.json"
SIDECAR = "index.jsonl"
SOURCES = """# Fetched from the DIP API of the Deutscher Bundestag

Written by `anfragen fetch bundestag` (search.dip.bundestag.de/api/v1, /drucksache-text):
one text file per Drucksache, its metadata in `index.jsonl` beside it. Official works
(§ 5 UrhG).
"""


@dataclass(frozen=True)
class FetchQuery:
    doc_type: str  # DIP drucksachetyp: "Antwort", "Schriftliche Fragen"
    since: str = ""  # ISO dates, inclusive, on the document date
    until: str = ""

    def key(self) -> str:
        return f"{self.doc_type}|{self.since}|{self.until}"

    def params(self) -> list[tuple[str, str]]:
        """Every filter, for every page (a cursor without its filters pages through all)."""
        p = [("f.drucksachetyp", self.doc_type), ("f.zuordnung", "BT"), ("format", "json")]
        if self.since:
            p.append(("f.datum.start", self.since))
        if self.until:
            p.append(("f.datum.end", self.until))
        return p


@dataclass
class FetchReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    without_text: list[str] = field(default_factory=list)  # "21/992 (PDF: url)"
    pages: int = 0
    resumed: bool = False

    def summary(self) -> str:
        resumed = "Unterbrochenen Abruf fortgesetzt. " if self.resumed else ""
        return (f"{resumed}{len(self.written)} Dokumente geschrieben, {self.unchanged} "
                f"unverändert, {len(self.without_text)} noch ohne Text; {self.pages} Seiten")


def check_date(name: str, value: str) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise FetchError(f"--{name} {value!r} ist kein Datum; erwartet JJJJ-MM-TT") from None


def check_filters(doc: dict, q: FetchQuery) -> None:
    """The API answers an ignored filter with the unfiltered list: refuse such a page."""
    got_type, day = doc.get("drucksachetyp", ""), doc.get("datum", "")
    problems = []
    if got_type != q.doc_type:
        problems.append(f"Typ {got_type!r} statt {q.doc_type!r}")
    if q.since and day < q.since:
        problems.append(f"Datum {day} vor {q.since}")
    if q.until and day > q.until:
        problems.append(f"Datum {day} nach {q.until}")
    if problems:
        raise FetchError(
            f"Die API hat einen Filter nicht beachtet (Drucksache {doc.get('dokumentnummer')}: "
            f"{', '.join(problems)}); nichts davon wurde übernommen. Die Filternamen in "
            "anfragen/fetch/dip.py gegen die OpenAPI-Beschreibung prüfen.")


def file_name(doc: dict) -> str:
    """'2025-05-06_21_112.txt' for Drucksache 21/112 of 6 May 2025 (the bundled layout)."""
    number = re.sub(r"[^0-9A-Za-z]+", "_", doc["dokumentnummer"]).strip("_")
    return f"{doc['datum']}_{number}.txt"


def sidecar_record(doc: dict, name: str) -> dict:
    fund = doc.get("fundstelle") or {}
    lead = [r["titel"] for r in doc.get("ressort") or [] if r.get("federfuehrend")]
    return {
        "file": name, "drucksache": doc["dokumentnummer"], "title": doc.get("titel", ""),
        "date": doc.get("datum", ""), "doc_type": doc.get("drucksachetyp", ""),
        "wahlperiode": doc.get("wahlperiode"),
        "authors": [a.get("autor_titel") or a.get("title", "")
                    for a in doc.get("autoren_anzeige") or []],
        "urheber": [u.get("titel", "") for u in doc.get("urheber") or []],
        "answering_body": ", ".join(lead), "pdf_url": fund.get("pdf_url", ""),
        "url": fund.get("pdf_url", ""), "dip_id": doc.get("id"),
        "aktualisiert": doc.get("aktualisiert", ""),
    }


class State:
    """Per query: the cursor of the next page to ask for, and what was written when."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except json.JSONDecodeError as e:
            raise FetchError(f"{path} ist beschädigt ({e}); löschen, dann beginnt der Abruf "
                             "von vorn (schon geschriebene Dateien bleiben)") from e
        self.data.setdefault("queries", {})
        self.data.setdefault("written", {})

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


def write_document(folder: Path, doc: dict) -> str:
    name = file_name(doc)
    tmp = folder / f".{name}.tmp"
    tmp.write_text(doc["text"], encoding="utf-8")
    os.replace(tmp, folder / name)
    with (folder / SIDECAR).open("a", encoding="utf-8") as side:  # the last line wins
        side.write(json.dumps(sidecar_record(doc, name), ensure_ascii=False) + "\n")
    return name


def pages(client: PoliteClient, q: FetchQuery, cursor: str | None) -> Iterator[tuple[list, str]]:
    """(documents, cursor of the page after them) until the cursor stops changing."""
    while True:
        params = q.params() + ([("cursor", cursor)] if cursor else [])
        resp = client.get_json("drucksache-text", params)
        nxt, docs = resp.get("cursor") or "", resp.get("documents") or []
        yield docs, nxt
        if not docs or not nxt or nxt == cursor:
            return
        cursor = nxt


def fetch_query(client: PoliteClient, q: FetchQuery, folder: Path, state: State,
                report: FetchReport, progress: Callable[[str], None] | None = None) -> None:
    saved = state.data["queries"].get(q.key(), {})
    cursor = saved.get("cursor") if not saved.get("complete") else None
    report.resumed = report.resumed or bool(cursor)
    for docs, nxt in pages(client, q, cursor):
        report.pages += 1
        for doc in docs:
            check_filters(doc, q)
        for doc in docs:
            take_document(folder, doc, state, report)
        state.data["queries"][q.key()] = {"cursor": nxt, "complete": False}
        state.save()  # after the page's files: a resumed run re-asks nothing it lost
        if progress:
            progress(f"{q.doc_type}: Seite {report.pages}, {len(report.written)} neu")
    state.data["queries"][q.key()] = {"complete": True}
    state.save()


def take_document(folder: Path, doc: dict, state: State, report: FetchReport) -> None:
    number = doc.get("dokumentnummer", "?")
    if not (doc.get("text") or "").strip():
        pdf = (doc.get("fundstelle") or {}).get("pdf_url", "")
        report.without_text.append(f"{number} (PDF: {pdf or 'keine URL'})")
        return
    if state.data["written"].get(str(doc.get("id"))) == doc.get("aktualisiert"):
        report.unchanged += 1
        return
    report.written.append(write_document(folder, doc))
    state.data["written"][str(doc.get("id"))] = doc.get("aktualisiert")


def fetch_bundestag(into: Path, api_key: str, types: tuple[str, ...] = ("Antwort",),
                    since: str = "", until: str = "", base_url: str = BASE_URL,
                    client: PoliteClient | None = None,
                    progress: Callable[[str], None] | None = None) -> FetchReport:
    """Fetch the answers of `types` dated since..until into `into` (resumable)."""
    if not api_key:
        raise FetchError("Kein API-Schlüssel: ANFRAGEN_DIP_KEY setzen (Schlüssel beantragen "
                         "oder den öffentlichen nehmen: https://dip.bundestag.de/über-dip/"
                         "hilfe/api)")
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        raise FetchError(f"--types {', '.join(unknown)} unbekannt; möglich: {', '.join(TYPES)}")
    since, until = check_date("since", since), check_date("until", until)
    client = client or PoliteClient(base_url)
    client.headers = {**client.headers, "Authorization": f"ApiKey {api_key}",
                      "Accept": "application/json"}
    folder = into / "bundestag-dip"
    folder.mkdir(parents=True, exist_ok=True)
    if not (into / "SOURCES.md").exists():  # marks the corpus root (doc ids start there)
        (into / "SOURCES.md").write_text(SOURCES, encoding="utf-8")
    state, report = State(into / STATE_FILE), FetchReport()
    for t in types:
        fetch_query(client, FetchQuery(t, since, until), folder, state, report, progress)
    return report
