"""Old against new answer stage in one process, query by query (issue 11's latency goal).

`anfragen bench` times `ask` with the code it runs; to compare the answer stage of an
earlier commit with today's on the same machine at the same moment (2 shared cores make
separate runs minutes apart incomparable), this loads the earlier commit's answer package
(src/anfragen/answer/, with its answerability.json) beside the current one as
anfragen.answer_old and, for every dev question, runs one search and then both answer
stages, alternating which goes first. Both get the same hits and the same index lookup.
Prints and writes p50/p95 of search, old answer, new answer and old/new ask (search +
answer).

    .venv/bin/python eval/answer_latency.py --old-commit 99f1233 [--index index]
        [--queries eval/datasets/dev/queries.jsonl] [--out eval/results]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from anfragen.evaluation.metrics import load_queries
from anfragen.evaluation.report import percentile, provenance
from anfragen.pipeline import Engine
from anfragen.retrieve import RetrievalConfig


def old_answer_module(commit: str):
    """The answer package of `commit`, imported as anfragen.answer_old: its relative
    imports stay inside it, its absolute ones (index, models) use today's package."""
    tar = subprocess.run(["git", "archive", commit, "src/anfragen/answer"], check=True,
                         capture_output=True).stdout
    root = Path(tempfile.mkdtemp())
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(root, filter="data")
    pkg = root / "src" / "anfragen" / "answer"
    spec = importlib.util.spec_from_file_location(
        "anfragen.answer_old", pkg / "__init__.py", submodule_search_locations=[str(pkg)])
    mod = importlib.util.module_from_spec(spec)
    sys.modules["anfragen.answer_old"] = mod
    spec.loader.exec_module(mod)
    return importlib.import_module("anfragen.answer_old.extractive")


def ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def run(engine: Engine, texts: list[str], old) -> dict:
    from anfragen.answer import answer_from_hits

    cfg = RetrievalConfig(k=10)
    for q in texts[:3]:  # warm-up: model, caches, both answer stages
        hits = engine.search(q, cfg)
        old.answer_from_hits(q, hits, lookup=engine.lookup(q))
        answer_from_hits(q, hits, lookup=engine.lookup(q))
    t = {"search": [], "old answer": [], "new answer": []}
    for i, q in enumerate(texts):
        hits: list = []
        t["search"].append(ms(lambda q=q, hits=hits: hits.extend(engine.search(q, cfg))))
        runs = [("old answer", lambda q=q, hits=hits: old.answer_from_hits(
                    q, hits, lookup=engine.lookup(q))),
                ("new answer", lambda q=q, hits=hits: answer_from_hits(
                    q, hits, lookup=engine.lookup(q)))]
        for name, fn in runs if i % 2 else runs[::-1]:
            t[name].append(ms(fn))
    t["old ask"] = [a + b for a, b in zip(t["search"], t["old answer"], strict=True)]
    t["new ask"] = [a + b for a, b in zip(t["search"], t["new answer"], strict=True)]
    return {k: {"p50": percentile(v, 50), "p95": percentile(v, 95)} for k, v in t.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-commit", required=True)
    ap.add_argument("--index", default="index")
    ap.add_argument("--queries", type=Path, default=Path("eval/datasets/dev/queries.jsonl"))
    ap.add_argument("--out", type=Path, default=Path("eval/results"))
    args = ap.parse_args()
    engine = Engine.open(args.index)
    result = {"provenance": provenance(engine), "old_commit": args.old_commit,
              "latency_ms": run(engine, [q.text for q in load_queries(args.queries)],
                                old_answer_module(args.old_commit))}
    lines = [f"| {k} | {v['p50']:.1f} | {v['p95']:.1f} |"
             for k, v in result["latency_ms"].items()]
    d = result["latency_ms"]
    md = "\n".join([f"# Answer stage latency, {args.old_commit} against the working tree", "",
                    f"commit {result['provenance']['commit']} · {result['provenance']['machine']}"
                    f" · {result['provenance']['date']} · queries `{args.queries}`", "",
                    "| what (warm, per query) | p50 ms | p95 ms |", "|---|---|---|", *lines, "",
                    f"ask p50: {d['old ask']['p50']:.1f} ms before, {d['new ask']['p50']:.1f} ms "
                    f"now ({d['new ask']['p50'] - d['old ask']['p50']:+.1f} ms)."]) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d")
    (args.out / f"answer-latency-{stamp}.json").write_text(json.dumps(result, indent=2))
    (args.out / f"answer-latency-{stamp}.md").write_text(md)
    print(md, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
