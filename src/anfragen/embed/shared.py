"""One model load per process: every engine, session and thread shares the loaded embedder.

A cold app under load used to load the model once per session (8 sessions: 8 loads, 3-3.65
GB instead of ~1 GB), because the lazy load had no lock. Loads are serialised by one lock and
remembered per model name and user cache (the default model lives in the cache, so another
ANFRAGEN_CACHE is another model folder), so the second caller waits for the first and gets its
embedder.
"""

from __future__ import annotations

import threading

from . import sentence_transformer
from .base import Embedder
from .cache import cache_root

_LOCK = threading.Lock()
_LOADED: dict[tuple[str, str], Embedder] = {}


def shared_embedder(name: str | None, progress=None) -> Embedder:
    """The process's embedder for model `name` (None: the default), loaded on first use."""
    key = (name or "default", str(cache_root()))
    with _LOCK:
        emb = _LOADED.get(key)
        if emb is None:
            emb = sentence_transformer.load_embedder(name, progress=progress)
            _LOADED[key] = emb
        return emb


def forget_loaded() -> None:
    """Drop the remembered embedders (tests that count loads start from none)."""
    with _LOCK:
        _LOADED.clear()
