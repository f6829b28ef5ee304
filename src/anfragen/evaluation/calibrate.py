"""Calibrate the abstention threshold on a query file with unanswerable questions.

`anfragen eval calibrate --queries eval/datasets/dev/queries.jsonl --write` measures the answer
confidence of every query and picks the threshold that best separates answerable from
unanswerable ones (Youden's J, preferring false abstention <= 10 %), then writes it to
src/anfragen/answer/calibration.json (from an installed wheel: calibration.json in the user data
directory, anfragen.paths) together with the figures it rests on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from anfragen import paths
from anfragen.answer.extractive import AnswerSettings, answer_from_hits
from anfragen.retrieve import RetrievalConfig

from .metrics import load_queries


def confidences(engine, queries, mode: str) -> list[tuple[float, bool]]:
    open_settings = replace(AnswerSettings.load(), threshold=-1.0)
    from .metrics import held_out_rerankers, held_out_search

    rerankers = held_out_rerankers(engine)
    rows = []
    for q in queries:
        hits = held_out_search(engine, q.text, RetrievalConfig(mode=mode, k=10), rerankers)
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


@dataclass(frozen=True)
class Calibration:
    threshold: float
    abstention_rate: float
    false_abstention_rate: float
    n: int
    written: Path | None = None


def calibrate(engine, queries_path: Path, mode: str = "hybrid", write: bool = False,
              target: Path | None = None) -> Calibration:
    """The answerability model on all files given (comma-separated, answerability_fit.py),
    then the cosine threshold of bare-hits use on the first one; with `write`, both are stored
    (the threshold in `target`, default: the package's calibration.json in a checkout, else
    the user data directory)."""
    from .answerability_fit import calibrate_answerability

    target = target or paths.calibration_target()
    files = [Path(p) for p in str(queries_path).split(",") if p]
    calibrate_answerability(engine, files, mode, write)
    queries_path = files[0]
    queries = load_queries(queries_path)
    rows = confidences(engine, queries, mode)
    t = choose_threshold(rows)
    abst, false = rates(rows, t)
    if write:
        data = json.loads(target.read_text()) if target.is_file() else {}
        data.update({
            "threshold": round(t, 4),
            "calibrated_on": str(queries_path),
            "mode": mode,
            "abstention_rate": round(abst, 4),
            "false_abstention_rate": round(false, 4),
            "command": f"anfragen eval calibrate --queries {queries_path} --mode {mode} "
                       "--write",
        })
        target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return Calibration(t, abst, false, len(rows), target if write else None)
