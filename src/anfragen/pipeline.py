"""The one place where the stages are wired together. cli.py and app.py only call Engine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import store
from .chunk import ChunkerSettings
from .errors import IndexMissingError
from .index import MANIFEST_NAME, Index
from .ingest import IngestReport, Progress, ingest
from .lookup import IndexLookup
from .models import Answer, Hit
from .retrieve import Filters, RetrievalConfig, clean_query, search_ids

DEFAULT_INDEX = Path("index")
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"


@dataclass
class Engine:
    index_dir: Path = DEFAULT_INDEX
    model: str | None = None  # None: the default offline multilingual-e5-small
    embedder: object | None = None  # injected (tests: FakeEmbedder)
    settings: ChunkerSettings = field(default_factory=ChunkerSettings)
    _index: Index | None = None
    _last_qvec: tuple | None = None  # (query, vector): the answer stage reuses it

    @classmethod
    def from_env(cls) -> Engine:
        """Settings from ANFRAGEN_INDEX (default index/) and ANFRAGEN_MODEL ("fake" in tests)."""
        return cls(index_dir=Path(os.environ.get("ANFRAGEN_INDEX", "index")),
                   model=os.environ.get("ANFRAGEN_MODEL") or None)

    # -- lazy parts -------------------------------------------------------------------------
    def get_embedder(self, progress=None):
        if self.embedder is None:
            from .embed import load_embedder

            self.embedder = load_embedder(self.model, progress=progress)
        return self.embedder

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
        progress: Progress | None = None, sentence_vectors: bool = False,
    ) -> IngestReport:
        self.close()
        report = ingest(
            [Path(p) for p in (paths or [DEFAULT_CORPUS])], Path(self.index_dir),
            self.get_embedder(), self.settings, rebuild=rebuild, prune=prune, progress=progress,
            sentence_vectors=sentence_vectors,
        )
        return report

    def ensure_index(self, progress: Progress | None = None) -> IngestReport | None:
        """Build the index over the bundled corpus if none exists yet."""
        if self.has_index():
            return None
        return self.ingest(progress=progress)

    # -- query ------------------------------------------------------------------------------
    def embed_query(self, query: str) -> np.ndarray:
        if self._last_qvec is not None and self._last_qvec[0] == query:
            return self._last_qvec[1]
        emb = self.get_embedder()
        self.index.check_compatible(emb.fingerprint, self.settings)
        vec = emb.embed_queries([query])[0]
        self._last_qvec = (query, vec)
        return vec

    def lookup(self, query: str, embed: bool = True) -> IndexLookup:
        """The index access the answer stage needs for `query` (see lookup.py); its vector is
        the one search just computed, or none in BM25-only use (embed=False)."""
        counts = self.index.manifest.get("counts") or {}
        n = counts.get("chunks") or self.index.counts()["chunks"]
        q = clean_query(query)
        return IndexLookup(self.index.conn, int(n),
                           (lambda: self.embed_query(q)) if embed else (lambda: None),
                           self.index.manifest["model"]["fingerprint"])

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
        from .answer import answer_from_hits

        cfg = cfg or RetrievalConfig()
        hits = self.search(query, replace(cfg, k=max(cfg.k, 10)), filters)
        ans = answer_from_hits(query.strip(), hits,
                               lookup=self.lookup(query, cfg.mode != "bm25"))
        if generate:
            from .generate import generate_answer

            ans = generate_answer(ans)
        return replace(ans, hits=tuple(hits[: cfg.k]))

    # -- documents and feedback -------------------------------------------------------------
    def document(self, doc_id: str) -> dict | None:
        return store.get_inquiry_json(self.index.conn, doc_id)

    def stats(self) -> dict:
        idx = self.index
        rows = idx.conn.execute(
            "SELECT parliament, count(*), min(date_answered), max(date_answered) "
            "FROM documents GROUP BY parliament ORDER BY count(*) DESC"
        ).fetchall()
        return {
            "index": str(self.index_dir),
            "manifest": idx.manifest,
            "counts": idx.counts(),
            "parliaments": [
                {"parliament": r[0], "documents": r[1], "from": r[2], "to": r[3]} for r in rows
            ],
        }

    def feedback(self, query: str, answer: str, citations: list, helpful: bool,
                 reason: str = "", config: dict | None = None) -> int:
        return store.add_feedback(self.index.conn, query, answer, citations, helpful, reason,
                                  config)

    def list_feedback(self) -> list[dict]:
        return store.list_feedback(self.index.conn)
