"""Test indexes of any size made by replicating an existing one (for `anfragen bench --scale`).

Copy k of every document gets the doc id "<doc_id>~r<k>"; its chunks keep their text, their
FTS bodies are copied with INSERT ... SELECT (no re-analysis), and their vectors are the real
ones plus Gaussian noise, re-normalised.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np

from . import store
from .directory import DB_NAME, MANIFEST_NAME, Index
from .vectors import VectorStore


def source_ids(src: Index) -> tuple[list[int], int]:
    """Ids of the chunks with a vector of their own, and the id offset between copies."""
    vec_ids = [i for i, _ in store.dense_chunk_texts(src.conn)]
    offset = src.conn.execute("SELECT max(id) FROM chunks").fetchone()[0] + 1
    return vec_ids, offset


def copy_sql(src_db: Path, dest_db: Path, copies: int, offset: int) -> None:
    """Documents, chunks and FTS rows `copies` times; copy k >= 1 under "<doc_id>~r<k>"."""
    conn = store.connect(dest_db)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("ATTACH DATABASE ? AS src", (str(src_db),))
    docs = _select_list(conn, "documents", {"doc_id": "doc_id || :sfx"})
    chunks = _select_list(conn, "chunks", {
        "id": "id + :off", "doc_id": "doc_id || :sfx", "vec_id": "vec_id + :off",
        "chunk_id": "doc_id || :sfx || substr(chunk_id, length(doc_id) + 1)"})
    with conn:
        for k in range(copies):
            p = {"sfx": f"~r{k}" if k else "", "off": k * offset}
            conn.execute(f"INSERT INTO documents {docs} FROM src.documents", p)
            conn.execute(f"INSERT INTO chunks {chunks} FROM src.chunks", p)
            conn.execute("INSERT INTO chunks_fts(rowid, body) "
                         "SELECT rowid + :off, body FROM src.chunks_fts", p)
    conn.execute("DETACH DATABASE src")
    store.refresh_term_rows(conn, force=True)
    conn.close()


def _select_list(conn: sqlite3.Connection, table: str, exprs: dict[str, str]) -> str:
    cols = [r[1] for r in conn.execute(f"PRAGMA src.table_info({table})")]
    quoted = [f'"{c}"' for c in cols]
    return f"({', '.join(quoted)}) SELECT " + ", ".join(exprs.get(c, q)
                                                       for c, q in zip(cols, quoted,
                                                                       strict=True))


def replicate_vectors(src: VectorStore, vec_ids: list[int], copies: int, offset: int,
                      sigma: float, seed: int = 0) -> VectorStore:
    """Exact store: copy 0 = the real vectors, copy k = real + N(0, sigma^2), re-normalised."""
    ids = np.asarray(vec_ids, dtype=np.int64)
    base = src.index.reconstruct_batch(ids) if len(ids) else np.zeros((0, src.dim), "f4")
    rng = np.random.default_rng(seed)
    out = VectorStore(src.dim)
    for k in range(copies):
        vecs = base
        if k:
            vecs = base + rng.standard_normal(base.shape, dtype=np.float32) * sigma
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        out.add(ids + k * offset, vecs)
    return out


def write_manifest(root: Path, src: Index, vectors: VectorStore, copies: int) -> dict:
    conn = store.connect(root / DB_NAME)
    counts = {"documents": conn.execute("SELECT count(*) FROM documents").fetchone()[0],
              "chunks": conn.execute("SELECT count(*) FROM chunks").fetchone()[0],
              "vectors": vectors.ntotal}
    conn.close()
    manifest = {**src.manifest, "vectors": vectors.describe(), "counts": counts,
                "scaled_from": {"index": str(src.root), "copies": copies}}
    (root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return counts


def link_or_copy(a: Path, b: Path) -> None:
    try:
        os.link(a, b)
    except OSError:
        shutil.copy2(a, b)
