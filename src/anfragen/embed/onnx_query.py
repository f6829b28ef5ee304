"""Query vectors at batch 1 with ONNX Runtime: no torch, no sentence-transformers.

One question is a few dozen tokens, so its encode costs well under a GFLOP; what made it slow
was everything around the arithmetic (importing torch and sentence-transformers for a one-shot
``anfragen ask``, ``encode``'s per-call machinery). Here the tokenizer runs once per query, the
ONNX session persists, batch 1 needs no padding (so pooling is a plain mean), and recent
repeated queries come from the engine's small LRU cache (``QueryCache`` in base.py).

``OnnxQueryEmbedder`` is the default model's embedder: passages still go through
sentence-transformers (their vectors and fingerprint are unchanged), queries through ONNX.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from anfragen.errors import ModelError

from .base import Progress, Status, usable_cores

# "onnx" (default) or "torch": the old path, for comparing and as a way out
BACKEND_ENV = "ANFRAGEN_QUERY_BACKEND"
QUERY_THREADS_ENV = "ANFRAGEN_QUERY_THREADS"
# both paths run the same float32 weights, so a cosine below this is a broken export
SELF_CHECK_MIN_COSINE = 0.9999
SELF_CHECK_TEXT = "Können hessische Kommunen HessenConnect 2.0 nutzen?"


def query_threads() -> int:
    """Threads for one query: two where the machine has two cores (on 2 idle cores a 27-token
    question takes 10 ms p50 with 2 threads, 17.6 ms with 1, and 3 or more only wait for each
    other); QUERY_THREADS_ENV overrides, e.g. 1 on a machine busy with other work."""
    if env := os.environ.get(QUERY_THREADS_ENV):
        return max(1, int(env))
    return max(1, min(2, usable_cores()))


class OnnxQueryEncoder:
    """A persistent ONNX Runtime session and tokenizer: text -> L2-normalised query vector."""

    def __init__(self, onnx_dir: Path, tokenizer_file: Path, prompt: str,
                 max_tokens: int = 512, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from .onnx_export import ONNX_FILE, TABLE_FILE

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or query_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(onnx_dir / ONNX_FILE), opts,
                                             providers=["CPUExecutionProvider"])
        self._table = np.load(onnx_dir / TABLE_FILE, mmap_mode="r")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)
        self.prompt = prompt

    def token_ids(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(self.prompt + text).ids)

    def encode(self, text: str) -> np.ndarray:
        ids = self.token_ids(text)
        tokens = np.asarray(self._table[ids], dtype=np.float32)[None]
        mask = np.ones((1, len(ids)), dtype=np.int64)
        hidden = self._session.run(None, {"inputs_embeds": tokens, "attention_mask": mask})
        pooled = hidden[0][0].mean(axis=0)  # no padding at batch 1: every token counts
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)


class OnnxQueryEmbedder:
    """The default e5 model: queries through ONNX Runtime, passages through the
    wrapped sentence-transformers embedder (which loads torch only when passages come).

    Everything else (``name_or_path``, ``token_ids``, ``max_seq_length``, ...) is the wrapped
    embedder's; ``reference`` gives sentence-transformers' query vector for the export's
    self-check.
    """

    def __init__(self, passages: Any, query_prompt: str, status: Status | None = None,
                 backend: str | None = None) -> None:
        self.passages = passages
        self.query_text_prompt = query_prompt
        self.backend = backend or os.environ.get(BACKEND_ENV, "onnx")
        self._status = status
        self._encoder: OnnxQueryEncoder | None = None
        self._encoder_lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name == "passages":  # not set yet (copy/pickle): no recursion
            raise AttributeError(name)
        return getattr(self.passages, name)

    @property
    def model_id(self) -> str:
        return self.passages.model_id

    @property
    def fingerprint(self) -> str:
        return self.passages.fingerprint

    @property
    def dim(self) -> int:
        return self.passages.dim

    def embed_passages(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        return self.passages.embed_passages(texts, progress)

    def query_encoder(self) -> OnnxQueryEncoder:
        """The ONNX session, exported on first use (needs torch that one time only)."""
        with self._encoder_lock:
            if self._encoder is None:
                from .onnx_export import ensure_onnx

                folder = Path(self.passages.name_or_path)
                onnx_dir = ensure_onnx(folder, self.passages.weights_fingerprint,
                                       self.self_check, self._status)
                self._encoder = OnnxQueryEncoder(onnx_dir, folder / "tokenizer.json",
                                                 self.query_text_prompt,
                                                 self.passages.max_seq_length)
            return self._encoder

    def self_check(self, onnx_dir: Path) -> float:
        """Cosine of an export's query vector to sentence-transformers'; ModelError if off."""
        enc = OnnxQueryEncoder(onnx_dir, Path(self.passages.name_or_path) / "tokenizer.json",
                               self.query_text_prompt)
        cosine = float(np.dot(self.embed_queries_torch([SELF_CHECK_TEXT])[0],
                              enc.encode(SELF_CHECK_TEXT)))
        if not cosine >= SELF_CHECK_MIN_COSINE:
            raise ModelError(
                f"the ONNX export in {onnx_dir} failed its self-check: cosine {cosine:.6f} to "
                f"sentence-transformers (at least {SELF_CHECK_MIN_COSINE} expected); delete the "
                f"folder and retry, or set {BACKEND_ENV}=torch"
            )
        return cosine

    def warm_up(self) -> None:
        """Load what the first query needs (the app calls this in the background)."""
        self.embed_queries(["Warmlaufen"])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        # no cache here: the engine keeps one for every embedder (pipeline.Engine.query_cache)
        if self.backend != "onnx":
            return self.embed_queries_torch(texts)
        enc = self.query_encoder()
        return np.stack([enc.encode(t) for t in texts]) if texts else (
            np.zeros((0, self.dim), np.float32))

    def embed_queries_torch(self, texts: list[str]) -> np.ndarray:
        """Today's sentence-transformers path, for benchmarks and the equivalence test."""
        return self.passages.embed_queries(texts)
