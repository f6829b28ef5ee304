"""`anfragen eval`: run, compare, check, calibrate, fit-rerank, export, baseline.

Arguments are parsed and results printed here; the work is done in ``anfragen.evaluation``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from anfragen.evaluation.metrics import evaluate_config, load_queries, write_trec

from .progress import Bar

ACTIONS = ("run", "compare", "check", "calibrate", "fit-rerank", "export", "baseline")


def add_eval_parser(sub, common) -> None:
    p = sub.add_parser("eval", parents=[common], help="Retrieval- und Antwortqualität messen")
    p.add_argument("action", nargs="?", default="run", choices=ACTIONS,
                   help="run: Fragensatz auswerten (Standard); compare: Konfigurationen "
                        "nebeneinander; check: gegen eval/expected.json prüfen; calibrate: "
                        "Enthaltungsschwelle bestimmen; fit-rerank: Umordnungsmodell anpassen "
                        "(Kreuzvalidierung nach Dokumenten); export: BEIR-Export; baseline: Index "
                        "mit festen 1000-Zeichen-Chunks bauen")
    p.add_argument("--queries", type=Path, default=Path("eval/datasets/dev/queries.jsonl"),
                   help="Fragensatz (JSON Lines nach DESIGN.md)")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"],
                   help="Suchmodus")
    p.add_argument("--k", type=int, default=100, help="Ranglistentiefe je Frage")
    p.add_argument("--json", type=Path, default=None, help="Ergebnis als JSON")
    p.add_argument("--run", type=Path, default=None, help="TREC-Run-Datei")
    p.add_argument("--configs", default="bm25,dense,hybrid",
                   help="compare: Konfigurationen, Komma-getrennt (bm25, dense, hybrid, "
                        "fixed-bm25, fixed-dense, fixed-hybrid); die erste ist die Basis")
    p.add_argument("--baseline-index", default=None,
                   help="compare/baseline: Index mit festen 1000-Zeichen-Chunks "
                        "(Standard: <index>-fixed)")
    p.add_argument("--expected", type=Path, default=Path("eval/expected.json"),
                   help="check: erwartete Werte mit Toleranz")
    p.add_argument("--out", type=Path, default=None,
                   help="compare: Berichtsordner (eval/results); export: BEIR-Ordner "
                        "(eval/beir/<Name des Fragensatzes>)")
    p.add_argument("--write", action="store_true",
                   help="calibrate: Schwelle speichern; fit-rerank: rerank.json schreiben")


def cmd_eval(args, engine_for) -> int:
    """`engine_for(args)` opens the engine named by --index/--model (cli.main.open_engine)."""
    handlers = {"run": cmd_run, "compare": cmd_compare, "check": cmd_check,
                "calibrate": cmd_calibrate, "fit-rerank": cmd_fit_rerank, "export": cmd_export,
                "baseline": cmd_baseline}
    return handlers[args.action](args, engine_for)


def cmd_run(args, engine_for) -> int:
    engine = engine_for(args)
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


def cmd_compare(args, engine_for) -> int:
    from anfragen.evaluation.compare import CompareOptions, compare

    opts = CompareOptions(configs=args.configs, queries=args.queries, k=args.k,
                          baseline_index=args.baseline_index, out=args.out)
    with Bar() as bar:
        md, paths = compare(engine_for(args), opts, bar)
    print(md, end="")
    print("geschrieben: " + ", ".join(str(p) for p in paths))
    return 0


def cmd_check(args, engine_for) -> int:
    """Fail when a dev score dropped by more than the tolerance stated in expected.json."""
    from anfragen.evaluation.check import check_expected, load_expected

    expected = load_expected(args.expected)
    lines = check_expected(engine_for(args), expected, args.queries)
    for line in lines:
        print(line.text())
    failed = sum(not line.ok for line in lines)
    print(f"eval-check: {len(lines) - failed} passed, {failed} failed")
    return 1 if failed else 0


def cmd_calibrate(args, engine_for) -> int:
    from anfragen.evaluation.calibrate import calibrate

    result = calibrate(engine_for(args), args.queries, args.mode, write=args.write)
    print(f"Schwelle {result.threshold:.4f}: Enthaltung bei unbeantwortbaren "
          f"{result.abstention_rate:.3f}, falsche Enthaltung {result.false_abstention_rate:.3f} "
          f"({result.n} Fragen)")
    if result.written:
        print(f"geschrieben: {result.written}")
    return 0


def cmd_fit_rerank(args, engine_for) -> int:
    """The reranker on all files given (comma-separated), figures held out by document."""
    from anfragen.evaluation.rerank_fit import fit_rerank

    files = [Path(p) for p in str(args.queries).split(",") if p]
    if missing := [str(f) for f in files if not f.is_file()]:
        print(f"Fragensatz nicht gefunden: {', '.join(missing)} (--queries A.jsonl,B.jsonl)",
              file=sys.stderr)
        return 2
    fit_rerank(engine_for(args), files, args.write)
    return 0


def cmd_export(args, engine_for) -> int:
    from anfragen.evaluation.beir import export_beir

    q = args.queries  # eval/datasets/dev/queries.jsonl -> eval/beir/dev
    out = args.out or Path("eval/beir") / (q.parent.name if q.stem == "queries" else q.stem)
    counts = export_beir(Path(args.index), load_queries(args.queries), out)
    print(f"BEIR-Export nach {out}: {counts['queries']} Fragen, {counts['corpus']} Einheiten, "
          f"{counts['qrels']} Relevanzurteile")
    if counts["missing"]:
        print(f"Warnung: {len(counts['missing'])} relevante Einheiten fehlen im Index, z. B. "
              + ", ".join(counts["missing"][:5]), file=sys.stderr)
    return 0


def cmd_baseline(args, engine_for) -> int:
    from anfragen.evaluation.baseline import baseline_engine

    with Bar() as bar:
        engine, report = baseline_engine(engine_for(args), args.baseline_index, bar.update)
    print(report.summary() if report else f"Baseline-Index {engine.index_dir} ist aktuell.")
    for _path, why in report.failed if report else []:
        print(f"übersprungen: {why}", file=sys.stderr)
    return 0
