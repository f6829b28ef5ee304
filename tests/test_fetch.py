"""`anfragen fetch bundestag` against a local server shaped as the DIP OpenAPI description
(/drucksache-text, numFound/cursor/documents, ApiKey header): pagination, a missing text, an
ignored filter, HTTP 429 and 5xx, an interruption and its resumption, then ingest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from support import CORPUS

from anfragen.fetch.dip import STATE_FILE, fetch_bundestag
from anfragen.fetch.http import FetchError, PoliteClient
from anfragen.pipeline import Engine
from anfragen.read import read_with_sidecar

KEY = "test-key-123"
TEXTS = sorted((CORPUS / "bundestag-digest-dip").glob("*.txt"))[:5]


def dip_doc(i: int, text: str | None, typ: str = "Antwort", day: str = "") -> dict:
    """A DrucksacheText as the OpenAPI description has it (required fields and then some)."""
    nr = f"21/{900 + i}"
    doc = {"id": str(70000 + i), "typ": "Dokument", "dokumentart": "Drucksache",
           "drucksachetyp": typ, "dokumentnummer": nr, "wahlperiode": 21, "herausgeber": "BT",
           "datum": day or f"2025-06-{10 + i:02d}", "aktualisiert": "2025-06-20T10:00:00+02:00",
           "titel": f"Titel {i}", "autoren_anzahl": 1, "vorgangsbezug_anzahl": 1,
           "autoren_anzeige": [{"id": "1", "title": "Erika Muster, MdB, SPD",
                                "autor_titel": "Erika Muster"}],
           "fundstelle": {"id": str(70000 + i), "dokumentart": "Drucksache", "pdf_url":
                          f"https://dserver.bundestag.de/btd/21/00{i}/2100{900 + i}.pdf",
                          "dokumentnummer": nr, "datum": "2025-06-10", "herausgeber": "BT",
                          "urheber": ["Bundesregierung"]},
           "ressort": [{"titel": "Bundesministerium des Innern", "federfuehrend": True}],
           "urheber": [{"titel": "Bundesregierung", "einbringer": True}]}
    if text is not None:
        doc["text"] = text
    return doc


class FakeDIP:
    def __init__(self, page_size: int = 2):
        self.docs = [dip_doc(i, p.read_text(encoding="utf-8")) for i, p in enumerate(TEXTS)]
        self.docs.insert(2, dip_doc(5, None))  # a fresh answer still without text
        self.docs.append(dip_doc(6, "Gesetzentwurf ...", typ="Gesetzentwurf"))
        self.docs.append(dip_doc(7, "alt", day="2024-01-05"))
        self.page_size = page_size
        self.fail_queue: list[int] = []
        self.ignore_date_filter = False
        self.fail_after_pages: int | None = None
        self.pages_served = 0
        self.log: list[dict] = []

    def select(self, q: dict) -> list[dict]:
        if "cursor" in q and "f.drucksachetyp" not in q:
            return self.docs  # the trap: a bare cursor pages through everything
        out = [d for d in self.docs if d["drucksachetyp"] == q.get("f.drucksachetyp", [""])[0]]
        if not self.ignore_date_filter:
            lo, hi = q.get("f.datum.start", [""])[0], q.get("f.datum.end", ["9999"])[0]
            out = [d for d in out if lo <= d["datum"] <= hi]
        return out

    def respond(self, path: str, q: dict, headers) -> tuple[int, dict, dict]:
        self.log.append({"path": path, "q": q, "auth": headers.get("Authorization")})
        if headers.get("Authorization") != f"ApiKey {KEY}":
            return 401, {"code": 401, "message": "An API key is required"}, {}
        if self.fail_queue:
            code = self.fail_queue.pop(0)
            return code, {"code": code, "message": "busy"}, {"Retry-After": "0"} if code == 429 \
                else {}
        if self.fail_after_pages is not None and self.pages_served >= self.fail_after_pages:
            return 500, {"code": 500, "message": "down"}, {}
        if path != "/api/v1/drucksache-text":
            return 404, {"code": 404, "message": "not found"}, {}
        docs = self.select(q)
        start = int(q["cursor"][0][1:]) if "cursor" in q else 0
        page = docs[start:start + self.page_size]
        self.pages_served += 1
        cursor = f"c{start + len(page)}" if page else q.get("cursor", ["c0"])[0]
        return 200, {"numFound": len(docs), "cursor": cursor, "documents": page}, {}


@pytest.fixture
def dip():
    fake = FakeDIP()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            code, body, extra = fake.respond(url.path, parse_qs(url.query), self.headers)
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    yield fake
    server.shutdown()
    server.server_close()


def client(fake: FakeDIP, sleeps: list, retries: int = 3) -> PoliteClient:
    """Sleeps recorded instead of slept; a clock that stands still makes them exact."""
    return PoliteClient(fake.url, min_interval=0.5, retries=retries, backoff=0.3,
                        sleep=sleeps.append, clock=lambda: 0.0)


def test_pages_retries_and_sidecars(dip, tmp_path) -> None:
    dip.fail_queue = [429, 503]
    sleeps: list[float] = []
    report = fetch_bundestag(tmp_path, KEY, since="2025-01-01", client=client(dip, sleeps))
    assert len(report.written) == 5 and report.without_text == [
        "21/905 (PDF: https://dserver.bundestag.de/btd/21/005/2100905.pdf)"]
    # 429 with Retry-After 0, the interval, backoff 0.3 * 2 after the 503, the interval
    assert sleeps[:4] == [0.0, 0.5, 0.6, 0.5] and set(sleeps[4:]) == {0.5}
    for req in dip.log:  # every page repeats every filter, with the key in the header
        assert req["q"]["f.drucksachetyp"] == ["Antwort"]
        assert req["q"]["f.datum.start"] == ["2025-01-01"] and req["auth"] == f"ApiKey {KEY}"
    cursors = [r["q"].get("cursor", [None])[0] for r in dip.log[2:]]
    assert cursors == [None, "c2", "c4", "c6", "c6"][: len(cursors)] and cursors[-1] == "c6"
    src = read_with_sidecar(tmp_path / "bundestag-dip" / report.written[0], tmp_path, {})
    assert src.meta["drucksache"] == "21/900" and src.meta["pdf_url"].endswith("2100900.pdf")
    assert src.meta["answering_body"] == "Bundesministerium des Innern"
    assert src.doc_id == f"bundestag-dip/{report.written[0][:-4]}"


def test_an_ignored_filter_stops_the_run(dip, tmp_path) -> None:
    dip.ignore_date_filter, dip.page_size = True, 100
    with pytest.raises(FetchError, match="Filter nicht beachtet.*vor 2025-01-01"):
        fetch_bundestag(tmp_path, KEY, since="2025-01-01", client=client(dip, []))
    assert not list((tmp_path / "bundestag-dip").glob("*.txt"))  # not a file of that page


def test_an_interrupted_run_resumes_and_ingest_adds_the_documents(dip, tmp_path) -> None:
    dip.fail_after_pages = 1
    with pytest.raises(FetchError, match="HTTP 500 nach 2 Versuchen"):
        fetch_bundestag(tmp_path, KEY, client=client(dip, [], retries=1))
    first = sorted(p.name for p in (tmp_path / "bundestag-dip").glob("*.txt"))
    assert len(first) == 2
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state["queries"]["Antwort||"]["cursor"] == "c2"
    dip.fail_after_pages, dip.log = None, []
    report = fetch_bundestag(tmp_path, KEY, client=client(dip, []))
    assert report.resumed and dip.log[0]["q"]["cursor"] == ["c2"]
    assert len(report.written) == 4  # the rest, incl. the 2024 answer (no date filter)
    engine = Engine(index_dir=tmp_path / "index", model="fake")
    assert engine.ingest([tmp_path]).added == 6
    doc = engine.document(f"bundestag-dip/{first[0][:-4]}")
    assert doc["family"] == "bundestag" and doc["drucksache"] and doc["questions"]
    again = fetch_bundestag(tmp_path, KEY, client=client(dip, []))
    assert again.written == [] and again.unchanged == 6
    assert engine.ingest([tmp_path]).added == 0
    engine.close()


def test_cli_fetches_and_ingests(dip, tmp_path) -> None:
    env = {**os.environ, "ANFRAGEN_DIP_KEY": KEY}
    cmd = [sys.executable, "-m", "anfragen.cli", "fetch", "bundestag", "--since", "2025-01-01",
           "--into", str(tmp_path / "neu"), "--base-url", dip.url, "--interval", "0",
           "--ingest", "--index", str(tmp_path / "index"), "--model", "fake"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "5 Dokumente geschrieben" in r.stdout and "noch ohne Text" in r.stderr
    r = subprocess.run(cmd[:-5], env={**env, "ANFRAGEN_DIP_KEY": ""}, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "ANFRAGEN_DIP_KEY" in r.stderr and "Traceback" not in r.stderr


def test_bad_arguments_are_german_errors(tmp_path) -> None:
    with pytest.raises(FetchError, match="kein Datum"):
        fetch_bundestag(tmp_path, KEY, since="1.1.2025")
    with pytest.raises(FetchError, match="unbekannt"):
        fetch_bundestag(tmp_path, KEY, types=("Antrag",))
    assert not Path(tmp_path / "bundestag-dip").exists()
