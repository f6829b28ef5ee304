"""Calibrate the abstention threshold on a query file with unanswerable questions.

`anfragen eval calibrate --queries eval/datasets/dev/queries.jsonl --write` measures the answer
confidence of every query and picks the threshold that best separates answerable from
unanswerable ones (Youden's J, preferring false abstention <= 10 %), then writes it to
src/anfragen/calibration.json together with the figures it rests on.
"""

from __future__ import annotations

import json
from dataclasses import replace

from .answer import CALIBRATION_FILE, AnswerSettings, answer_from_hits
from .evaluate import load_queries
from .retrieve import RetrievalConfig


def confidences(engine, queries, mode: str) -> list[tuple[float, bool]]:
    open_settings = replace(AnswerSettings.load(), threshold=-1.0)
    rows = []
    for q in queries:
        hits = engine.search(q.text, RetrievalConfig(mode=mode, k=10))
        ans = answer_from_hits(q.text, hits, open_settings)
        rows.append((ans.confidence, q.answerable))
    return rows


def rates(rows: list[tuple[float, bool]], threshold: float) -> tuple[float, float]:
    """(abstention on unanswerable, false abstention on answerable) at a threshold."""
    un = [c for c, a in rows if not a]
    an = [c for c, a in rows if a]
    abst = sum(c < threshold for c in un) / len(un) if un else 0.0
    false = sum(c < threshold for c in an) / len(an) if an else 0.0
    return abst, false


def choose_threshold(rows: list[tuple[float, bool]], max_false: float = 0.10) -> float:
    """Threshold maximising abstention + answering; those within max_false preferred."""
    values = sorted({c for c, _ in rows})
    cands = [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)] or [0.0]

    def key(t: float) -> tuple:
        abst, false = rates(rows, t)
        return (false <= max_false, abst - false, -t)

    return max(cands, key=key)


def calibrate(args, engine) -> int:
    """The answerability model on all files given (comma-separated, answerability_fit.py),
    then the cosine threshold of bare-hits use on the first one."""
    from pathlib import Path

    from .answerability_fit import calibrate_answerability

    files = [Path(p) for p in str(args.queries).split(",") if p]
    calibrate_answerability(engine, files, args.mode, args.write)
    args = type(args)(**{**vars(args), "queries": files[0]})
    queries = load_queries(args.queries)
    rows = confidences(engine, queries, args.mode)
    t = choose_threshold(rows)
    abst, false = rates(rows, t)
    print(f"Schwelle {t:.4f}: Enthaltung bei unbeantwortbaren {abst:.3f}, "
          f"falsche Enthaltung {false:.3f} ({len(rows)} Fragen)")
    if args.write:
        data = json.loads(CALIBRATION_FILE.read_text()) if CALIBRATION_FILE.is_file() else {}
        data.update({
            "threshold": round(t, 4),
            "calibrated_on": str(args.queries),
            "mode": args.mode,
            "abstention_rate": round(abst, 4),
            "false_abstention_rate": round(false, 4),
            "command": f"anfragen eval calibrate --queries {args.queries} --mode {args.mode} "
                       "--write",
        })
        CALIBRATION_FILE.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        print(f"geschrieben: {CALIBRATION_FILE}")
    return 0
