"""`anfragen parse-report DIR`: how well each parser family does on a corpus folder, how sure
each document's structure is (confidence, the rule that decided) and how fast parsing runs."""

from __future__ import annotations

import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from anfragen.errors import AnfragenError
from anfragen.models import Inquiry
from anfragen.parse import parse_document
from anfragen.read import iter_document_paths, read_with_sidecar

LOW_CONFIDENCE = 0.8


@dataclass
class FamilyStats:
    documents: int = 0
    with_qa: int = 0
    questions: int = 0
    printed: int = 0  # 1..max printed number, the numbers a reader expects
    missing: int = 0  # printed numbers not found
    answers: int = 0
    unanswered: int = 0
    joint: int = 0
    fallbacks: int = 0
    confidence_sum: float = 0.0
    low_confidence: int = 0  # documents whose structure confidence is below LOW_CONFIDENCE
    odd: list[str] = field(default_factory=list)

    def row(self) -> dict:
        d = self.__dict__.copy()
        d.pop("odd")
        d["mean_confidence"] = self.confidence_sum / self.documents if self.documents else 1.0
        d["found_rate"] = (self.printed - self.missing) / self.printed if self.printed else 1.0
        d["covered_rate"] = 1 - self.unanswered / self.questions if self.questions else 1.0
        d["qa_doc_rate"] = self.with_qa / self.documents if self.documents else 1.0
        return d


def add(stats: FamilyStats, inq: Inquiry) -> None:
    stats.documents += 1
    numbers = {q.number for q in inq.questions}
    answered = {n for a in inq.answers for n in a.questions}
    stats.with_qa += bool(numbers) and bool(inq.answers) and not inq.fallback
    stats.questions += len(numbers)
    top = max(numbers, default=0)
    stats.printed += top
    stats.missing += len(set(range(1, top + 1)) - numbers)
    stats.answers += len(inq.answers)
    stats.unanswered += len(numbers - answered)
    stats.joint += sum(len(a.questions) > 1 for a in inq.answers)
    stats.fallbacks += inq.fallback
    stats.confidence_sum += inq.confidence
    stats.low_confidence += inq.confidence < LOW_CONFIDENCE
    if inq.fallback or numbers - answered or len(numbers) < top or inq.confidence < LOW_CONFIDENCE:
        stats.odd.append(
            f"{inq.doc_id}: {len(numbers)}/{top} Fragen, ohne Antwort {sorted(numbers - answered)}"
            f", Regel {inq.rule}, Vertrauen {inq.confidence:.2f}"
            + (" (Fallback)" if inq.fallback else "")
        )


def collect(
    root: Path, docs: list[dict] | None = None
) -> tuple[dict[str, FamilyStats], list[str], list[str]]:
    """Stats per family; `docs` (when given) receives one row per document: doc_id, family,
    rule, confidence."""
    fams: dict[str, FamilyStats] = defaultdict(FamilyStats)
    unreadable, crashed = [], []
    sidecars: dict[Path, dict] = {}
    for path, base in iter_document_paths([root]):
        try:
            src = read_with_sidecar(path, base, sidecars)
        except AnfragenError as e:
            unreadable.append(str(e))
            continue
        try:
            inq = parse_document(src)
        except Exception:  # reported with its traceback; the report goes on
            crashed.append(f"{path}: {traceback.format_exc(limit=3)}")
            continue
        add(fams[inq.family], inq)
        if docs is not None:
            docs.append({"doc_id": inq.doc_id, "family": inq.family, "rule": inq.rule,
                         "confidence": inq.confidence})
    return fams, unreadable, crashed


@dataclass
class ParseReport:
    families: dict[str, FamilyStats]
    rows: dict[str, dict]  # family -> row(), plus "TOTAL"
    unreadable: list[str]
    crashed: list[str]

    docs: list[dict]  # per document: doc_id, family, rule, confidence
    timing: dict

    def as_json(self) -> dict:
        return {"families": self.rows, "unreadable": self.unreadable, "crashed": self.crashed,
                "documents": self.docs, "timing": self.timing}

    def details(self) -> list[str]:
        return ([f"  {name}: {line}" for name, s in sorted(self.families.items()) for line in s.odd]
                + [f"  {d['doc_id']}: {d['rule']} · Vertrauen {d['confidence']:.2f}"
                   for d in self.docs])

    def timing_line(self) -> str:
        t = self.timing
        return (f"Zeit (lesen und parsen): {t['seconds']} s für {len(self.docs)} Dokumente, "
                f"{t['documents_per_second']} Dokumente/s; Rechenzeit {t['cpu_seconds']} s, "
                f"{t['documents_per_cpu_second']} Dokumente/s")


def report_dir(root: Path) -> ParseReport:
    """Parse every document under `root` and count per family."""
    docs: list[dict] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    fams, unreadable, crashed = collect(Path(root), docs)
    timing = timing_of(len(docs), time.perf_counter() - started,
                       time.process_time() - cpu_started)
    total = FamilyStats()
    for s in fams.values():
        for k, v in s.__dict__.items():
            if k != "odd":
                setattr(total, k, getattr(total, k) + v)
    rows = {name: s.row() for name, s in sorted(fams.items())} | {"TOTAL": total.row()}
    return ParseReport(dict(fams), rows, unreadable, crashed, docs, timing)


def timing_of(n: int, wall: float, cpu: float) -> dict:
    """Wall time and this process's CPU time: on shared cores the CPU figure is the stable one."""
    return {"seconds": round(wall, 2), "documents_per_second": round(n / wall, 1) if wall else 0.0,
            "cpu_seconds": round(cpu, 2),
            "documents_per_cpu_second": round(n / cpu, 1) if cpu else 0.0}


def table_lines(rows: dict[str, dict]) -> list[str]:
    cols = ["documents", "with_qa", "questions", "missing", "answers", "unanswered", "joint",
            "fallbacks", "low_confidence", "qa_doc_rate", "found_rate", "covered_rate",
            "mean_confidence"]
    head = ["family"] + cols
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for name, r in rows.items():
        cells = [f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols]
        lines.append(" | ".join([name, *cells]))
    return lines
