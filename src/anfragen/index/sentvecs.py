"""Sentence vectors for choosing the sentence that answers (sentences.py), made at ingest.

Embedding sentences at query time would cost about 14 ms per sentence on 2 CPU cores
(measured: one query 17 ms, four sentences 67 ms, eight 113 ms), far beyond the answer
stage's budget, so every quotable sentence is embedded once, at ingest, and stored beside
its chunk (table `sentences`). Vectors come from the embedding cache (bundled shards, then
the user's cache), so a fresh build of the bundled corpus embeds none; a new document's
sentences are embedded at ingest (about 18 ms a sentence on 2 cores) unless `anfragen ingest
--no-sentence-vectors` skips them. Sentences without a vector are chosen by their words alone.
"""

from __future__ import annotations

import numpy as np

from . import store
from .sentences import embed_text, is_procedural, split_sentences

BATCH = 512  # chunks read and written together, as ingest's batches


def quotable(answer_text: str) -> list[str]:
    return [s for s in split_sentences(answer_text or "") if not is_procedural(s)]


def cached_vectors(texts: list[str], embedder, cache, embed_with_cache,
                   embed_missing: bool) -> tuple[dict, int]:
    """{position in texts: vector} from the embedding cache, the missing ones embedded too
    with `embed_missing`; and how many were embedded. Shared with qvecs.fill."""
    if not embed_missing:
        return cache.lookup(texts)[1], 0
    vecs, n = embed_with_cache(texts, embedder, cache)
    return dict(enumerate(vecs)), n


def fill(conn, embedder, cache, embed_with_cache, embed_missing: bool = False,
         batch: int = BATCH, progress=None) -> dict:
    """Store the vectors of the sentences of chunks that have none yet, `batch` chunks at a
    time; returns counts. `embed_with_cache(texts, embedder, cache)` is ingest's (passed in,
    so this module does not import ingest back); `progress("sentences", done, total)` after
    each batch of chunks when embedding (the slow case)."""

    counts = {"sentences": 0, "embedded": 0, "without_vector": 0}
    after = 0
    total = store.count_chunks_without_sentences(conn) if progress and embed_missing else 0
    done = 0
    while part := store.chunks_without_sentences(conn, after, batch):
        after = part[-1][0]
        done += len(part)
        items = [(cid, did, i, s) for _, cid, did, text in part
                 for i, s in enumerate(quotable(text))]
        texts = list(dict.fromkeys(embed_text(s) for *_, s in items))
        found, n = cached_vectors(texts, embedder, cache, embed_with_cache, embed_missing)
        counts["embedded"] += n
        pos = {t: i for i, t in enumerate(texts)}
        rows = [(cid, did, i, s, np.asarray(found[pos[embed_text(s)]], np.float16).tobytes())
                for cid, did, i, s in items if pos[embed_text(s)] in found]
        with conn:
            store.insert_sentences(conn, rows)
        counts["sentences"] += len(rows)
        counts["without_vector"] += len(items) - len(rows)
        if total:
            progress("sentences", min(done, total), total)
    return counts


def all_vectors(conn) -> tuple[list[str], np.ndarray | None]:
    """(embedded texts, vectors) of every stored sentence, for the bundled cache export."""
    rows = conn.execute("SELECT text, vec FROM sentences").fetchall()
    seen: dict[str, bytes] = {}
    for text, vec in rows:
        seen.setdefault(embed_text(text), vec)
    if not seen:
        return [], None
    return list(seen), np.stack([np.frombuffer(v, np.float16) for v in seen.values()])
