"""Ingest: files -> parse -> chunk -> embed (cache first) -> SQLite + FAISS, in batches.

Unchanged files (same content hash) cost nothing; changed ones are replaced; with `prune`,
documents whose files are gone are dropped. Everything happens in a temporary copy of the
index that is swapped in at the end (see directory.py).

Memory stays bounded however many files there are: files are read, parsed and chunked one at
a time and written in batches of about `batch_chunks` chunks (SQLite commits each batch), so
only one batch of documents is held at once; what grows with the corpus is the vector index
itself (1.5 kB per vector before it turns approximate, see ann.py).

Interrupted ingests resume. The vectors are saved to the work directory at least every
`checkpoint_s` seconds and on Ctrl-C; embeddings are stored in the cache per model batch as
they are made. The next ingest of the same kind takes the abandoned work directory over,
reconciles it (SQLite may be ahead of the last saved vectors: the missing vectors come from
the cache) and skips every document already in it.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from anfragen.chunk import ChunkerSettings, chunks_of
from anfragen.embed.base import usable_cores
from anfragen.embed.cache import EmbeddingCache
from anfragen.errors import AnfragenError
from anfragen.models import Chunk, Inquiry, SourceDoc
from anfragen.parse import PARSER_VERSION, parse_document
from anfragen.parse.instructions import instruction_sentences
from anfragen.read import iter_document_paths, read_with_sidecar

from . import ann, health, qvecs, store
from .directory import (
    DB_NAME,
    MANIFEST_NAME,
    VEC_NAME,
    Index,
    check_analyzer,
    check_manifest,
    claim_abandoned_work_dir,
    corpus_fingerprint,
    discard_stale_work_dirs,
    finish_work_dir,
    load_vectors,
    new_manifest,
    prepare_work_dir,
    read_manifest,
    recover_interrupted_swap,
    work_identity,
    write_checkpoint,
)
from .lock import DEFAULT_WAIT_S, describe, writer_lock
from .sentences import SPLIT_VERSION
from .vectors import VectorStore

Progress = Callable[[str, int, int], None]  # (phase, done, total)
BATCH_CHUNKS = 512  # chunks embedded and committed together
CHECKPOINT_VECTORS = 32  # embeddings cached together when the embedder names no batch size
# Reading and parsing run in worker processes while this one writes (analysis for FTS, SQLite,
# vectors): on 2 cores one worker. Below PARALLEL_MIN_FILES files starting a worker costs more
# than it saves. READ_WORKERS_ENV sets the number (0: all in this process).
READ_WORKERS_ENV = "ANFRAGEN_READ_WORKERS"
PARALLEL_MIN_FILES = 64
READ_AHEAD = 32  # documents parsed ahead of the writer at most, so memory stays bounded


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
    resumed: int = 0  # documents taken over from an interrupted ingest
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # shown to the user, not fatal
    sentences: dict = field(default_factory=dict)  # sentence vectors stored (sentvecs.py)
    questions: dict = field(default_factory=dict)  # question vectors stored (qvecs.py)

    def summary(self) -> str:
        carried = (f"Unterbrochenen Lauf fortgesetzt ({self.resumed} Dokumente übernommen). "
                   if self.resumed else "")
        return carried + (
            f"Dokumente: {self.added} neu, {self.changed} geändert, {self.unchanged} unverändert, "
            f"{self.removed} entfernt, {len(self.failed)} fehlgeschlagen; "
            f"Chunks: {self.chunks_added} neu, {self.chunks_total} insgesamt "
            f"({self.embedded} eingebettet, {self.from_cache} aus dem Cache); "
            + (f"Fragenvektoren: {self.questions['questions']} neu "
               f"({self.questions['embedded']} eingebettet); " if self.questions else "")
            + (f"Satzvektoren: {self.sentences['sentences']} neu "
               f"({self.sentences['embedded']} eingebettet"
               + (f", neu geteilt: {self.sentences['resplit']} alte ersetzt"
                  if self.sentences.get("resplit") else "") + "); "
               if self.sentences.get("sentences") else "")
            + f"{self.seconds:.1f} s"
        )


@dataclass
class Pending:
    """A parsed, chunked document waiting for its batch to be embedded and written."""

    inq: Inquiry
    content_hash: str
    chunks: list[Chunk]
    replaces: bool


@dataclass
class Batch:
    items: list[Pending] = field(default_factory=list)

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
    batch_chunks: int | None = None,
    checkpoint_s: float = 300.0,
    lock_wait_s: float = DEFAULT_WAIT_S,
    sentence_vectors: bool = True,
) -> IngestReport:
    """Bring the index at `root` up to date with the documents under `paths`, holding the
    index's writer lock throughout (a second writer waits `lock_wait_s`, then is refused)."""
    stale: list[str] = []
    with writer_lock(Path(root), lock_wait_s,
                     on_stale=lambda h: stale.append(describe(h))):
        report = _ingest_locked(paths, Path(root), embedder, settings, rebuild, prune,
                                progress, cache, batch_chunks, checkpoint_s, sentence_vectors)
    report.warnings[:0] = [f"Sperre des abgebrochenen Laufs von {h} übernommen."
                           for h in stale]
    return report


def _ingest_locked(paths, root: Path, embedder, settings, rebuild, prune, progress, cache,
                   batch_chunks, checkpoint_s, sentence_vectors=True) -> IngestReport:
    settings = settings or ChunkerSettings()
    batch_chunks = batch_chunks or BATCH_CHUNKS
    t0 = time.perf_counter()
    recover_interrupted_swap(root, locked=True)
    base = None  # the live index's manifest; its vectors need not be loaded to check it
    if not rebuild and (root / MANIFEST_NAME).is_file():
        base = read_manifest(root)
        check_manifest(base, root, embedder.fingerprint, settings)
        check_analyzer(base, root)
    identity = work_identity(root, base, embedder.fingerprint, settings)
    work = claim_abandoned_work_dir(root, identity)
    discard_stale_work_dirs(root, keep=work)
    resumed = work is not None
    if work is None:
        work = prepare_work_dir(root, rebuild)
        write_checkpoint(work, identity, vectors_saved=None)
    run = IngestRun(work, identity, embedder, cache or EmbeddingCache(embedder.fingerprint),
               progress, checkpoint_s, sentence_vectors=sentence_vectors)
    try:
        report, vectors = _ingest_into(run, paths, settings, prune, batch_chunks, resumed)
        warning = publish(work, root, embedder, settings, report.vectors_total, vectors=vectors)
        report.warnings.extend([warning] if warning else [])
    except (KeyboardInterrupt, SystemExit):
        raise  # the work directory stays, with its checkpoint: the next ingest continues it
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    report.seconds = time.perf_counter() - t0
    return report


@dataclass
class IngestRun:
    """One ingest's fixed parts, and when its vectors were last saved."""

    work: Path
    identity: dict
    embedder: object
    cache: EmbeddingCache
    progress: Progress | None
    checkpoint_s: float
    last_saved: float = field(default_factory=time.monotonic)
    sentence_vectors: bool = True  # embed sentence vectors the cache lacks

    def checkpoint(self, vectors: VectorStore, force: bool = False) -> None:
        if not force and time.monotonic() - self.last_saved < self.checkpoint_s:
            return
        vectors.save(self.work / VEC_NAME)
        write_checkpoint(self.work, self.identity, vectors_saved=vectors.ntotal)
        self.last_saved = time.monotonic()


def publish(work: Path, root: Path, embedder, settings, n_vectors: int,
            extra: dict | None = None, vectors: VectorStore | None = None) -> str | None:
    """Choose the vector layout for the final size (exact or IVF, see ann.py), write the
    manifest (model, chunker, vectors, corpus fingerprint, counts) and swap `work` in."""
    vectors = settle_vectors(work, embedder.dim, vectors)
    manifest = new_manifest(embedder.model_id, embedder.fingerprint, embedder.dim, settings,
                            vectors.describe())
    conn = store.connect(work / DB_NAME)
    store.refresh_term_rows(conn)
    manifest["corpus_fingerprint"] = corpus_fingerprint(conn)
    manifest["sentence_split"] = SPLIT_VERSION
    manifest.update(extra or {})
    manifest["counts"] = {**Index(work, conn, VectorStore(embedder.dim), manifest).counts(),
                          "vectors": n_vectors}
    conn.close()
    return finish_work_dir(work, root, manifest)


def settle_vectors(work: Path, dim: int, vectors: VectorStore | None) -> VectorStore:
    """Switch exact <-> approximate when the size crossed the threshold; saves on a switch."""
    if vectors is None:
        vectors = load_vectors(work, dim)
    vectors, changed = ann.settle(vectors)
    if changed:
        vectors.save(work / VEC_NAME)
    return vectors


def open_copy(run: IngestRun, resumed: bool):
    """SQLite and vectors of the work directory. A fresh copy of the live index must be whole
    before documents are added to it: a zero-byte database beside 711 vectors once became
    1,422 vectors for 711 chunks, and nothing said so."""
    mpath = run.work / MANIFEST_NAME
    if resumed or not mpath.is_file():  # a rebuild, or a checkpoint reconcile() repairs
        return store.connect(run.work / DB_NAME), load_vectors(run.work, run.embedder.dim)
    root = Path(run.identity["root"])
    manifest = health.load_manifest(mpath)
    conn = health.open_database(root, run.work / DB_NAME)
    vectors = health.open_vectors(root, run.work / VEC_NAME, manifest)
    problems = health.count_problems(conn, vectors, manifest)
    if (dense := store.count_dense(conn)) != vectors.ntotal:
        problems.append(f"{dense} Chunks mit eigenem Vektor, aber {vectors.ntotal} Vektoren")
    if problems:
        conn.close()
        raise health.damaged(root, "; ".join(problems))
    return conn, vectors


def _ingest_into(run: IngestRun, paths, settings, prune, batch_chunks, resumed):
    conn, vectors = open_copy(run, resumed)
    report = IngestReport()
    if resumed:
        reconcile(conn, vectors, run.cache)
        report.resumed = _count(conn, "documents")
    known = store.document_hashes(conn)
    files = list(iter_document_paths([Path(p) for p in paths]))
    sidecars: dict[Path, dict] = {}
    batch = Batch()
    try:
        parsed = _read_all(files, known, sidecars, settings, report, read_workers(len(files)))
        for i, pending in enumerate(parsed):
            if pending is not None:
                batch.items.append(pending)
            if batch.n_chunks >= batch_chunks:
                write_batch(conn, vectors, batch, run, report)
                batch = Batch()
            if run.progress:
                run.progress("read", i + 1, len(files))
        write_batch(conn, vectors, batch, run, report)
    except KeyboardInterrupt:
        run.checkpoint(vectors, force=True)  # SQLite holds every finished batch already
        raise
    if prune:
        report.removed = _prune(conn, vectors)
    from .sentvecs import fill

    resplit = resplit_sentences(conn, run.work)
    report.sentences = fill(conn, run.embedder, run.cache, embed_with_cache,
                            run.sentence_vectors, batch_chunks, run.progress)
    if resplit:
        report.sentences["resplit"] = resplit
    report.questions = question_vectors(conn, run, batch_chunks)
    report.chunks_total = _count(conn, "chunks")
    report.vectors_total = vectors.ntotal
    run.checkpoint(vectors, force=True)
    conn.close()
    return report, vectors


def resplit_sentences(conn, work: Path) -> int:
    """Drop the stored sentences when the index split them otherwise than sentences.py does
    now (manifest "sentence_split"; none recorded: version 1), so that fill() stores them
    anew, from the embedding cache where it has them; returns how many were dropped."""
    mpath = work / MANIFEST_NAME
    built = read_manifest(work).get("sentence_split", 1) if mpath.is_file() else SPLIT_VERSION
    if built == SPLIT_VERSION:
        return 0
    with conn:
        return store.clear_sentences(conn)


def question_vectors(conn, run: IngestRun, batch_chunks: int) -> dict:
    """Printed-question vectors (qvecs.py) for the chunks without one, embedding what the
    cache lacks; with ANFRAGEN_QUESTION_VECTORS=0 (or off by default) the index holds none."""
    if not qvecs.wanted():
        with conn:
            store.drop_question_vectors(conn)
        return {}
    return qvecs.fill(conn, run.embedder, run.cache, embed_with_cache, True, batch_chunks)


def _count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def reconcile(conn, vectors: VectorStore, cache: EmbeddingCache) -> dict:
    """Make a taken-over work directory consistent: SQLite commits every batch but vectors
    are saved only at checkpoints. Vectors of chunks no longer in SQLite go; chunks without
    a vector get theirs from the embedding cache; a document with a vector in neither is
    dropped, so that this ingest reads it again."""
    in_sql = {r[0] for r in conn.execute("SELECT id FROM chunks WHERE vec_id = id")}
    in_faiss = set(vectors.ids().tolist())
    stale = sorted(in_faiss - in_sql)
    vectors.remove(stale)
    missing = sorted(in_sql - in_faiss)
    dropped: set[str] = set()
    for start in range(0, len(missing), 512):
        part = missing[start : start + 512]
        rows = conn.execute(f"SELECT id, doc_id, text FROM chunks WHERE id IN "
                            f"({','.join('?' * len(part))}) ORDER BY id", part).fetchall()
        _, found = cache.lookup([r[2] for r in rows])
        have = sorted(found)
        vectors.add([rows[i][0] for i in have],
                    np.array([found[i] for i in have], np.float32).reshape(-1, vectors.dim))
        dropped |= {rows[i][1] for i in range(len(rows)) if i not in found}
    with conn:
        for doc_id in sorted(dropped):
            vectors.remove(store.delete_document(conn, doc_id))
    return {"stale_vectors": len(stale), "from_cache": len(missing),
            "dropped_documents": len(dropped)}


def document_hash(src: SourceDoc) -> str:
    """What the index stores to recognise an unchanged document: the file's content hash and
    the parser version, so a parser upgrade re-parses every file once (chunk texts that stay
    the same still find their vectors in the embedding cache)."""
    return f"{src.content_hash}+parser{PARSER_VERSION}"


def _read_one(path, base, known, sidecars, settings, report) -> Pending | None:
    try:
        src = read_with_sidecar(path, base, sidecars)
    except AnfragenError as e:
        report.failed.append((str(path), str(e)))
        return None
    if known.get(src.doc_id) == document_hash(src):
        report.unchanged += 1
        return None
    report.warnings.extend(src.warnings)
    try:
        inq = flag_instructions(parse_document(src), path, report)
        chunks = chunks_of(inq, settings)
    except Exception as e:  # a parser bug must not stop the other files
        report.failed.append((str(path), f"Parser-Fehler {e.__class__.__name__}: {e}"))
        return None
    if inq.fallback:
        report.fallbacks.append(src.doc_id)
    replaces = src.doc_id in known
    report.changed += replaces
    report.added += not replaces
    return Pending(inq, document_hash(src), chunks, replaces)


def read_workers(n_files: int) -> int:
    """Worker processes for reading and parsing `n_files` files (0: this process)."""
    if (env := os.environ.get(READ_WORKERS_ENV)) is not None:
        return max(0, int(env))
    if n_files < PARALLEL_MIN_FILES:
        return 0
    return max(0, min(usable_cores() - 1, 3))  # one core stays with the writer


def _read_all(files, known, sidecars, settings, report, workers: int) -> Iterator:
    """Pending documents (or None) in the order of `files`, read and parsed here or by
    `workers` processes, their counts and messages merged into `report` in that order."""
    if workers == 0:
        for path, base in files:
            yield _read_one(path, base, known, sidecars, settings, report)
        return
    # spawned, not forked: this process may hold threads (the query model's export, torch)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_start, initargs=(known, settings))
    ahead: deque = deque()
    todo = iter(files)
    try:
        for item in todo:
            ahead.append(pool.submit(_worker_read, item))
            if len(ahead) >= READ_AHEAD:
                break
        while ahead:
            pending, part = ahead.popleft().result()
            if (item := next(todo, None)) is not None:
                ahead.append(pool.submit(_worker_read, item))
            merge_reports(report, part)
            yield pending
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


_WORKER: dict = {}


def _worker_start(known: dict, settings: ChunkerSettings) -> None:
    _WORKER.update(known=known, settings=settings, sidecars={})


def _worker_read(item) -> tuple[Pending | None, IngestReport]:
    path, base = item
    part = IngestReport()
    pending = _read_one(path, base, _WORKER["known"], _WORKER["sidecars"], _WORKER["settings"],
                        part)
    return pending, part


def merge_reports(into: IngestReport, part: IngestReport) -> None:
    """Add what reading one file noted (counts, failures, warnings) to the ingest's report."""
    into.added += part.added
    into.changed += part.changed
    into.unchanged += part.unchanged
    into.failed.extend(part.failed)
    into.fallbacks.extend(part.fallbacks)
    into.warnings.extend(part.warnings)


def flag_instructions(inq: Inquiry, path: Path, report: IngestReport) -> Inquiry:
    """Name sentences that give orders (prompt injection) in the document's warnings and the
    ingest's; the answer stage never quotes them (see parse/instructions.py)."""
    texts = [*(a.text for a in inq.answers), *(p.text for p in inq.preambles)]
    found = [s for t in texts for s in instruction_sentences(t)]
    if not found:
        return inq
    notes = [f"Satz mit Anweisungscharakter (wird nie als Antwort zitiert): „{s[:120]}“"
             for s in found]
    report.warnings.extend(f"{path}: {n}" for n in notes)
    return replace(inq, warnings=(*inq.warnings, *notes))


def embed_with_cache(
    texts: list[str], embedder, cache: EmbeddingCache, progress: Progress | None = None
) -> tuple[np.ndarray, int]:
    """Vectors for texts, embedding only those no cache holds; returns (vectors, n_embedded)."""
    keys, found = cache.lookup(texts)
    # Longest first, so that slices of one model batch pad as little as the model's own
    # sort would; each slice is stored as soon as it is embedded, so Ctrl-C or kill loses at
    # most one batch (it was 128 vectors: 40 of 114 done, then all 114 embedded again).
    missing = sorted((i for i in range(len(texts)) if i not in found),
                     key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, v in found.items():
        out[i] = v.astype(np.float32)
    step = int(getattr(embedder, "batch_size", 0) or CHECKPOINT_VECTORS)
    for start in range(0, len(missing), step):
        part = missing[start : start + step]

        def tick(n: int, done_before: int = start) -> None:
            if progress:
                progress("embed", done_before + n, len(missing))

        new = embedder.embed_passages([texts[i] for i in part], progress=tick)
        out[part] = new
        cache.store([keys[i] for i in part], new)
    return out, len(missing)


def write_batch(conn, vectors, batch: Batch, run: IngestRun, report: IngestReport) -> None:
    if not batch.items:
        return
    texts = [c.text for p in batch.items for c in p.chunks if c.dense]
    vecs, n_embedded = embed_with_cache(texts, run.embedder, run.cache, run.progress)
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
    run.checkpoint(vectors)


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
