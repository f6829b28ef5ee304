"""The one interface every embedder implements, the progress callback types, and the small LRU
cache of recent query vectors the engine keeps."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

Progress = Callable[[int], None]
Status = Callable[[str], None]
# recent query vectors kept (the app reruns the same question on every widget change)
QUERY_CACHE_SIZE = 256


@runtime_checkable
class Embedder(Protocol):
    """Turns queries and passages into L2-normalised float32 vectors of shape (n, dim)."""

    model_id: str
    fingerprint: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str], progress: Progress | None = None) -> np.ndarray: ...


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity where the OS has one)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores or 1


def quiet_weight_loading() -> None:
    """No "Loading weights" bar from transformers: ingest and the app show their own status."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


class QueryCache:
    """The last `size` query vectors by text; thread-safe (the app queries from threads)."""

    def __init__(self, size: int = QUERY_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vec = self._items.get(text)
            if vec is not None:
                self._items.move_to_end(text)
            return vec

    def put(self, text: str, vec: np.ndarray) -> None:
        with self._lock:
            self._items[text] = vec
            self._items.move_to_end(text)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
