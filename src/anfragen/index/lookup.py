"""What the answer stage may ask the index while it answers one question: how rare the
question's words are, the chunks of a unit a cross-reference points to, the precomputed
vectors of a passage's sentences, and the question's own vector."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from anfragen.models import Chunk

from . import store
from .sentences import embed_text


@dataclass
class IndexLookup:
    conn: object  # sqlite3.Connection of the index
    n_chunks: int
    query_vector: Callable[[], np.ndarray | None] = field(default=lambda: None)
    model_fingerprint: str = ""  # the index's embedding model (answerability is fitted per model)

    def term_rows(self, stems: list[str]) -> dict[str, int]:
        return store.term_rows(self.conn, stems)

    def unit(self, doc_id: str, number: int) -> list[Chunk]:
        return store.unit_chunks(self.conn, doc_id, number)

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
        """chunk_id -> {embedded text of a sentence (sentences.embed_text) -> unit vector};
        empty for an index built before sentence vectors existed (then sentences are chosen
        by their words alone). Keyed as the answer stage looks them up: by the raw text, the
        fifth of all sentences longer than 300 characters were never found."""
        out: dict[str, dict[str, np.ndarray]] = {}
        for chunk_id, text, vec in store.sentence_rows(self.conn, list(chunk_ids)):
            out.setdefault(chunk_id, {})[embed_text(text)] = np.frombuffer(vec, dtype=np.float16)
        return out
