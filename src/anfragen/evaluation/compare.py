"""`anfragen eval compare`: several retrieval configurations on the same queries, one report.

Configurations: `bm25`, `dense`, `hybrid` run on the main index; `fixed-bm25`, `fixed-dense`,
`fixed-hybrid` on the fixed-size chunking baseline (baseline.py), built on first use;
`MODE@DIR` (e.g. `hybrid@/tmp/index-before`) on another existing index of the same model, to
compare what an index change (analyser, chunking) did on the same queries. The
first configuration named is the baseline of the paired significance tests (two-sided paired
Student's t-test from ranx on per-query unit nDCG@10 and MRR@10) and of the per-query
wins/losses. Writes `compare-<date>.md`, `.json` and `.png` (unit Recall@k, k = 1..100) with
commit, date, machine, model and index fingerprints.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from anfragen.errors import AnfragenError

from .metrics import Query, evaluate_config, load_queries, units_of_hits
from .report import provenance

CONFIGS = {
    "bm25": ("main", "bm25"), "dense": ("main", "dense"), "hybrid": ("main", "hybrid"),
    "fixed-bm25": ("fixed", "bm25"), "fixed-dense": ("fixed", "dense"),
    "fixed-hybrid": ("fixed", "hybrid"),
}
SIG_METRICS = ("ndcg@10", "mrr@10")
STAT_TEST = "student"
MAX_P = 0.05
CURVE_K = 100
DEFAULT_OUT = Path("eval/results")


@dataclass(frozen=True)
class CompareOptions:
    configs: str = "bm25,dense,hybrid"  # comma-separated names of CONFIGS; the first is the base
    queries: Path = Path("eval/datasets/dev/queries.jsonl")
    k: int = 100
    baseline_index: str | None = None  # None: <index>-fixed
    out: Path | None = None  # None: eval/results


class Reporter(Protocol):
    """What the comparison reports progress to (cli.progress.Bar)."""

    def update(self, phase: str, done: int, total: int) -> None: ...

    def status(self, message: str) -> None: ...


@dataclass
class ConfigRun:
    name: str
    report: dict  # evaluate_config's report
    units: dict[str, list[str]]  # query id -> ranked unit ids, full depth


def target(name: str) -> tuple[str, str]:
    """(where, mode) of a configuration name: an entry of CONFIGS or `MODE@DIR`."""
    if name in CONFIGS:
        return CONFIGS[name]
    mode, _, where = name.partition("@")
    if where and mode in ("bm25", "dense", "hybrid"):
        return f"dir:{where}", mode
    raise KeyError(name)


def parse_configs(spec: str) -> list[str]:
    names = list(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))
    unknown = [n for n in names if not _known(n)]
    if unknown or not names:
        raise AnfragenError(f"Unbekannte Konfiguration(en) {', '.join(unknown) or '(keine)'}; "
                            f"erlaubt: {', '.join(CONFIGS)} oder MODUS@INDEXORDNER.")
    return names


def _known(name: str) -> bool:
    try:
        target(name)
    except KeyError:
        return False
    return True


# -- running ------------------------------------------------------------------------------

def run_configs(names: list[str], main, queries: list[Query], opts: CompareOptions,
                bar: Reporter) -> tuple[list, dict]:
    """Evaluate every configuration; returns the runs and the baseline index's provenance."""
    engines, runs, extra = {"main": main}, [], {}
    for name in names:
        where, mode = target(name)
        if where not in engines and where.startswith("dir:"):
            engines[where] = other_engine(main, Path(where[4:]))
        elif where not in engines:
            engines[where], extra = fixed_engine(main, opts, bar)
        report, hits = evaluate_config(
            engines[where], queries, mode, opts.k,
            lambda phase, done, total, name=name: bar.update(name, done, total),
        )
        units = {qid: units_of_hits(h)[0] for qid, h in hits.items()}
        runs.append(ConfigRun(name, report, units))
    return runs, extra


def other_engine(main, root: Path):
    """An engine over another existing index, sharing the main engine's embedder."""
    from anfragen.pipeline import Engine

    if not (root / "manifest.json").is_file():
        raise AnfragenError(f"Kein Index in {root} (manifest.json fehlt); den Ordner nach @ "
                            "prüfen oder den Index zuerst mit `anfragen ingest` bauen.")
    return Engine.open(root, main.model, embedder=main.get_embedder(), settings=main.settings)


def fixed_engine(main, opts: CompareOptions, bar: Reporter) -> tuple[object, dict]:
    from .baseline import baseline_engine

    engine, report = baseline_engine(main, opts.baseline_index, bar.update)
    if report is not None:
        bar.status(f"Baseline-Index {engine.index_dir} gebaut: {report.summary()}")
    m = engine.index.manifest
    return engine, {"baseline_index": str(engine.index_dir),
                    "baseline_index_fingerprint": m.get("corpus_fingerprint", "")[:16],
                    "baseline_chunker": m.get("chunker")}


# -- statistics ---------------------------------------------------------------------------

def judged(queries: list[Query]) -> list[Query]:
    return [q for q in queries if q.relevant]


def recall_curve(units: dict[str, list[str]], queries: list[Query], depth: int = CURVE_K):
    """Mean unit recall@k for k = 1..depth over the judged queries (as ranx computes it)."""
    qs = judged(queries)
    if not qs:
        return [0.0] * depth
    curve = [0.0] * depth
    for q in qs:
        rel, found = set(q.relevant), 0
        ranked = units.get(q.id, [])
        for k in range(depth):
            found += k < len(ranked) and ranked[k] in rel
            curve[k] += found / len(rel) / len(qs)
    return curve


def ranx_run(run: ConfigRun, qs: list[Query]):
    from ranx import Run

    d = {}
    for q in qs:
        ranked = run.units.get(q.id, [])
        d[q.id] = {u: float(len(ranked) - i) for i, u in enumerate(ranked)} or {"∅": 0.0}
    return Run(d, name=run.name)


def significance(runs: list[ConfigRun], queries: list[Query]) -> dict:
    """Per non-baseline config: p-value, significance and wins/ties/losses per metric."""
    qs = judged(queries)
    if len(runs) < 2 or not qs:
        return {}
    from ranx import Qrels, compare

    qrels = Qrels({q.id: {u: 1 for u in q.relevant} for q in qs})
    rep = compare(qrels, [ranx_run(r, qs) for r in runs], list(SIG_METRICS), stat_test=STAT_TEST,
                  max_p=MAX_P, make_comparable=True)
    base = runs[0].name
    out = {}
    for r in runs[1:]:
        out[r.name] = {}
        for m in SIG_METRICS:
            p = float(rep.comparisons[(base, r.name)][m]["p_value"])
            wtl = rep.win_tie_loss[(base, r.name)][m]  # W: the baseline scored higher
            out[r.name][m] = {"p_value": None if math.isnan(p) else p,
                              "significant": bool(not math.isnan(p) and p < MAX_P),
                              "wins": wtl["L"], "ties": wtl["T"], "losses": wtl["W"]}
    return out


def evidence_wins(runs: list[ConfigRun], queries: list[Query]) -> dict:
    """Per-query evidence success@5 against the baseline config."""
    def hits5(run: ConfigRun) -> dict[str, bool]:
        return {p["id"]: any(p["evidence_hits"][:5]) for p in run.report["per_query"]}

    ids = [q.id for q in queries if q.evidence]
    base = hits5(runs[0])
    out = {}
    for r in runs[1:]:
        mine = hits5(r)
        out[r.name] = {"wins": sum(mine[i] and not base[i] for i in ids),
                       "ties": sum(mine[i] == base[i] for i in ids),
                       "losses": sum(base[i] and not mine[i] for i in ids)}
    return out


# -- the result ---------------------------------------------------------------------------

def build_result(runs: list[ConfigRun], queries: list[Query], main, opts: CompareOptions,
                 extra: dict) -> dict:
    sig = significance(runs, queries)
    ev = evidence_wins(runs, queries)
    return {
        "provenance": {**provenance(main), **extra, "queries": str(opts.queries),
                       "k": opts.k},
        "n_queries": len(queries),
        "n_judged": len(judged(queries)),
        "baseline": runs[0].name,
        "configs": [r.name for r in runs],
        "test": {"name": "paired two-sided Student's t-test (ranx.compare)", "level": "unit",
                 "metrics": list(SIG_METRICS), "max_p": MAX_P},
        "comparison": {name: {**sig.get(name, {}), "evidence_success@5": ev.get(name)}
                       for name in (r.name for r in runs[1:])},
        "recall_curve": {r.name: recall_curve(r.units, queries) for r in runs},
        "abstention_curve": {r.name: abstention_curve(r.report["per_query"], queries)
                             for r in runs},
        "results": {r.name: {k: v for k, v in r.report.items() if k != "per_query"}
                    for r in runs},
        "per_query": per_query(runs, queries),
    }


def abstention_curve(per_query: list[dict], queries: list[Query]) -> dict:
    """Abstention on unanswerable and false abstention on answerable queries if the answer
    stage abstained below each threshold of its confidence; `at` is what it did."""
    answerable = {q.id: q.answerable for q in queries}
    conf = [(p.get("confidence", 0.0), answerable[p["id"]]) for p in per_query]
    un = [c for c, a in conf if not a]
    an = [c for c, a in conf if a]
    if not un or not an:
        return {"points": [], "at": None}
    cuts = sorted({c for c, _ in conf}) + [float("inf")]
    points = [(sum(c < t for c in an) / len(an), sum(c < t for c in un) / len(un))
              for t in cuts]
    did = [(p["abstained"], answerable[p["id"]]) for p in per_query]
    at = (sum(d for d, a in did if a) / len(an), sum(d for d, a in did if not a) / len(un))
    return {"points": points, "at": at}


def per_query(runs: list[ConfigRun], queries: list[Query]) -> list[dict]:
    """Compact per-query outcome of each config: rank of the first relevant unit (None when
    not in the ranking), evidence in the top 5, abstained."""
    rows = {q.id: {"id": q.id, "kind": q.kind} for q in queries}
    relevant = {q.id: set(q.relevant) for q in queries}
    for r in runs:
        for p in r.report["per_query"]:
            q, ranked, rel = rows[p["id"]], r.units.get(p["id"], []), relevant[p["id"]]
            first = next((i for i, u in enumerate(ranked, start=1) if u in rel), None)
            q[r.name] = {"first_relevant_rank": first,
                         "evidence@5": any(p["evidence_hits"][:5]),
                         "abstained": p["abstained"]}
    return list(rows.values())


def compare(main, opts: CompareOptions, bar: Reporter) -> tuple[str, list[Path]]:
    """Run every configuration on `main` (and its baseline index); returns the Markdown
    report and the files written."""
    names = parse_configs(opts.configs)
    queries = load_queries(opts.queries)
    if not queries:
        raise AnfragenError(f"{opts.queries} enthält keine Fragen.")
    runs, extra = run_configs(names, main, queries, opts, bar)
    result = build_result(runs, queries, main, opts, extra)
    return write_report(result, opts.out or DEFAULT_OUT, time.strftime("%Y-%m-%d-%H%M"))


# -- the report ---------------------------------------------------------------------------

COLUMNS = (  # (header, level, key)
    ("unit R@1", "unit", "recall@1"), ("unit R@5", "unit", "recall@5"),
    ("unit R@10", "unit", "recall@10"), ("unit MRR@10", "unit", "mrr@10"),
    ("unit nDCG@10", "unit", "ndcg@10"), ("doc R@10", "doc", "recall@10"),
    ("evidence S@5", "evidence", "success@5"), ("abstention", "answer", "abstention_rate"),
    ("false abstention", "answer", "false_abstention_rate"),
    ("grounded", "answer", "grounded_answer_rate"),
    ("quoted evidence", "answer", "quoted_evidence_rate"),
    ("lead evidence", "answer", "lead_evidence_rate"), ("p50 ms", "latency_ms", "p50"),
)
MARK = "†"


def cell(result: dict, name: str, level: str, key: str) -> str:
    value = result["results"][name]["overall"][level].get(key)
    if value is None:
        return "–"
    if level == "latency_ms":
        return f"{value:.0f}"
    sig = result["comparison"].get(name, {}).get(key, {})
    return f"{value:.3f}{MARK if level == 'unit' and sig.get('significant') else ''}"


def main_table(result: dict) -> list[str]:
    lines = ["| config | " + " | ".join(h for h, _, _ in COLUMNS) + " |",
             "|---" * (len(COLUMNS) + 1) + "|"]
    for name in result["configs"]:
        cells = [cell(result, name, level, key) for _, level, key in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def wtl(d: dict | None) -> str:
    return f"{d['wins']}/{d['ties']}/{d['losses']}" if d else "–"


def pval(d: dict | None) -> str:
    if not d or d.get("p_value") is None:
        return "–"
    return f"{d['p_value']:.3g}{MARK if d['significant'] else ''}"


def comparison_table(result: dict) -> list[str]:
    if not result["comparison"]:
        return []
    lines = [f"Per query against **{result['baseline']}** (wins/ties/losses of the row's config; "
             f"p from the {result['test']['name']}, {MARK} p < {result['test']['max_p']}):", "",
             "| config | nDCG@10 W/T/L | p nDCG@10 | MRR@10 W/T/L | p MRR@10 | "
             "evidence S@5 W/T/L |", "|---|---|---|---|---|---|"]
    for name, c in result["comparison"].items():
        lines.append(f"| {name} | {wtl(c.get('ndcg@10'))} | {pval(c.get('ndcg@10'))} | "
                     f"{wtl(c.get('mrr@10'))} | {pval(c.get('mrr@10'))} | "
                     f"{wtl(c.get('evidence_success@5'))} |")
    return lines


def kind_table(result: dict) -> list[str]:
    counts: dict[str, int] = {}
    for r in result["results"].values():
        counts.update({k: b["n"] for k, b in r["by_kind"].items() if b["evidence"] or b["unit"]})
    kinds = sorted(counts)
    if not kinds:
        return []
    lines = ["Unit R@10 / evidence S@5 by query kind ("
             + ", ".join(f"{k}: {counts[k]}" for k in kinds) + "):", "",
             "| config | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
    for name in result["configs"]:
        row = []
        for k in kinds:
            b = result["results"][name]["by_kind"].get(k, {})
            r10 = (b.get("unit") or {}).get("recall@10")
            s5 = (b.get("evidence") or {}).get("success@5")
            row.append(" / ".join("–" if v is None else f"{v:.2f}" for v in (r10, s5)))
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return lines


ANSWER_KEYS = (("abstention", "abstention_rate"), ("false abst.", "false_abstention_rate"),
               ("grounded", "grounded_answer_rate"), ("quoted ev.", "quoted_evidence_rate"),
               ("lead ev.", "lead_evidence_rate"))


def answer_kind_table(result: dict) -> list[str]:
    """The answer stage per query kind and configuration."""
    lines = ["Answer stage by query kind:", "",
             "| config | kind | n | " + " | ".join(h for h, _ in ANSWER_KEYS) + " |",
             "|---" * (len(ANSWER_KEYS) + 3) + "|"]
    for name in result["configs"]:
        for kind, b in sorted(result["results"][name]["by_kind"].items()):
            a = b.get("answer") or {}
            vals = ["–" if a.get(k) is None else f"{a[k]:.3f}" for _, k in ANSWER_KEYS]
            lines.append(f"| {name} | {kind} | {b['n']} | " + " | ".join(vals) + " |")
    return lines


def provenance_lines(result: dict) -> list[str]:
    p = result["provenance"]
    lines = [f"- commit `{p['commit'] or 'unknown'}`, {p['date']}, {p['machine']}, "
             f"Python {p['python']}",
             f"- model `{p['model']}` ({p['model_fingerprint']}), index fingerprint "
             f"`{p['index_fingerprint']}`, chunker `{json.dumps(p['chunker'])}`"]
    if "baseline_index" in p:
        lines.append(f"- fixed-size baseline `{p['baseline_index']}`, fingerprint "
                     f"`{p['baseline_index_fingerprint']}`, chunker "
                     f"`{json.dumps(p['baseline_chunker'])}`")
    lines.append(f"- queries `{p['queries']}`: {result['n_queries']} "
                 f"({result['n_judged']} with judged units); top {p['k']} chunks per query")
    lines.append(f"- command: `{p['command']}`")
    return lines


def markdown(result: dict, plot_name: str | None = None) -> str:
    parts = ["# Retrieval comparison", "", *provenance_lines(result), "", *main_table(result),
             "", f"{MARK}: differs from {result['baseline']} at p < {result['test']['max_p']} "
             "(unit level). Abstention: share of unanswerable queries answered with "
             "\"no answer\" (higher is better); false abstention: share of answerable ones "
             "(lower is better); grounded: share of answerable queries whose cited passages "
             "contain the evidence; quoted/lead evidence: share of answerable queries whose quoted "
             "sentences (the first one) contain an evidence excerpt or 60% of its tokens. "
             "p50: median latency of retrieval plus answer.", "",
             *comparison_table(result), "", *kind_table(result), "",
             *answer_kind_table(result)]
    if plot_name:
        parts += ["", f"![Unit Recall@k and the abstention trade-off]({plot_name})"]
    return "\n".join(parts) + "\n"


def write_plot(result: dict, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.5), dpi=120)
    FigureCanvasAgg(fig)
    ax, ax2 = fig.subplots(1, 2)
    for name, curve in result["recall_curve"].items():
        ax.plot(range(1, len(curve) + 1), curve, label=name, drawstyle="steps-post")
    ax.set_xscale("log")
    ax.set_xticks([1, 2, 5, 10, 20, 50, 100], labels=["1", "2", "5", "10", "20", "50", "100"])
    ax.set_ylim(0, 1)
    ax.set_xlabel("k (ranked units)")
    ax.set_ylabel("unit Recall@k")
    p = result["provenance"]
    ax.set_title(f"{result['n_judged']} judged queries · {p['model']} · {p['date'][:10]}",
                 fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend()
    plot_abstention(ax2, result.get("abstention_curve", {}))
    fig.tight_layout()
    fig.savefig(path)


def plot_abstention(ax, curves: dict) -> None:
    """Abstention (unanswerable) against false abstention (answerable) over thresholds."""
    for name, c in curves.items():
        if not c["points"]:
            continue
        xs, ys = zip(*c["points"], strict=True)
        line = ax.plot(xs, ys, label=name, drawstyle="steps-post")[0]
        if c["at"]:
            ax.plot(*c["at"], "o", color=line.get_color())
    ax.axvline(0.05, color="grey", lw=0.8, ls="--")
    ax.axhline(0.90, color="grey", lw=0.8, ls="--")
    ax.set_xlim(0, 0.5)
    ax.set_ylim(0, 1)
    ax.set_xlabel("false abstention (answerable queries)")
    ax.set_ylabel("abstention (unanswerable queries)")
    ax.set_title("abstention trade-off over thresholds (dot: shipped threshold)", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend()


def write_report(result: dict, out: Path, stamp: str) -> tuple[str, list[Path]]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"compare-{stamp}"
    png, md_path, js = base.with_suffix(".png"), base.with_suffix(".md"), base.with_suffix(".json")
    write_plot(result, png)
    md = markdown(result, png.name)
    md_path.write_text(md, encoding="utf-8")
    js.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return md, [md_path, js, png]
