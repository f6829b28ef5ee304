"""The one place where the stages are wired together. cli/ and app.py only call Engine."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from anfragen.index import store
from anfragen.index.directory import MANIFEST_NAME, Index
from anfragen.index.ingest import IngestReport, Progress, ingest

from .chunk import ChunkerSettings
from .errors import AnfragenError, IndexDamagedError, IndexMissingError
from .models import Answer, Hit
from .retrieve import Filters, RetrievalConfig, clean_query, search_ids

DEFAULT_INDEX = Path("index")
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
log = logging.getLogger("anfragen.pipeline")


@dataclass
class Engine:
    index_dir: Path = DEFAULT_INDEX
    model: str | None = None  # None: the default offline multilingual-e5-small
    embedder: object | None = None  # injected (tests: FakeEmbedder)
    settings: ChunkerSettings = field(default_factory=ChunkerSettings)
    _index: Index | None = None

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
            from anfragen.embed.sentence_transformer import load_embedder

            self.embedder = load_embedder(self.model, progress=progress)
        return self.embedder

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
        if self._index is None:
            self._index = Index.open(Path(self.index_dir))
        return self._index

    def has_index(self) -> bool:
        return (Path(self.index_dir) / MANIFEST_NAME).is_file()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    # -- ingest -----------------------------------------------------------------------------
    def ingest(
        self, paths: list[Path] | None = None, rebuild: bool = False, prune: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        self.close()
        report = ingest(
            [Path(p) for p in (paths or [DEFAULT_CORPUS])], Path(self.index_dir),
            self.get_embedder(), self.settings, rebuild=rebuild, prune=prune, progress=progress,
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
        emb = self.get_embedder()
        self.index.check_compatible(emb.fingerprint, self.settings)
        return emb.embed_queries([query])[0]

    def search(
        self, query: str, cfg: RetrievalConfig | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        cfg = cfg or RetrievalConfig()
        filters = filters or Filters()
        query = clean_query(query)
        if not self.has_index():
            raise IndexMissingError(
                f"Kein Index in {self.index_dir}. Zuerst bauen: anfragen ingest"
            )
        qvec = self.embed_query(query) if cfg.mode in ("dense", "hybrid") else None
        ranked = search_ids(self.index, query, qvec, cfg, filters)
        cosines = self.cosines([r.id for r in ranked], qvec) if qvec is not None \
            else [None] * len(ranked)
        return self.hits_for(ranked, cosines)

    def cosines(self, ids: list[int], qvec: np.ndarray) -> list[float | None]:
        """Query-passage cosine per chunk; a part without its own vector uses its unit's."""
        vec_of = store.vector_ids(self.index.conn, ids)
        have = sorted({v for v in vec_of.values() if v is not None})
        cos = dict(zip(have, self.index.vectors.cosines(have, qvec), strict=True))
        return [cos.get(vec_of.get(i)) for i in ids]

    def hits_for(self, ranked, cosines) -> list[Hit]:
        """Hits with chunk and document; `scores["cosine"]` is the query-passage similarity."""
        chunks = store.get_chunks(self.index.conn, [r.id for r in ranked])
        docs = store.get_documents(self.index.conn, [c.doc_id for c in chunks.values()])
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
        hits = self.search(query, replace(cfg, k=max(cfg.k, 10)), filters)
        ans = answer_from_hits(query.strip(), hits)
        if generate:
            from anfragen.answer.generate import generate_answer

            ans = generate_answer(ans)
        return replace(ans, hits=tuple(hits[: cfg.k]))

    # -- documents and feedback -------------------------------------------------------------
    def document(self, doc_id: str) -> dict | None:
        return store.get_inquiry_json(self.index.conn, doc_id)

    def stats(self) -> dict:
        idx = self.index
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
        bundled data/embeddings); returns the number of vectors and the files rewritten."""
        from anfragen.embed.cache import BUNDLED_DIR, export_bundled, text_key

        idx = self.index
        fp = idx.manifest["model"]["fingerprint"]
        rows = store.dense_chunk_texts(idx.conn)
        vecs = idx.vectors.reconstruct([i for i, _ in rows]) if rows else None
        keys = [text_key(fp, text) for _, text in rows]
        return len(keys), export_bundled(keys, vecs, dest or BUNDLED_DIR, fp)

    def feedback(self, query: str, answer: str, citations: list, helpful: bool,
                 reason: str = "", config: dict | None = None) -> int:
        return store.add_feedback(self.index.conn, query, answer, citations, helpful, reason,
                                  config)

    def list_feedback(self) -> list[dict]:
        return store.list_feedback(self.index.conn)
