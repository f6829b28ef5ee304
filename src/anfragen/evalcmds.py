"""The `anfragen eval` actions: run, compare, check, calibrate, export, baseline."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

from .evaluate import evaluate_engine, load_queries, write_trec


def provenance(engine) -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5).stdout.strip()
    except OSError:
        commit = ""
    import os

    m = engine.index.manifest
    return {
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "python": platform.python_version(),
        "model": m["model"]["id"],
        "model_fingerprint": m["model"]["fingerprint"][:16],
        "index_fingerprint": m.get("corpus_fingerprint", "")[:16],
        "chunker": m.get("chunker"),
        "command": " ".join(["anfragen", *sys.argv[1:]]),
    }


def _engine(args, index=None):
    from .cli import _engine as make

    if index is not None:
        args = type(args)(**{**vars(args), "index": index})
    return make(args)


def dispatch(args) -> int:
    return {"run": cmd_run, "compare": cmd_compare, "check": cmd_check,
            "calibrate": cmd_calibrate, "export": cmd_export,
            "baseline": cmd_baseline}[args.action](args)


def evaluate_config(engine, queries, mode: str, k: int, progress=None):
    from .retrieve import RetrievalConfig

    cfg = RetrievalConfig(mode=mode, k=k)
    report, runs = evaluate_engine(engine, queries, cfg, progress=progress)
    report["config"] = {"mode": mode, "k": k, "weights": cfg.weights, "rrf_k": cfg.rrf_k,
                        **provenance(engine)}
    return report, runs


def cmd_run(args) -> int:
    from .progress import Bar

    engine = _engine(args)
    queries = load_queries(args.queries)
    with Bar() as bar:
        report, runs = evaluate_config(engine, queries, args.mode, args.k, bar.update)
    report = {"config": report.pop("config"), **report}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    if args.run:
        write_trec(runs, args.run, args.mode)
    print_summary(report)
    return 0


def print_summary(report: dict) -> None:
    o = report["overall"]
    print(f"{report['n_queries']} Fragen, Modus {report['config']['mode']}")
    print("unit     " + "  ".join(f"{k}={v:.3f}" for k, v in o["unit"].items()))
    print("doc      " + "  ".join(f"{k}={v:.3f}" for k, v in o["doc"].items()))
    print("evidence " + "  ".join(f"{k}={v:.3f}" for k, v in o["evidence"].items()))
    a = o["answer"]
    print(f"answer   abstention={a['abstention_rate']:.3f}  "
          f"false_abstention={a['false_abstention_rate']:.3f}  "
          f"grounded={a['grounded_answer_rate']:.3f}  "
          f"quoted_evidence={a.get('quoted_evidence_rate') or 0:.3f}  "
          f"lead_evidence={a.get('lead_evidence_rate') or 0:.3f}")
    print(f"latency  p50={o['latency_ms']['p50']:.1f} ms  p95={o['latency_ms']['p95']:.1f} ms")


def cmd_compare(args) -> int:
    from .evalcompare import compare

    return compare(args, _engine)


def cmd_check(args) -> int:
    """Fail when a dev score dropped by more than the tolerance stated in expected.json."""
    if not args.expected.is_file():
        from .errors import AnfragenError

        raise AnfragenError(f"{args.expected} fehlt; Vorlage: eval/expected.example.json, "
                            "Werte aus einem echten Lauf (anfragen eval --json OUT) eintragen.")
    expected = json.loads(args.expected.read_text(encoding="utf-8"))
    engine = _engine(args)
    queries = load_queries(Path(expected.get("queries", args.queries)))
    report, _ = evaluate_config(engine, queries, expected.get("mode", "hybrid"), 100)
    tol = float(expected.get("tolerance", 0.02))
    failed = []
    for path, want in flatten(expected["scores"]).items():
        got = get_path(report["overall"], path)
        ok = got is not None and got >= want - tol
        if path.endswith("false_abstention_rate"):
            ok = got is not None and got <= want + tol
        shown = "fehlt" if got is None else f"{got:.3f}"
        bound = f"<= {want + tol:.3f}" if path.endswith("false_abstention_rate") else \
            f">= {want - tol:.3f}"
        print(f"{'OK  ' if ok else 'FAIL'} {path}: {shown} (erwartet {bound})")
        failed += [] if ok else [path]
    checked = len(flatten(expected["scores"]))
    print(f"eval-check: {checked - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def flatten(d: dict, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = float(v)
    return out


def get_path(d: dict, path: str):
    for part in path.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d


def cmd_calibrate(args) -> int:
    from .calibrate import calibrate

    return calibrate(args, _engine(args))


def cmd_export(args) -> int:
    from .beir import export_beir

    q = args.queries  # eval/datasets/dev/queries.jsonl -> eval/beir/dev
    out = args.out or Path("eval/beir") / (q.parent.name if q.stem == "queries" else q.stem)
    counts = export_beir(Path(args.index), load_queries(args.queries), out)
    print(f"BEIR-Export nach {out}: {counts['queries']} Fragen, {counts['corpus']} Einheiten, "
          f"{counts['qrels']} Relevanzurteile")
    if counts["missing"]:
        print(f"Warnung: {len(counts['missing'])} relevante Einheiten fehlen im Index, z. B. "
              + ", ".join(counts["missing"][:5]), file=sys.stderr)
    return 0


def cmd_baseline(args) -> int:
    from .baseline import baseline_engine
    from .progress import Bar

    with Bar() as bar:
        engine, report = baseline_engine(_engine(args), args.baseline_index, bar.update)
    print(report.summary() if report else f"Baseline-Index {engine.index_dir} ist aktuell.")
    for _path, why in report.failed if report else []:
        print(f"übersprungen: {why}", file=sys.stderr)
    return 0
