"""Ingest: files -> parse -> chunk -> embed (cache first) -> SQLite + FAISS, in batches.

Unchanged files (same content hash) cost nothing; changed ones are replaced; with `prune`,
documents whose files are gone are dropped. Everything happens in a temporary copy of the
index that is swapped in at the end (see index.py).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import ann, store
from .chunk import ChunkerSettings, chunks_of
from .embcache import EmbeddingCache
from .errors import AnfragenError
from .index import (
    DB_NAME,
    MANIFEST_NAME,
    VEC_NAME,
    Index,
    corpus_fingerprint,
    discard_stale_work_dirs,
    finish_work_dir,
    load_vectors,
    new_manifest,
    prepare_work_dir,
    recover_interrupted_swap,
)
from .models import Chunk, Inquiry
from .parse import parse_document
from .read import iter_document_paths, read_with_sidecar
from .vectors import VectorStore

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class IngestReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    chunks_added: int = 0
    chunks_total: int = 0
    vectors_total: int = 0
    embedded: int = 0
    from_cache: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"Dokumente: {self.added} neu, {self.changed} geändert, {self.unchanged} unverändert, "
            f"{self.removed} entfernt, {len(self.failed)} fehlgeschlagen; "
            f"Chunks: {self.chunks_added} neu, {self.chunks_total} insgesamt "
            f"({self.embedded} eingebettet, {self.from_cache} aus dem Cache); "
            f"{self.seconds:.1f} s"
        )


@dataclass
class _Pending:
    inq: Inquiry
    content_hash: str
    chunks: list[Chunk]
    replaces: bool


@dataclass
class _Batch:
    items: list[_Pending] = field(default_factory=list)

    @property
    def n_chunks(self) -> int:
        return sum(len(p.chunks) for p in self.items)


def ingest(
    paths: list[Path],
    root: Path,
    embedder,
    settings: ChunkerSettings | None = None,
    rebuild: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    cache: EmbeddingCache | None = None,
    batch_chunks: int = 512,
) -> IngestReport:
    """Bring the index at `root` up to date with the documents under `paths`."""
    settings = settings or ChunkerSettings()
    root = Path(root)
    t0 = time.perf_counter()
    recover_interrupted_swap(root)
    discard_stale_work_dirs(root)
    if not rebuild and (root / MANIFEST_NAME).is_file():
        old = Index.open(root)
        old.check_compatible(embedder.fingerprint, settings)
        old.close()
    work = prepare_work_dir(root, rebuild)
    try:
        report, vectors = _ingest_into(work, paths, embedder, settings, prune, progress, cache,
                                       batch_chunks)
        publish(work, root, embedder, settings, report.vectors_total, vectors=vectors)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    report.seconds = time.perf_counter() - t0
    return report


def publish(work: Path, root: Path, embedder, settings, n_vectors: int,
            extra: dict | None = None, vectors: VectorStore | None = None) -> None:
    """Choose the vector layout for the final size (exact or IVF-SQ8, see ann.py), write the
    manifest (model, chunker, vectors, corpus fingerprint, counts) and swap `work` in."""
    vectors = settle_vectors(work, embedder.dim, vectors)
    manifest = new_manifest(embedder.model_id, embedder.fingerprint, embedder.dim, settings,
                            vectors.describe())
    conn = store.connect(work / DB_NAME)
    manifest["corpus_fingerprint"] = corpus_fingerprint(conn)
    manifest.update(extra or {})
    manifest["counts"] = {**Index(work, conn, VectorStore(embedder.dim), manifest).counts(),
                          "vectors": n_vectors}
    conn.close()
    finish_work_dir(work, root, manifest)


def settle_vectors(work: Path, dim: int, vectors: VectorStore | None) -> VectorStore:
    """Switch exact <-> approximate when the size crossed the threshold; saves on a switch."""
    if vectors is None:
        vectors = load_vectors(work, dim)
    vectors, changed = ann.settle(vectors)
    if changed:
        vectors.save(work / VEC_NAME)
    return vectors


def _ingest_into(work, paths, embedder, settings, prune, progress, cache, batch_chunks):
    conn = store.connect(work / DB_NAME)
    vec_path = work / VEC_NAME
    vectors = load_vectors(work, embedder.dim)
    cache = cache or EmbeddingCache(embedder.fingerprint)
    known = store.document_hashes(conn)
    report = IngestReport()
    files = list(iter_document_paths([Path(p) for p in paths]))
    sidecars: dict[Path, dict] = {}
    batch = _Batch()
    for i, (path, base) in enumerate(files):
        pending = _read_one(path, base, known, sidecars, settings, report)
        if pending is not None:
            batch.items.append(pending)
        if batch.n_chunks >= batch_chunks:
            _write_batch(conn, vectors, batch, embedder, cache, report, progress)
            batch = _Batch()
        if progress:
            progress("read", i + 1, len(files))
    _write_batch(conn, vectors, batch, embedder, cache, report, progress)
    if prune:
        report.removed = _prune(conn, vectors)
    report.chunks_total = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    report.vectors_total = vectors.ntotal
    vectors.save(vec_path)
    conn.close()
    return report, vectors


def _read_one(path, base, known, sidecars, settings, report) -> _Pending | None:
    try:
        src = read_with_sidecar(path, base, sidecars)
    except AnfragenError as e:
        report.failed.append((str(path), str(e)))
        return None
    if known.get(src.doc_id) == src.content_hash:
        report.unchanged += 1
        return None
    try:
        inq = parse_document(src)
        chunks = chunks_of(inq, settings)
    except Exception as e:  # a parser bug must not stop the other files
        report.failed.append((str(path), f"Parser-Fehler {e.__class__.__name__}: {e}"))
        return None
    if inq.fallback:
        report.fallbacks.append(src.doc_id)
    replaces = src.doc_id in known
    report.changed += replaces
    report.added += not replaces
    return _Pending(inq, src.content_hash, chunks, replaces)


def embed_with_cache(
    texts: list[str], embedder, cache: EmbeddingCache, progress: Progress | None = None
) -> tuple[np.ndarray, int]:
    """Vectors for texts, embedding only those no cache holds; returns (vectors, n_embedded)."""
    keys, found = cache.lookup(texts)
    missing = [i for i in range(len(texts)) if i not in found]
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, v in found.items():
        out[i] = v.astype(np.float32)
    step = 128  # stored after each slice: an interrupted ingest keeps what it embedded
    for start in range(0, len(missing), step):
        part = missing[start : start + step]

        def tick(n: int, done_before: int = start) -> None:
            if progress:
                progress("embed", done_before + n, len(missing))

        new = embedder.embed_passages([texts[i] for i in part], progress=tick)
        out[part] = new
        cache.store([keys[i] for i in part], new)
    return out, len(missing)


def _write_batch(conn, vectors, batch, embedder, cache, report, progress) -> None:
    if not batch.items:
        return
    texts = [c.text for p in batch.items for c in p.chunks if c.dense]
    vecs, n_embedded = embed_with_cache(texts, embedder, cache, progress)
    report.embedded += n_embedded
    report.from_cache += len(texts) - n_embedded
    offset = 0
    with conn:
        for p in batch.items:
            if p.replaces:
                vectors.remove(store.delete_document(conn, p.inq.doc_id))
            ids = store.insert_document(conn, p.inq, p.content_hash, p.chunks)
            dense_ids = [i for i, c in zip(ids, p.chunks, strict=True) if c.dense]
            vectors.add(dense_ids, vecs[offset : offset + len(dense_ids)])
            offset += len(dense_ids)
            report.chunks_added += len(ids)


def _prune(conn, vectors) -> int:
    gone = [
        doc_id
        for doc_id, path in conn.execute("SELECT doc_id, path FROM documents")
        if not Path(path).exists()
    ]
    with conn:
        for doc_id in gone:
            vectors.remove(store.delete_document(conn, doc_id))
    return len(gone)
