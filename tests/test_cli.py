"""The CLI through its real entry point (`python -m anfragen.cli`, as the console script)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from support import CORPUS, ROOT, copy_corpus

SEED = CORPUS / "hessen-seed" / "HE_20_hessenconnect-2-0.txt"


def anfragen(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "anfragen.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_parse_json_has_contract_keys():
    r = anfragen("parse", "--json", str(SEED))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout.splitlines()[0])
    assert doc["doc_id"] == "hessen-seed/HE_20_hessenconnect-2-0"
    assert doc["askers"] == ["Oliver Stirböck"] and doc["parties"] == ["Freie Demokraten"]
    assert [q["number"] for q in doc["questions"]] == [1, 2, 3, 4, 5]
    assert [a["questions"] for a in doc["answers"]] == [[1, 2, 3, 4, 5]]
    assert {p["side"] for p in doc["preambles"]} == {"askers", "government"}


def test_parse_reports_bad_files_and_continues(tmp_path):
    bad = tmp_path / "leer.txt"
    bad.write_bytes(b"")
    r = anfragen("parse", str(bad), str(SEED))
    assert r.returncode == 1
    assert "leer.txt" in r.stderr and "Traceback" not in r.stderr
    assert "Frage 5:" in r.stdout


def test_parse_report_counts_families(tmp_path):
    corpus = copy_corpus(tmp_path / "c", ["hessen-seed", "openka-cli-fixtures"])
    r = anfragen("parse-report", str(corpus), "--json")
    assert r.returncode == 0, r.stderr
    fams = json.loads(r.stdout)["families"]
    assert fams["hessen"]["questions"] == 5 and fams["hessen"]["joint"] == 1
    assert fams["openka"]["documents"] == 7 and fams["TOTAL"]["fallbacks"] == 0


def test_ingest_ask_stats_feedback_roundtrip(tmp_path):
    corpus = copy_corpus(tmp_path / "c", ["hessen-seed", "hamburg-ska-archiv-md"])
    (corpus / "hessen-seed" / "kaputt.pdf").write_bytes(b"%PDF-1.4 broken")
    idx = str(tmp_path / "index")
    r = anfragen("ingest", str(corpus), "--index", idx, "--model", "fake")
    assert r.returncode == 1  # something was skipped, and it says what
    assert "kaputt.pdf" in r.stderr and "6 neu" in r.stdout
    r = anfragen("ask", "Können hessische Kommunen HessenConnect 2.0 nutzen?", "--json",
                 "--index", idx, "--model", "fake", "--mode", "bm25")
    out = json.loads(r.stdout)
    assert out["hits"][0]["doc_id"] == "hessen-seed/HE_20_hessenconnect-2-0"
    assert isinstance(out["abstained"], bool)
    r = anfragen("ask", "?!", "--index", idx, "--model", "fake")
    assert r.returncode == 2 and "Frage" in r.stderr and "Traceback" not in r.stderr
    r = anfragen("stats", "--index", idx, "--json")
    assert json.loads(r.stdout)["counts"]["documents"] == 6
    r = anfragen("feedback", "--index", idx)
    assert r.returncode == 0 and r.stdout == ""


def test_missing_index_is_a_clear_error(tmp_path):
    r = anfragen("ask", "Radwege", "--index", str(tmp_path / "nix"), "--model", "fake")
    assert r.returncode == 2 and "anfragen ingest" in r.stderr


def test_interrupted_ingest_says_how_to_continue_and_continues(tmp_path, monkeypatch, capsys):
    from anfragen.cli.main import main
    from anfragen.embed.fake import FakeEmbedder

    corpus = copy_corpus(tmp_path / "c", ["hessen-seed", "hamburg-ska-archiv-md"])
    idx = str(tmp_path / "index")
    real = FakeEmbedder.embed_passages
    calls = []

    def interrupted_on_second(self, texts, progress=None):
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, texts, progress)

    monkeypatch.setattr(FakeEmbedder, "embed_passages", interrupted_on_second)
    monkeypatch.setattr("anfragen.index.ingest.BATCH_CHUNKS", 8)  # interrupted after a commit
    monkeypatch.setenv("ANFRAGEN_CACHE", str(tmp_path / "cache"))  # nothing cached: it embeds
    assert main(["ingest", str(corpus), "--index", idx, "--model", "fake"]) == 130
    assert "setzt das Einlesen dort fort" in capsys.readouterr().err
    monkeypatch.setattr(FakeEmbedder, "embed_passages", real)
    assert main(["ingest", str(corpus), "--index", idx, "--model", "fake"]) == 0
    carried = re.search(r"fortgesetzt \((\d+) Dokumente übernommen\)", capsys.readouterr().out)
    assert carried and int(carried.group(1)) > 0


def test_version_and_help_of_every_option():
    r = anfragen("--version")
    assert r.returncode == 0 and re.fullmatch(r"anfragen \d+\.\d+\.\d+\n", r.stdout), r.stdout
    from anfragen.cli.main import build_parser

    ap = build_parser()
    subs = next(a for a in ap._actions if a.dest == "command").choices
    undocumented = [f"{name} {opt.option_strings or opt.dest}" for name, p in subs.items()
                    for opt in p._actions if opt.dest != "help" and not opt.help]
    assert undocumented == []
    for name in ("ingest", "ask", "stats", "feedback", "cache-export", "eval", "bench"):
        args = ap.parse_args([name, *(["frage"] if name == "ask" else []),
                              "--index", "x", "--model", "fake"])
        assert (args.index, args.model) == ("x", "fake"), name


def test_cache_export_writes_the_index_vectors(tmp_path, fake_index):
    import numpy as np

    from anfragen.embed.cache import BundledCache, text_key
    from anfragen.pipeline import Engine

    out = tmp_path / "emb"
    r = anfragen("cache-export", "--index", str(fake_index), "--to", str(out))
    assert r.returncode == 0, r.stderr
    n = int(r.stdout.split()[0])
    eng = Engine.open(fake_index, "fake")
    # the chunks' vectors, and the printed questions' (question vectors, on by default)
    questions = eng.index.conn.execute("SELECT count(*) FROM question_vectors").fetchone()[0]
    assert questions > 0
    # and the sentences' (embedded at ingest by default), each distinct text once
    sentences = eng.index.conn.execute("SELECT count(DISTINCT text) FROM sentences").fetchone()[0]
    assert sentences > 0
    assert n <= eng.stats()["counts"]["vectors"] + questions + sentences
    assert n > eng.stats()["counts"]["vectors"] + questions
    fp = eng.index.manifest["model"]["fingerprint"]
    bundled = BundledCache(out, fp)
    assert len(bundled) == n
    hit = eng.search("HessenConnect Kommunen")[0]
    vec = bundled.get(text_key(fp, hit.chunk.text))
    want = eng.embedder.embed_passages([hit.chunk.text])[0]
    assert vec is not None and np.allclose(vec.astype(np.float32), want, atol=1e-3)
