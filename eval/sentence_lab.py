"""Issue 13, step 1 with the answer's parts: the sentence vectors the answer stage already
stores (table `sentences`, made at ingest from the bundled cache) as extra dense vectors per
chunk, scored by their best, measured in the adapter lab's setting (the real hybrid ranking
at depth 100, folds by document, both dev files).

    nice -n 19 env PYTHONPATH=src .venv/bin/python eval/sentence_lab.py --index index \
        --queries eval/datasets/dev/queries.jsonl eval/datasets/dev/queries_b.jsonl \
        --out eval/results/retrieval-sentences-<date>.json

A chunk's dense score becomes c' = c + share * max(0, s - c - offset), s its best sentence
cosine, applied after the question-vector lift (retrieve.lift, the same rule); share and
offset are chosen by cross-validation on the other folds. Sentences without a stored vector
(about a fifth) lift nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import adapter_lab as al  # noqa: E402  (eval/ is no package; the lab's scoring is reused)
import retrieval_lab as lab  # noqa: E402

from anfragen.retrieve import lift  # noqa: E402

SHARES = (0.25, 0.5, 0.75, 1.0)
OFFSETS = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05)  # 0.02 was the first grid's edge


class SentenceVectors:
    """All stored sentence vectors as one matrix, grouped by chunk row id."""

    def __init__(self, conn):
        rows = conn.execute("SELECT c.id, s.vec FROM sentences s JOIN chunks c "
                            "ON c.chunk_id = s.chunk_id ORDER BY c.id").fetchall()
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.m = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16) \
            .reshape(len(rows), -1).astype(np.float32)
        self.starts = np.flatnonzero(np.r_[True, self.ids[1:] != self.ids[:-1]])
        self.chunk = self.ids[self.starts]

    def best(self, qvec: np.ndarray, depth: int) -> list[tuple[int, float]]:
        """(chunk id, best sentence cosine) of the `depth` chunks with the best sentence."""
        per_chunk = np.maximum.reduceat(self.m @ qvec, self.starts)
        top = np.argpartition(-per_chunk, depth)[:depth]
        return sorted(((int(self.chunk[i]), float(per_chunk[i])) for i in top),
                      key=lambda p: (-p[1], p[0]))


def lifted(dense: list[tuple[int, float]], sents: list[tuple[int, float]], share: float,
           offset: float) -> list[tuple[int, float]]:
    return lift(dense, [(i, s - offset) for i, s in sents], share, al.DEPTH)


def tables(lb: al.Lab, sv: SentenceVectors) -> tuple[dict, dict]:
    idx = lb.engine.index
    legs = {al.key(d): (al.dense_leg(idx, d.qvec), sv.best(d.qvec, al.DEPTH)) for d in lb.devs}
    table = {}
    for share in SHARES:
        for off in OFFSETS:
            table[f"share={share},offset={off}"] = {
                al.key(d): lb.scorer._metrics(d.case, al.fuse(
                    idx, d, lifted(*legs[al.key(d)], share, off))) for d in lb.devs}
    return table, legs


def latency(lb: al.Lab, sv: SentenceVectors, rounds: int = 3) -> dict:
    """Added time of the sentence search per query (matrix product and per-chunk max)."""
    times = []
    for _ in range(rounds):
        for d in lb.devs:
            t0 = time.perf_counter()
            sv.best(d.qvec, al.DEPTH)
            times.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(al.pct(times, 50), 2), "p95_ms": round(al.pct(times, 95), 2),
            "vectors": int(len(sv.ids)), "chunks": int(len(sv.chunk)),
            "memory_mb_float32": round(sv.m.nbytes / 2**20, 1)}


def main() -> None:
    from anfragen.pipeline import Engine

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--qcache", type=Path, default=Path("/tmp/sentence-lab-devq.pkl"))
    args = ap.parse_args()
    engine = Engine.open(args.index)
    devs = al.dev_cases(engine, args.queries, args.qcache)
    lb = al.Lab(engine, devs, None)
    sv = SentenceVectors(engine.index.conn)
    base = lb.score(lambda d: d.qvec)
    result = {"provenance": lab.provenance(engine), "command": " ".join(sys.argv),
              "base": al.per_file(devs, args.queries, base)}
    table, _ = tables(lb, sv)
    al.report(result, "sentences", devs, args.queries, base, table)
    result["latency"] = latency(lb, sv)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print("sentences", json.dumps(result["sentences"]["cv"]["per_file"]))
    print("chosen", json.dumps(result["sentences"]["cv"]["chosen"]))
    print("base", json.dumps(result["base"]))
    print("latency", json.dumps(result["latency"]))


if __name__ == "__main__":
    main()
