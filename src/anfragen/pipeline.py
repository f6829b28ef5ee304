"""The one place where the stages are wired together. cli/ and app.py only call Engine."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from anfragen.index import qvecs, sentvecs, store
from anfragen.index.directory import DB_NAME, MANIFEST_NAME, Index, recover_interrupted_swap
from anfragen.index.ingest import IngestReport, Progress, ingest
from anfragen.index.lock import DEFAULT_WAIT_S
from anfragen.index.lookup import IndexLookup
from anfragen.index.watch import ManifestWatch

from . import paths
from .chunk import ChunkerSettings
from .embed import QueryCache
from .errors import AnfragenError, IndexDamagedError, IndexMissingError, ReadError
from .feedback import FILE_NAME as FEEDBACK_FILE
from .feedback import FeedbackStore
from .models import Answer, Hit
from .read import normalise_query
from .retrieve import (
    Filters,
    RetrievalConfig,
    chunk_count,
    clean_query,
    drucksachen_in,
    search_ids,
)

DEFAULT_INDEX = Path("index")
DEFAULT_CORPUS = paths.bundled("corpus")  # the checkout's data/corpus or the wheel's copy


def paths_searched() -> list[Path]:
    return paths.data_dirs()


@contextmanager
def damage_named(index_dir: Path) -> Iterator[None]:
    """SQLite finding a damaged page mid-query: one message with the fix, not a traceback."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        raise IndexDamagedError(
            f"Index {index_dir} ist beschädigt: anfragen.sqlite nicht lesbar ({e}). "
            f"Prüfen: anfragen check --index {index_dir}; reparieren: anfragen ingest "
            f"<Quellordner> --rebuild --index {index_dir}") from e
log = logging.getLogger("anfragen.pipeline")


@dataclass
class Engine:
    index_dir: Path = DEFAULT_INDEX
    model: str | None = None  # None: the default offline multilingual-e5-small
    embedder: object | None = None  # injected (tests: FakeEmbedder)
    settings: ChunkerSettings = field(default_factory=ChunkerSettings)
    _index: Index | None = None
    _watch: ManifestWatch | None = None
    _open_lock: threading.Lock = field(default_factory=threading.Lock, repr=False,
                                       compare=False)
    _feedback: FeedbackStore | None = None
    # recent query vectors by text, for every embedder: the answer stage reuses search's, and
    # the app reruns the same question on every widget change
    query_cache: QueryCache = field(default_factory=QueryCache, repr=False, compare=False)

    @classmethod
    def open(cls, index_dir: Path | str = DEFAULT_INDEX, model: str | None = None,
             embedder: object | None = None, settings: ChunkerSettings | None = None) -> Engine:
        """The one way to get an engine: over `index_dir` (opened lazily, on first use), with
        the model named (None: the default e5-small) or an embedder injected (tests)."""
        return cls(index_dir=Path(index_dir), model=model, embedder=embedder,
                   settings=settings or ChunkerSettings())

    @classmethod
    def from_env(cls) -> Engine:
        """Settings from ANFRAGEN_INDEX (default index/) and ANFRAGEN_MODEL ("fake" in tests)."""
        return cls.open(os.environ.get("ANFRAGEN_INDEX", "index"),
                        os.environ.get("ANFRAGEN_MODEL") or None)

    # -- lazy parts -------------------------------------------------------------------------
    def get_embedder(self, progress=None):
        if self.embedder is None:
            from anfragen.embed.shared import shared_embedder

            self.embedder = shared_embedder(self.model, progress=progress)
        return self.embedder

    def prepare_query_path(self) -> bool:
        """Make the query path ready now: the default model's one-time ONNX export (torch
        needed that once), so the first question after an ingest does not pay it. True when
        there was something to prepare."""
        emb = self.get_embedder()
        if getattr(emb, "backend", None) != "onnx" or not hasattr(emb, "query_encoder"):
            return False
        emb.query_encoder()
        return True

    def preload(self, lock: threading.Lock) -> threading.Thread:
        """Load the embedder and its query session in a background thread, so that the first
        question does not wait for them (the app starts this at start-up). `lock` is the one
        the app holds while it loads the model or builds the index itself."""
        def work() -> None:
            try:
                with lock:
                    emb = self.get_embedder()
                warm_up = getattr(emb, "warm_up", None)
                if warm_up is not None:
                    warm_up()
            except AnfragenError:
                # the app's own setup step meets the same error and shows it with the fix
                log.exception("background model load failed")

        thread = threading.Thread(target=work, name="anfragen-preload", daemon=True)
        thread.start()
        return thread

    @property
    def index(self) -> Index:
        """The open index; reopened when another generation was published meanwhile (the
        old one is left to the threads still reading it and closes when they drop it)."""
        with self._open_lock:
            if self._index is not None and self._watch is not None and self._watch.changed():
                self._index = None
            if self._index is None:
                self._index = Index.open(Path(self.index_dir))
                self._watch = ManifestWatch.start(Path(self.index_dir) / MANIFEST_NAME,
                                                  self._index.manifest)
            return self._index

    def has_index(self) -> bool:
        recover_interrupted_swap(Path(self.index_dir))  # a crash mid-publish is no lost index
        return (Path(self.index_dir) / MANIFEST_NAME).is_file()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        if self._feedback is not None:
            self._feedback.close()
            self._feedback = None

    # -- ingest -----------------------------------------------------------------------------
    def ingest(
        self, paths: list[Path] | None = None, rebuild: bool = False, prune: bool = False,
        progress: Progress | None = None, lock_wait_s: float = DEFAULT_WAIT_S,
        sentence_vectors: bool = True,
    ) -> IngestReport:
        self.close()
        if not paths and not DEFAULT_CORPUS.exists():
            raise ReadError(
                f"Der mitgelieferte Korpus fehlt (gesucht in: "
                f"{', '.join(str(d) for d in paths_searched())}). Ihn aus dem Repository "
                f"(data/corpus) nach {DEFAULT_CORPUS} kopieren, ANFRAGEN_DATA auf einen Ordner "
                "mit corpus/ setzen oder Ordner nennen: anfragen ingest ORDNER"
            )
        report = ingest(
            [Path(p) for p in (paths or [DEFAULT_CORPUS])], Path(self.index_dir),
            self.get_embedder(), self.settings, rebuild=rebuild, prune=prune, progress=progress,
            lock_wait_s=lock_wait_s, sentence_vectors=sentence_vectors,
        )
        return report

    def ingest_ray(self, paths: list[Path] | None, options, rebuild: bool = False,
                   prune: bool = False, progress: Progress | None = None):
        """As `ingest`, with reading, parsing and embedding on a Ray cluster
        (`options`: anfragen.index.ray_ingest.RayOptions); returns (report, Ray figures)."""
        from anfragen.index.ray_ingest import ray_ingest

        self.close()
        return ray_ingest([Path(p) for p in (paths or [DEFAULT_CORPUS])], Path(self.index_dir),
                          self.get_embedder(), self.settings, options, rebuild=rebuild,
                          prune=prune, progress=progress)

    def ensure_index(self, progress: Progress | None = None) -> IngestReport | None:
        """Build the index over the bundled corpus if none exists yet."""
        if self.has_index():
            return None
        return self.ingest(progress=progress)

    # -- query ------------------------------------------------------------------------------
    def embed_query(self, query: str) -> np.ndarray:
        vec = self.query_cache.get(query)
        if vec is None:
            emb = self.get_embedder()
            self.index.check_compatible(emb.fingerprint, self.settings)
            vec = np.asarray(emb.embed_queries([query])[0], np.float32)
            self.query_cache.put(query, vec)
        # a copy: a caller that edits its vector in place must not change the cache
        return vec.copy()

    def lookup(self, query: str, embed: bool = True) -> IndexLookup:
        """The index access the answer stage needs for `query` (see lookup.py); its vector is
        the one search just computed, or none in BM25-only use (embed=False)."""
        q = clean_query(query)
        return IndexLookup(self.index.conn, chunk_count(self.index),
                           (lambda: self.embed_query(q)) if embed else (lambda: None),
                           self.index.manifest["model"]["fingerprint"])

    def search(
        self, query: str, cfg: RetrievalConfig | None = None, filters: Filters | None = None,
        reranker=None,
    ) -> list[Hit]:
        """The top `cfg.k` hits; `reranker` replaces the shipped reranker (rerank.py), as
        evaluation does with the fold model of a question the reranker was fitted on."""
        cfg = cfg or RetrievalConfig()
        filters = filters or Filters()
        query = clean_query(query)
        if not self.has_index():
            raise IndexMissingError(
                f"Kein Index in {self.index_dir}. Zuerst bauen: anfragen ingest"
            )
        qvec = self.embed_query(query) if cfg.mode in ("dense", "hybrid") else None
        idx = self.index  # one index for the whole search, even if another is published now
        with damage_named(self.index_dir):
            ranked = search_ids(idx, query, qvec, cfg, filters, reranker)
            cosines = self.cosines([r.id for r in ranked], qvec, idx) if qvec is not None \
                else [None] * len(ranked)
            return self.hits_for(ranked, cosines, idx)

    def cosines(self, ids: list[int], qvec: np.ndarray,
                idx: Index | None = None) -> list[float | None]:
        """Query-passage cosine per chunk; a part without its own vector uses its unit's."""
        idx = idx or self.index
        vec_of = store.vector_ids(idx.conn, ids)
        have = sorted({v for v in vec_of.values() if v is not None})
        cos = dict(zip(have, idx.vectors.cosines(have, qvec), strict=True))
        return [cos.get(vec_of.get(i)) for i in ids]

    def hits_for(self, ranked, cosines, idx: Index | None = None) -> list[Hit]:
        """Hits with chunk and document; `scores["cosine"]` is the query-passage similarity."""
        idx = idx or self.index
        chunks = store.get_chunks(idx.conn, [r.id for r in ranked])
        docs = store.get_documents(idx.conn, [c.doc_id for c in chunks.values()])
        return [
            Hit(chunk=chunks[r.id], score=r.score, rank=n,
                scores={**r.scores, **({"cosine": cos} if cos is not None else {})},
                doc=docs.get(chunks[r.id].doc_id, {}))
            for n, (r, cos) in enumerate(zip(ranked, cosines, strict=True), start=1)
            if r.id in chunks
        ]

    def ask(
        self, query: str, cfg: RetrievalConfig | None = None, filters: Filters | None = None,
        generate: bool = False,
    ) -> Answer:
        from anfragen.answer.extractive import answer_from_hits

        cfg = cfg or RetrievalConfig()
        query = normalise_query(query)
        hits = self.search(query, replace(cfg, k=max(cfg.k, 10)), filters)
        ans = answer_from_hits(query.strip(), hits,
                               lookup=self.lookup(query, cfg.mode != "bm25"))
        if generate:
            from anfragen.answer.generate import generate_answer

            ans = generate_answer(ans)
        if unknown := self.unknown_drucksachen(query):
            note = " ".join(f"Drucksache {d} ist im Index nicht vorhanden." for d in unknown)
            ans = replace(ans, notice=f"{note} {ans.notice}".strip())
        return replace(ans, hits=tuple(hits[: cfg.k]))

    def unknown_drucksachen(self, query: str) -> list[str]:
        """Drucksache numbers the query names that no indexed document has."""
        with damage_named(self.index_dir):
            return [d for d in drucksachen_in(query)
                    if not store.ids_for_drucksache(self.index.conn, [d])]

    # -- documents and feedback -------------------------------------------------------------
    def document(self, doc_id: str) -> dict | None:
        with damage_named(self.index_dir):
            return store.get_inquiry_json(self.index.conn, doc_id)

    def stats(self) -> dict:
        idx = self.index
        with damage_named(self.index_dir):
            return {
                "index": str(self.index_dir),
                "manifest": idx.manifest,
                "counts": idx.counts(),
                "parliaments": store.parliament_counts(idx.conn),
            }

    def filter_values(self) -> dict:
        """What the documents offer to filter on: parliaments, answering bodies and document
        types (most frequent first), documents per party, first and last answer date."""
        conn = self.index.conn
        try:
            first, last = store.answer_date_range(conn)
            return {
                **{col: store.distinct_values(conn, col) for col in store.FILTER_COLUMNS},
                "party_counts": store.party_counts(conn),
                "first": first,
                "last": last,
            }
        except sqlite3.Error as e:
            raise IndexDamagedError(
                f"Filterwerte aus {self.index_dir} nicht lesbar ({e}); neu bauen mit "
                "anfragen ingest --rebuild"
            ) from e

    def export_embeddings(self, dest: Path | None = None) -> tuple[int, list]:
        """Write this index's vectors into the embedding cache folder `dest` (default: the
        data/embeddings of a checkout, else the user data directory); returns the number of
        vectors and the files rewritten."""
        from anfragen.embed.cache import export_bundled, text_key

        idx = self.index
        fp = idx.manifest["model"]["fingerprint"]
        root = dest or paths.write_dir() / "embeddings"
        rows = store.dense_chunk_texts(idx.conn)
        vecs = idx.vectors.reconstruct([i for i, _ in rows]) if rows else np.zeros((0, 0))
        keys = [text_key(fp, text) for _, text in rows]
        # question vectors (qvecs.py) rank passages: float16 beside the passages' own
        qtexts, qv = qvecs.all_vectors(idx.conn)
        if qv is not None:
            known = set(keys)
            extra = [i for i, t in enumerate(qtexts) if text_key(fp, t) not in known]
            keys += [text_key(fp, qtexts[i]) for i in extra]
            vecs = np.concatenate([np.asarray(vecs, np.float32).reshape(-1, qv.shape[1]),
                                   qv[extra].astype(np.float32)])
        written = export_bundled(keys, vecs, root, fp)
        # sentence vectors only choose the quoted sentence: int8 shards of their own
        texts, svecs = sentvecs.all_vectors(idx.conn)
        known = set(keys)
        extra = [i for i, t in enumerate(texts) if text_key(fp, t) not in known]
        skeys = [text_key(fp, texts[i]) for i in extra]
        written += export_bundled(skeys, svecs[extra] if extra else np.zeros((0, 0)), root, fp,
                                  kind="sent")
        return len(keys) + len(skeys), written

    def feedback_path(self) -> Path:
        """$ANFRAGEN_FEEDBACK, else feedback.sqlite beside the index folder: outside it, so
        that rebuilding or deleting the index never touches the feedback."""
        env = os.environ.get("ANFRAGEN_FEEDBACK")
        return Path(env) if env else Path(self.index_dir).resolve().parent / FEEDBACK_FILE

    @property
    def feedback_store(self) -> FeedbackStore:
        if self._feedback is None:
            # feedback older versions kept in the index is copied over (once per row)
            self._feedback = FeedbackStore.open(self.feedback_path(),
                                                Path(self.index_dir) / DB_NAME)
        return self._feedback

    def feedback(self, query: str, answer: str, citations: list, helpful: bool,
                 reason: str = "", config: dict | None = None, session: str = "") -> int:
        return self.feedback_store.add(query, answer, citations, helpful, reason, config,
                                       session)

    def list_feedback(self, session: str | None = None) -> list[dict]:
        """Every visitor's feedback (the operator's overview), or one session's own."""
        return self.feedback_store.list(session)
