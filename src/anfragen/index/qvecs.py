"""Question vectors: the printed question of a unit under its document's title, embedded
without the answer, a second vector beside the chunk's (issue 13, step 1).

A chunk's vector mixes the contextual header, the question and a long answer; a citizen's
question is often closest to the printed question itself. Every chunk with a vector of its
own and a printed question gets that question's vector too (passage prompt, same model, the
same embedding cache), stored in SQLite (table `question_vectors`, float16) beside the chunk,
so that removing a document removes them in the same transaction and no second FAISS file
has to be kept in step. The dense leg of retrieval scores a chunk by the better of its two
cosines (retrieve.py); the flat FAISS index over them is built on first use (12,600 vectors:
about 20 MB float32, tens of milliseconds).
"""

from __future__ import annotations

import os

import numpy as np

from . import store
from .sentvecs import cached_vectors
from .vectors import VectorStore

BATCH = 512  # chunks read and written together, as ingest's batches
ENV = "ANFRAGEN_QUESTION_VECTORS"  # "1": an ingest stores them, "0": it drops them
DEFAULT = True  # on since 2026-12-02: evidence S@5 up on both dev files, no kind lower


def wanted() -> bool:
    """Whether an ingest stores question vectors (ANFRAGEN_QUESTION_VECTORS, else DEFAULT)."""
    value = os.environ.get(ENV, "")
    return value == "1" if value in ("0", "1") else DEFAULT


def embed_text(question_text: str | None, title: str | None) -> str:
    """What is embedded for a printed question: the document's title, a line break and the
    question (the question alone lost to it on both dev files: many printed questions only
    make sense under their title, "Wie viele waren es 2024?"); empty without a question."""
    question = (question_text or "").strip()
    return f"{(title or '').strip()}\n{question}".strip() if question else ""


def fill(conn, embedder, cache, embed_with_cache, embed_missing: bool = True,
         batch: int = BATCH) -> dict:
    """Store the question vectors of chunks that have none yet, `batch` chunks at a time;
    returns counts. Vectors come from the cache; missing ones are embedded only with
    `embed_missing`. `embed_with_cache(texts, embedder, cache)` is ingest's (passed in, so
    this module does not import ingest back)."""
    counts = {"questions": 0, "embedded": 0, "without_vector": 0}
    after = 0
    while part := store.chunks_without_question_vector(conn, after, batch):
        after = part[-1][0]
        items = [(cid, embed_text(q, t)) for cid, q, t in part if embed_text(q, t)]
        texts = list(dict.fromkeys(t for _, t in items))
        found, n = cached_vectors(texts, embedder, cache, embed_with_cache, embed_missing)
        counts["embedded"] += n
        pos = {t: i for i, t in enumerate(texts)}
        rows = [(cid, np.asarray(found[pos[t]], np.float16).tobytes())
                for cid, t in items if pos[t] in found]
        with conn:
            store.insert_question_vectors(conn, rows)
        counts["questions"] += len(rows)
        counts["without_vector"] += len(items) - len(rows)
    return counts


def load(conn, dim: int) -> VectorStore:
    """An exact FAISS index of every stored question vector, ids = chunk row ids."""
    vectors = VectorStore(dim)
    ids, blobs = store.question_vector_rows(conn)
    if ids:
        mat = np.frombuffer(b"".join(blobs), np.float16).reshape(len(ids), dim)
        vectors.add(ids, mat.astype(np.float32))
    return vectors


def all_vectors(conn) -> tuple[list[str], np.ndarray | None]:
    """(embedded texts, vectors) of every stored question vector, for the bundled cache."""
    seen: dict[str, bytes] = {}
    for question, title, vec in store.question_vector_texts(conn):
        seen.setdefault(embed_text(question, title), vec)
    if not seen:
        return [], None
    return list(seen), np.stack([np.frombuffer(v, np.float16) for v in seen.values()])
