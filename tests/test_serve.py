"""The HTTP API for real: `anfragen serve` under uvicorn on 127.0.0.1, asked with httpx."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support import free_port, lenient_calibration, serving

SEED = "Dürfen hessische Kommunen HessenConnect 2.0 nutzen?"


def serve_cmd(index: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "anfragen.cli", "serve", "--index", str(index),
            "--model", "fake", "--host", "127.0.0.1", "--port", str(port)]


def lenient_env(tmp: Path) -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(lenient_calibration(tmp)), os.environ.get("PYTHONPATH", "")])}


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    return lenient_env(tmp_path_factory.mktemp("serve-env"))


@pytest.fixture(scope="module")
def api(fake_index, env, tmp_path_factory):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("serve") / "uvicorn.log"
    with serving(serve_cmd(fake_index, port), f"{url}/health", env, log):
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client


def cli_ask_json(index: Path, env: dict, query: str, *extra: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "anfragen.cli", "ask", query, "--index",
                          str(index), "--model", "fake", "--json", *extra],
                         env=env, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def test_health_and_docs(api) -> None:
    assert api.get("/health").json()["status"] == "ok"
    assert "swagger" in api.get("/docs").text.lower()
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/ask", "/search", "/stats", "/health"} <= set(paths)
    assert "/documents/{doc_id}" in paths and "/units/{unit_id}" in paths


def test_ask_over_http_is_the_cli_json(api, fake_index, env) -> None:
    got = api.get("/ask", params={"q": SEED, "k": 5})
    assert got.status_code == 200
    body = got.json()
    assert not body["abstained"] and body["citations"], body
    assert body["citations"][0]["parliament"] == "Hessischer Landtag"
    assert body == cli_ask_json(fake_index, env, SEED, "--k", "5")
    posted = api.post("/ask", json={"q": SEED, "k": 5})
    assert posted.json() == body


def test_search_applies_filters_and_k(api) -> None:
    hits = api.get("/search", params={"q": "Schule", "k": 3, "mode": "bm25"}).json()["hits"]
    assert len(hits) == 3
    parl = "Hamburgische Bürgerschaft"
    only = api.get("/search", params={"q": "Schule", "k": 20, "parliament": parl}).json()
    assert only["hits"] and {h["parliament"] for h in only["hits"]} == {parl}
    none = api.get("/search", params={"q": "Schule", "since": "2999-01-01"}).json()
    assert none["hits"] == []
    posted = api.post("/search", json={"q": "Schule", "k": 20, "parliament": [parl]}).json()
    assert [h["chunk_id"] for h in posted["hits"]] == [h["chunk_id"] for h in only["hits"]]


def test_document_and_unit_lookup(api) -> None:
    hit = api.get("/search", params={"q": SEED, "k": 1}).json()["hits"][0]
    doc = api.get(f"/documents/{hit['doc_id']}").json()
    assert doc["doc_id"] == hit["doc_id"] and doc["drucksache"] == hit["drucksache"]
    n = hit["questions"][0]
    unit = api.get(f"/units/{hit['doc_id']}%23{n}").json()
    assert unit["unit_id"] == f"{hit['doc_id']}#{n}"
    assert unit["answers"] and all(n in a["questions"] for a in unit["answers"])
    assert [q["number"] for q in unit["questions"]] == [n]


@pytest.mark.parametrize(("path", "params", "status", "words"), [
    ("/ask", {"q": "x" * 501}, 400, "höchstens 500"),
    ("/ask", {}, 400, "fehlt"),
    ("/ask", {"q": "?!"}, 400, "keine Wörter"),
    ("/ask", {"q": "Schule", "k": 0}, 400, "1 bis 100"),
    ("/search", {"q": "Schule", "k": 101}, 400, "1 bis 100"),
    ("/search", {"q": "Schule", "mode": "magic"}, 400, "hybrid, dense, bm25"),
    ("/search", {"q": "Schule", "since": "2025-13-01"}, 400, "JJJJ-MM-TT"),
    ("/search", {"q": "Schule", "since": "2025-02-01", "until": "2025-01-01"}, 400, "tauschen"),
    ("/documents/gibt/es/nicht", {}, 404, "Kein Dokument"),
    ("/units/gibt/es/nicht%233", {}, 404, "Keine Einheit"),
    ("/units/ohne-nummer", {}, 400, "<doc_id>#<Nummer>"),
    ("/nirgends", {}, 404, "Unbekannter Pfad"),
])
def test_errors_are_json_in_german(api, path, params, status, words) -> None:
    got = api.get(path, params=params)
    assert got.status_code == status
    assert got.json()["status"] == status and words in got.json()["error"]


def test_bad_json_body_is_400(api) -> None:
    got = api.post("/ask", content=b"{kein json", headers={"content-type": "application/json"})
    assert got.status_code == 400 and "JSON" in got.json()["error"]


def test_stats(api) -> None:
    st = api.get("/stats").json()
    assert st["counts"]["documents"] > 0
    assert {p["parliament"] for p in st["parliaments"]} >= {"Hessischer Landtag"}


def test_missing_index_is_503(tmp_path, env) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(serve_cmd(tmp_path / "kein-index", port), f"{url}/health", env,
                 tmp_path / "log"), httpx.Client(base_url=url, timeout=30) as client:
        for path in ("/health", f"/ask?q={SEED}", "/stats", "/documents/x"):
            got = client.get(path)
            assert got.status_code == 503, path
            assert "anfragen ingest" in got.json()["error"]


@pytest.mark.slow
def test_seed_question_over_http_with_the_real_model(tmp_path) -> None:
    """The real e5 model and calibration: the seed question is answered with a citation."""
    from support import CORPUS

    from anfragen.pipeline import Engine

    index = tmp_path / "index"
    Engine(index_dir=index).ingest([CORPUS / "hessen-seed", CORPUS / "hamburg-ska-archiv-md"])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "anfragen.cli", "serve", "--index", str(index),
           "--port", str(port)]
    with serving(cmd, f"{url}/health", dict(os.environ), tmp_path / "log"), \
            httpx.Client(base_url=url, timeout=120) as client:
        body = client.get("/ask", params={"q": SEED}).json()
    assert not body["abstained"], body["message"]
    assert body["citations"][0]["doc_id"].startswith("hessen-seed/")
