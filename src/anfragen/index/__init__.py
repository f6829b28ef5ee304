"""index: the index directory and everything that reads or writes it.

Holds the directory with its manifest and atomic swaps (``directory.py``), the SQLite store
with FTS5 over German stems (``store.py``, the only place that writes SQL for the index),
its text analysis (``analyze.py``), the FAISS vectors (``vectors.py``) and their approximate
layout (``ann.py``), the printed questions' own vectors (``qvecs.py``), the resumable
ingest (``ingest.py``) under the writer lock (``lock.py``), the checks of a damaged index at
open (``health.py``) and in full (``check.py``), the notice of a newly published index
(``watch.py``) and the replication of an index for scale tests (``replicate.py``). May
import the ingest-time stages (``read``, ``parse``, ``chunk``, ``embed``) and
``models``/``errors``; never retrieval, answers or the faces.
"""

from __future__ import annotations

from .directory import DB_NAME, MANIFEST_NAME, VEC_NAME, Index, read_manifest

__all__ = ["DB_NAME", "MANIFEST_NAME", "VEC_NAME", "Index", "read_manifest"]
