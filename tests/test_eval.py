"""Evaluation harness: metric arithmetic, evidence normalisation, the `anfragen eval` actions
(run, check, compare, export) and the fixed-size chunking baseline, on a small real index
built with the FakeEmbedder."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from support import ROOT, SMALL

from anfragen.cli import main as cli
from anfragen.evaluation.baseline import FixedChunking, align, covers_by_text, fixed_chunks
from anfragen.evaluation.metrics import (
    Query,
    QueryResult,
    answer_scores,
    contains_evidence,
    evidence_scores,
    fill_overall,
    norm_evidence,
    ranx_scores,
    summarize,
)
from anfragen.models import AnswerBlock, Inquiry, Question, Unit
from anfragen.parse.textclean import clean_block

DEV = ROOT / "eval" / "datasets" / "dev" / "queries.jsonl"


# -- metric arithmetic on a hand-made case --------------------------------------------------

def result(qid: str, units: list[str], evidence_hits=(), abstained=False, grounded=False,
           kind="citizen") -> QueryResult:
    docs = list(dict.fromkeys(u.split("#")[0] for u in units))
    return QueryResult(qid, kind, units, docs, list(evidence_hits), abstained, grounded, 1.0)


QUERIES = {
    "q1": Query("q1", "a", "citizen", ("d1#1",), ("x",)),
    "q2": Query("q2", "b", "citizen", ("d2#3",), ("y",)),
    "q3": Query("q3", "c", "keyword", ("d3#1",), ("z",)),
    "u1": Query("u1", "d", "unanswerable"),
    "u2": Query("u2", "e", "unanswerable"),
}
RESULTS = [
    result("q1", ["d1#1", "d1#2", "d2#1"], [False, True], grounded=True),  # relevant at rank 1
    result("q2", ["d2#1", "d2#2", "d2#3"], [False] * 5 + [True], abstained=True),  # rank 3
    result("q3", [], []),  # nothing retrieved: scores 0
    result("u1", ["d1#1"], abstained=True, kind="unanswerable"),
    result("u2", ["d2#1"], abstained=False, kind="unanswerable"),
]


def test_unit_metrics_by_hand():
    s = ranx_scores(RESULTS, QUERIES, "unit", ("recall@1", "recall@5", "mrr@10", "ndcg@10"))
    assert s["recall@1"] == pytest.approx(1 / 3)
    assert s["recall@5"] == pytest.approx(2 / 3)
    assert s["mrr@10"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert s["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4) + 0) / 3)


def test_doc_metrics_by_hand():
    s = ranx_scores(RESULTS, QUERIES, "doc", ("recall@10", "mrr@10"))
    assert s["recall@10"] == pytest.approx(2 / 3)  # q1: d1 first; q2: d2 first; q3: nothing
    assert s["mrr@10"] == pytest.approx(2 / 3)


def test_evidence_and_answer_by_hand():
    ev = evidence_scores(RESULTS, QUERIES)
    assert ev == pytest.approx({"success@1": 0.0, "success@5": 1 / 3, "success@10": 2 / 3})
    a = answer_scores(RESULTS, QUERIES)
    assert a["abstention_rate"] == 0.5  # u1 abstained, u2 did not
    assert a["false_abstention_rate"] == pytest.approx(1 / 3)  # q2
    assert a["grounded_answer_rate"] == pytest.approx(1 / 3)  # q1
    assert (a["n_answerable"], a["n_unanswerable"]) == (3, 2)


def test_empty_results_score_zero():
    empty = [result(q, []) for q in ("q1", "q2", "q3")]
    s = ranx_scores(empty, QUERIES, "unit", ("recall@10", "mrr@10", "ndcg@10"))
    assert s == {"recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    assert evidence_scores(empty, QUERIES)["success@10"] == 0.0


def test_overall_block_without_judged_queries_is_zero():
    only_unanswerable = [r for r in RESULTS if r.id.startswith("u")]
    block = fill_overall(summarize(only_unanswerable, QUERIES))
    assert block["unit"]["recall@10"] == 0.0 and block["evidence"]["success@5"] == 0.0
    assert block["answer"]["false_abstention_rate"] == 0.0


@pytest.mark.parametrize("text, evidence", [
    ("Die Gesundheitsregio-\nnen werden gefördert.", "Gesundheitsregionen werden gefördert"),
    ("Die Gesundheitsregionen werden gefördert.", "Gesundheitsregio-\nnen werden gefördert"),
    ("Die Gesundheitsregionen werden gefördert.", "Gesundheitsregio-nen werden gefördert"),
    ("Die   Gesundheits\u00adregionen\n\n werden\tgefördert.", "Gesundheitsregionen werden"),
])
def test_evidence_normalisation(text, evidence):
    assert contains_evidence(text, (evidence,))


def test_evidence_normalisation_keeps_words_apart():
    assert norm_evidence("  a\n b  ") == "a b"
    assert not contains_evidence("Die Regionen werden gefördert.", ("Regionen wurden",))
    assert not contains_evidence("irgendein Text", ("", "  "))


# -- a small real index (conftest's session `fake_index` over support.SMALL) ---------------

@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        d = tmp_path_factory.mktemp("eval")
        mp.setenv("ANFRAGEN_CACHE", str(d / "cache"))
        yield d


@pytest.fixture(scope="module")
def query_file(workdir) -> Path:
    """The dev questions about the small folders, plus three unanswerable ones."""
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    mine = [r for r in rows if r["relevant"] and r["relevant"][0].split("/")[0] in SMALL]
    unans = [r for r in rows if r["kind"] == "unanswerable"][:3]
    assert len(mine) >= 3
    path = workdir / "queries.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in mine + unans),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def eval_json(workdir, fake_index, query_file) -> dict:
    out = workdir / "eval.json"
    rc = cli.main(["eval", "--queries", str(query_file), "--json", str(out), "--index",
                   str(fake_index), "--model", "fake", "--run", str(workdir / "run.trec")])
    assert rc == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_eval_json_follows_the_contract(eval_json, query_file):
    n = len(query_file.read_text().splitlines())
    assert eval_json["n_queries"] == n and len(eval_json["per_query"]) == n
    assert eval_json["config"]["mode"] == "hybrid" and eval_json["config"]["model"] == "fake"
    shape = {
        "unit": {"recall@1", "recall@5", "recall@10", "recall@100", "mrr@10", "ndcg@10"},
        "doc": {"recall@10", "mrr@10"},
        "evidence": {"success@1", "success@5", "success@10"},
        "answer": {"abstention_rate", "false_abstention_rate", "grounded_answer_rate"},
        "latency_ms": {"p50", "p95"},
    }
    for level, keys in shape.items():
        assert keys <= set(eval_json["overall"][level]), level
        assert all(0 <= eval_json["overall"][level][k] <= 1 for k in keys if level != "latency_ms")
    kinds = {json.loads(line)["kind"] for line in query_file.read_text().splitlines()}
    assert set(eval_json["by_kind"]) == kinds and "unanswerable" in kinds
    assert {"id", "kind", "units", "docs", "evidence_hits", "abstained", "grounded",
            "latency_ms"} <= set(eval_json["per_query"][0])
    # BM25 half of hybrid finds these literal questions' units somewhere in the top 100
    assert eval_json["overall"]["unit"]["recall@100"] > 0.5


def test_eval_writes_trec_run(eval_json, workdir):
    line = (workdir / "run.trec").read_text().splitlines()[0].split()
    assert len(line) == 6 and line[1] == "Q0" and line[3] == "1" and line[5] == "hybrid"


def write_expected(path: Path, query_file: Path, scores: dict) -> Path:
    path.write_text(json.dumps({"queries": str(query_file), "mode": "hybrid", "tolerance": 0.02,
                                "scores": scores}))
    return path


def test_check_passes_and_fails(eval_json, fake_index, query_file, workdir, capsys):
    o = eval_json["overall"]
    r10, fa = o["unit"]["recall@10"], o["answer"]["false_abstention_rate"]
    argv = ["eval", "check", "--index", str(fake_index), "--model", "fake", "--expected"]
    ok = write_expected(workdir / "ok.json", query_file, {
        "unit": {"recall@10": r10, "mrr@10": o["unit"]["mrr@10"]},
        "evidence": {"success@5": o["evidence"]["success@5"]},
        "answer": {"abstention_rate": o["answer"]["abstention_rate"],
                   "false_abstention_rate": fa + 0.05},  # an upper bound: lower is fine
    })
    assert cli.main([*argv, str(ok)]) == 0
    assert "FAIL" not in capsys.readouterr().out
    worse = write_expected(workdir / "worse.json", query_file,
                           {"answer": {"false_abstention_rate": fa - 0.05}})
    assert cli.main([*argv, str(worse)]) == 1
    assert "FAIL answer.false_abstention_rate" in capsys.readouterr().out
    higher = write_expected(workdir / "higher.json", query_file,
                            {"unit": {"recall@10": r10 + 0.05}})
    assert cli.main([*argv, str(higher)]) == 1
    assert "FAIL unit.recall@10" in capsys.readouterr().out
    assert cli.main([*argv, str(workdir / "missing.json")]) == 2


def test_expected_example_names_real_metrics(eval_json):
    from anfragen.evaluation.check import flatten, get_path

    example = json.loads((ROOT / "eval" / "expected.example.json").read_text())
    assert (ROOT / example["queries"]).is_file() and example["mode"] == "hybrid"
    for path in flatten(example["scores"]):
        assert get_path(eval_json["overall"], path) is not None, path


# -- compare and the fixed-size baseline -----------------------------------------------------

def test_compare_writes_markdown_json_and_plot(fake_index, query_file, workdir, capsys):
    out = workdir / "results"
    rc = cli.main(["eval", "compare", "--queries", str(query_file), "--index", str(fake_index),
                   "--model", "fake", "--configs", "bm25,hybrid,fixed-dense", "--out", str(out)])
    assert rc == 0
    files = {p.suffix: p for p in out.glob("compare-*")}
    assert set(files) == {".md", ".json", ".png"}
    assert files[".png"].read_bytes()[:4] == b"\x89PNG"
    md = files[".md"].read_text()
    assert "| bm25 |" in md and "| fixed-dense |" in md and "commit" in md
    assert md == capsys.readouterr().out.split("geschrieben:")[0]
    res = json.loads(files[".json"].read_text())
    assert res["configs"] == ["bm25", "hybrid", "fixed-dense"] and res["baseline"] == "bm25"
    assert {"model", "index_fingerprint", "baseline_index_fingerprint", "commit", "date",
            "machine"} <= set(res["provenance"])
    for name, curve in res["recall_curve"].items():
        assert len(curve) == 100 and curve == sorted(curve)
        r10 = res["results"][name]["overall"]["unit"]["recall@10"]
        assert curve[9] == pytest.approx(r10), name
        ranks = [q[name]["first_relevant_rank"] for q in res["per_query"]
                 if q["kind"] != "unanswerable"]
        mrr = sum(1 / r for r in ranks if r and r <= 10) / len(ranks)
        assert mrr == pytest.approx(res["results"][name]["overall"]["unit"]["mrr@10"]), name
    cmp = res["comparison"]["hybrid"]
    assert {"p_value", "significant", "wins", "ties", "losses"} <= set(cmp["ndcg@10"])
    assert sum(cmp["ndcg@10"][k] for k in ("wins", "ties", "losses")) == res["n_judged"]
    manifest = json.loads((fake_index.with_name("index-fixed") / "manifest.json").read_text())
    assert manifest["chunker"] == FixedChunking().to_dict()


def test_compare_rejects_unknown_config(fake_index, query_file, capsys):
    rc = cli.main(["eval", "compare", "--queries", str(query_file), "--index", str(fake_index),
                   "--model", "fake", "--configs", "bm25,fixed"])
    assert rc == 2 and "fixed-dense" in capsys.readouterr().err


def synthetic_inquiry() -> tuple[Inquiry, str]:
    """Three answers of about 900 characters in a raw text with PDF-like line breaks."""
    raw = "Kleine Anfrage\n\n"
    blocks = []
    for n in (1, 2, 3):
        raw += f"Frage {n}. Wie steht es um Thema {n}?\n\nAntwort zu Frage {n}:\n"
        start = len(raw)
        raw += " ".join(f"Satz {i} zur Antwort {n} über Gesundheitsregio-\nnen im Land." for i in
                        range(14))
        blocks.append(AnswerBlock((n,), "", start, len(raw)))
        raw += "\n\n"
    questions = tuple(Question(n, f"Wie steht es um Thema {n}?") for n in (1, 2, 3))
    return Inquiry("t/doc", "t/doc.txt", "test", questions=questions, answers=tuple(blocks)), raw


def test_fixed_chunks_cover_the_units_they_overlap():
    inq, raw = synthetic_inquiry()
    chunks = fixed_chunks(inq, raw)
    assert len(chunks) >= 3 and all(len(c.text) <= 1000 for c in chunks)
    for c in chunks:
        assert norm_evidence(raw[c.start:c.end]) == norm_evidence(c.text)  # offsets exact
        expected = tuple(b.questions[0] for b in inq.answers
                         if min(c.end, b.end) - max(c.start, b.start) >= 40)
        assert c.numbers == expected
    assert {n for c in chunks for n in c.numbers} == {1, 2, 3}
    assert chunks[0].chunk_id == "t/doc@fixed/0" and chunks[0].answer_text == chunks[0].text


def test_align_maps_cleaned_text_back():
    raw = "Gesundheitsregio-\nnen  und\f\n\nmehr\u00ad Text"
    clean = clean_block(raw)
    offsets = align(raw, clean)
    assert [raw[i] for i in offsets[:-1] if not raw[i].isspace()] == [
        c for c in clean if not c.isspace()]
    assert offsets[-1] == len(raw)


def test_containment_fallback_without_offsets():
    unit = Unit("d", (2,), (), "Die Landesregierung fördert zehn Gesundheitsregionen. " * 3)
    assert covers_by_text("Vorher. " + unit.answer_text[:70], unit)
    assert not covers_by_text("Ganz andere Worte über Schulen und Straßen.", unit)


# -- BEIR export -----------------------------------------------------------------------------

def test_beir_export_has_consistent_ids(fake_index, query_file, workdir):
    out = workdir / "beir"
    assert cli.main(["eval", "export", "--queries", str(query_file), "--index", str(fake_index),
                     "--out", str(out)]) == 0
    corpus = [json.loads(x) for x in (out / "corpus.jsonl").read_text().splitlines()]
    queries = [json.loads(x) for x in (out / "queries.jsonl").read_text().splitlines()]
    qrels = [x.split("\t") for x in (out / "qrels" / "test.tsv").read_text().splitlines()]
    assert qrels[0] == ["query-id", "corpus-id", "score"]
    corpus_ids = {c["_id"] for c in corpus}
    assert len(corpus_ids) == len(corpus)
    assert all(re.fullmatch(r"[^#]+#\d+", i) for i in corpus_ids)
    assert all(c["text"] and c["title"] for c in corpus)
    assert "unanswerable" in {q["metadata"]["kind"] for q in queries}
    query_ids = {q["_id"] for q in queries}
    for qid, cid, score in qrels[1:]:
        assert qid in query_ids and cid in corpus_ids and score == "1"
    hessen = next(c for c in corpus if c["_id"] == "hessen-seed/HE_20_hessenconnect-2-0#1")
    assert hessen["text"].startswith("Frage 1:") and "vergaberechtlichen" in hessen["text"]


def test_quoted_sentences_are_scored_against_the_evidence():
    from anfragen.evaluation.metrics import quote_matches, quote_scores

    ev = ("Zum Stichtag 1. Juli 2025 bestehen zu 147 995 Personen Fahndungen.",)
    assert quote_matches("Zum Stichtag 1. Juli 2025 bestehen zu 147 995 Personen Fahndungen "
                         "im System.", ev)  # contains the excerpt
    assert quote_matches("Zum Stichtag 1. Juli 2025 bestehen zu 147 995 Personen Ausschreibungen.",
                         ev)  # 9 of the excerpt's 11 tokens
    assert not quote_matches("Die Bundesregierung sieht keinen Handlungsbedarf.", ev)
    two = ("Deutschland erreicht diesen Schwellenwert nicht. Daher wird derzeit ein Verfahren "
           "erarbeitet.",)
    assert quote_matches("Deutschland erreicht diesen Schwellenwert nicht.", two)  # a part
    assert quote_scores(["Die Bundesregierung sieht keinen Handlungsbedarf.",
                         "Zum Stichtag 1. Juli 2025 bestehen zu 147 995 Personen Fahndungen."],
                        ev) == (True, False)
    assert quote_scores([], ev) == (False, False)
