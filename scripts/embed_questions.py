"""Embed the printed question of every unit once, for the question-vector experiment.

    PYTHONPATH=src python scripts/embed_questions.py --index index --out /tmp/qvecs.npz

Takes each QA chunk with a vector of its own whose printed question is not empty (preambles
carry only the label "Vorbemerkung ..." there), embeds the distinct question texts (with
--title: title, line break, question) as passages through the embedding cache (bundled
shards, then the user's cache, so a second run embeds nothing) and writes chunk ids and
vectors to --out. Prints the embedding time per 10,000 texts. The index itself stores
question vectors at ingest with ANFRAGEN_QUESTION_VECTORS=1 (index/qvecs.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from anfragen.embed.cache import EmbeddingCache
from anfragen.index.ingest import embed_with_cache
from anfragen.pipeline import Engine


def question_rows(engine: Engine, title: bool = False) -> list[tuple[int, str]]:
    """(chunk id, text) of every QA chunk with a vector of its own and a printed question;
    with `title` the text is the document's title, a line break and the question (the
    contextual header without parliament and Drucksache)."""
    chunks = engine.index.conn.execute(
        "SELECT c.id, c.question_text, d.title FROM chunks c JOIN documents d ON d.doc_id = "
        "c.doc_id WHERE c.vec_id = c.id AND c.kind NOT LIKE 'preamble%' AND "
        "coalesce(trim(c.question_text), '') != '' ORDER BY c.id").fetchall()
    return [(int(i), f"{(t or '').strip()}\n{q.strip()}".strip() if title else q.strip())
            for i, q, t in chunks]


def main() -> None:
    import torch

    # On a shared, oversubscribed machine torch's two spinning threads made one query
    # embedding take ~3 s instead of ~0.2 s; one thread is the honest speed here.
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default="index")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--title", action="store_true", help="title + question (header vector)")
    args = ap.parse_args()
    engine = Engine.open(args.index)
    rows = question_rows(engine, args.title)
    texts = sorted({q for _, q in rows})
    embedder = engine.get_embedder()
    t0 = time.perf_counter()
    vecs, n_new = embed_with_cache(texts, embedder, EmbeddingCache(embedder.fingerprint))
    dt = time.perf_counter() - t0
    by_text = dict(zip(texts, vecs, strict=True))
    ids = np.array([i for i, _ in rows], dtype=np.int64)
    out = np.stack([by_text[q] for _, q in rows]).astype(np.float16)
    np.savez(args.out, ids=ids, vecs=out)
    per10k = dt / max(n_new, 1) * 10_000
    print(f"{len(rows)} chunks, {len(texts)} distinct questions, {n_new} embedded in {dt:.0f} s "
          f"({per10k:.0f} s per 10,000 embedded), {out.nbytes / 2**20:.1f} MiB float16")


if __name__ == "__main__":
    main()
