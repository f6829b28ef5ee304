"""FAISS side of the index: vectors keyed by chunk row id, inner-product search.

Vectors are L2-normalised, so inner product = cosine similarity in [-1, 1]. Two layouts:
exact `IndexIDMap2(IndexFlatIP)` (the default) and, for large indexes, IVF with float16 scalar
quantisation (see ann.py). `meta` is the manifest's "vectors" entry; for IVF it carries nprobe,
which FAISS does not store in the file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

from anfragen.errors import IndexMismatchError

EXACT_TYPE = "IndexIDMap2(IndexFlatIP)"
IVF_TYPE = "IndexIVFScalarQuantizer(QT_fp16)"
DEFAULT_NPROBE = 32


def _faiss():
    import faiss

    return faiss


def ivf_type(index) -> str:
    """The manifest name of an IVF index's codes (an index of an older layout keeps its own)."""
    sq = _faiss().ScalarQuantizer
    names = {sq.QT_8bit: "QT_8bit", sq.QT_fp16: "QT_fp16"}
    return f"IndexIVFScalarQuantizer({names.get(index.sq.qtype, index.sq.qtype)})"


class VectorStore:
    def __init__(self, dim: int, index=None, meta: dict | None = None):
        faiss = _faiss()
        self.dim = dim
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.meta = dict(meta or {})

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def is_ivf(self) -> bool:
        return isinstance(self.index, _faiss().IndexIVF)

    @property
    def nprobe(self) -> int:
        return int(self.meta.get("nprobe", DEFAULT_NPROBE))

    def describe(self) -> dict:
        """The manifest's "vectors" entry: type and the parameters needed to search it."""
        if not self.is_ivf:
            return {"type": EXACT_TYPE, "metric": "cosine"}
        return {**self.meta, "type": ivf_type(self.index), "metric": "cosine",
                "nlist": int(self.index.nlist), "nprobe": self.nprobe}

    def add(self, ids: Sequence[int], vecs: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if vecs.shape != (len(ids), self.dim):
            raise ValueError(
                f"expected vectors of shape ({len(ids)}, {self.dim}), got {vecs.shape}"
            )
        self.index.add_with_ids(vecs, np.asarray(ids, dtype=np.int64))

    def ids(self) -> np.ndarray:
        """Every stored id (no vectors decoded)."""
        faiss = _faiss()
        if not self.is_ivf:
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)
        inv = self.index.invlists
        parts = [faiss.rev_swig_ptr(inv.get_ids(lst), inv.list_size(lst)).copy()
                 for lst in range(inv.nlist) if inv.list_size(lst)]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def remove(self, ids: Sequence[int]) -> int:
        if len(ids) == 0:
            return 0
        faiss = _faiss()
        arr = np.asarray(ids, dtype=np.int64)
        # IVF's hashtable direct map only accepts an explicit id array
        sel = faiss.IDSelectorArray(arr) if self.is_ivf else faiss.IDSelectorBatch(arr)
        return int(self.index.remove_ids(sel))

    def search(
        self, qvecs: np.ndarray, k: int, allowed: Sequence[int] | None = None
    ) -> list[list[tuple[int, float]]]:
        """Top-k (id, cosine) per query; `allowed` restricts the search before the cut."""
        if self.ntotal == 0 or k <= 0:
            return [[] for _ in range(len(qvecs))]
        q = np.ascontiguousarray(qvecs, dtype=np.float32)
        if allowed is not None and len(allowed) == 0:
            return [[] for _ in range(len(q))]
        # one query: FAISS's OpenMP threads only wait for the cores ONNX Runtime's query
        # threads still spin on right after the embedding (dense 26.9 -> 17.5 ms p50 on 2
        # cores, same run); one thread scans an exact index or an IVF probe set at once
        with one_faiss_thread() if len(q) == 1 else nullcontext():
            scores, ids = self.index.search(q, min(k, self.ntotal), params=self._params(allowed))
        out = []
        for srow, irow in zip(scores, ids, strict=True):
            pairs = [(int(i), float(s)) for i, s in zip(irow, srow, strict=True) if i >= 0]
            pairs.sort(key=lambda p: (-p[1], p[0]))  # deterministic ties
            out.append(pairs)
        return out

    def _params(self, allowed: Sequence[int] | None):
        faiss = _faiss()
        sel = None
        if allowed is not None:
            sel = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        if not self.is_ivf:
            return None if sel is None else faiss.SearchParameters(sel=sel)
        nprobe = self.nprobe
        if allowed is not None:
            # a filter keeping 1% of the vectors needs ~100x the lists for as many candidates
            share = min(1.0, len(allowed) / max(1, self.ntotal))
            nprobe = math.ceil(nprobe / max(share, 1e-9))
        nprobe = min(int(self.index.nlist), nprobe)
        if sel is None:
            return faiss.SearchParametersIVF(nprobe=nprobe)
        return faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)

    def reconstruct(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of `ids`, shape (len(ids), dim)."""
        return self.index.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def cosines(self, ids: Sequence[int], qvec: np.ndarray) -> list[float]:
        """Cosine of the query with each stored vector (also for ids no search found; with
        IVF the stored vector is the float16 decoded one)."""
        if len(ids) == 0:
            return []
        mat = np.vstack([self.index.reconstruct(int(i)) for i in ids])
        return [float(x) for x in mat @ np.asarray(qvec, dtype=np.float32)]

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        _faiss().write_index(self.index, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dim: int, meta: dict | None = None) -> VectorStore:
        index = _faiss().read_index(str(path))
        if index.d != dim:
            raise ValueError(f"{path}: vectors have dimension {index.d}, manifest says {dim}")
        store = cls(dim, index, meta if isinstance(index, _faiss().IndexIVF) else None)
        want = (meta or {}).get("type")
        if want and want != store.describe()["type"]:
            raise IndexMismatchError(
                f"{path} enthält {store.describe()['type']}, das Manifest nennt {want}. "
                "Neu bauen: anfragen ingest --rebuild")
        return store


@contextmanager
def one_faiss_thread() -> Iterator[None]:
    faiss = _faiss()
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
