"""FAISS side of the index: vectors keyed by chunk row id, exact inner-product search.

Vectors are L2-normalised, so inner product = cosine similarity in [-1, 1].
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _faiss():
    import faiss

    return faiss


class VectorStore:
    def __init__(self, dim: int, index=None):
        faiss = _faiss()
        self.dim = dim
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: Sequence[int], vecs: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if vecs.shape != (len(ids), self.dim):
            raise ValueError(
                f"expected vectors of shape ({len(ids)}, {self.dim}), got {vecs.shape}"
            )
        self.index.add_with_ids(vecs, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Sequence[int]) -> int:
        if len(ids) == 0:
            return 0
        faiss = _faiss()
        sel = faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))
        return int(self.index.remove_ids(sel))

    def search(
        self, qvecs: np.ndarray, k: int, allowed: Sequence[int] | None = None
    ) -> list[list[tuple[int, float]]]:
        """Top-k (id, cosine) per query; `allowed` restricts the search before the cut."""
        if self.ntotal == 0 or k <= 0:
            return [[] for _ in range(len(qvecs))]
        faiss = _faiss()
        q = np.ascontiguousarray(qvecs, dtype=np.float32)
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return [[] for _ in range(len(q))]
            sel = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params = faiss.SearchParameters(sel=sel)
        scores, ids = self.index.search(q, min(k, self.ntotal), params=params)
        out = []
        for srow, irow in zip(scores, ids, strict=True):
            pairs = [(int(i), float(s)) for i, s in zip(irow, srow, strict=True) if i >= 0]
            pairs.sort(key=lambda p: (-p[1], p[0]))  # deterministic ties
            out.append(pairs)
        return out

    def cosines(self, ids: Sequence[int], qvec: np.ndarray) -> list[float]:
        """Cosine of the query with each stored vector (exact, also for ids no search found)."""
        if len(ids) == 0:
            return []
        mat = np.vstack([self.index.reconstruct(int(i)) for i in ids])
        return [float(x) for x in mat @ np.asarray(qvec, dtype=np.float32)]

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        _faiss().write_index(self.index, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorStore:
        index = _faiss().read_index(str(path))
        if index.d != dim:
            raise ValueError(f"{path}: vectors have dimension {index.d}, manifest says {dim}")
        return cls(dim, index)
