"""`anfragen eval check`: the dev-set scores against eval/expected.json, with its tolerance.

Expected results live beside the command that produces them (STYLE.md, habit 9): the file
names the query set, the mode and the scores; a score may drop by at most the tolerance, a
false-abstention rate may rise by at most it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from anfragen.errors import AnfragenError

from .metrics import evaluate_config, load_queries


@dataclass(frozen=True)
class CheckLine:
    path: str  # e.g. "unit.recall@10"
    got: float | None
    bound: float
    upper: bool  # True: got must stay <= bound (false abstention)

    @property
    def ok(self) -> bool:
        if self.got is None:
            return False
        return self.got <= self.bound if self.upper else self.got >= self.bound

    def text(self) -> str:
        shown = "fehlt" if self.got is None else f"{self.got:.3f}"
        op = "<=" if self.upper else ">="
        mark = "OK  " if self.ok else "FAIL"
        return f"{mark} {self.path}: {shown} (erwartet {op} {self.bound:.3f})"


def load_expected(path: Path) -> dict:
    if not path.is_file():
        raise AnfragenError(f"{path} fehlt; Vorlage: eval/expected.example.json, "
                            "Werte aus einem echten Lauf (anfragen eval --json OUT) eintragen.")
    return json.loads(path.read_text(encoding="utf-8"))


def check_expected(engine, expected: dict, default_queries: Path) -> list[CheckLine]:
    """Evaluate the engine on the expected file's query set and compare every score."""
    queries = load_queries(Path(expected.get("queries", default_queries)))
    report, _ = evaluate_config(engine, queries, expected.get("mode", "hybrid"), 100)
    tol = float(expected.get("tolerance", 0.02))
    lines = []
    for path, want in flatten(expected["scores"]).items():
        upper = path.endswith("false_abstention_rate")
        lines.append(CheckLine(path, get_path(report["overall"], path),
                               want + tol if upper else want - tol, upper))
    return lines


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
