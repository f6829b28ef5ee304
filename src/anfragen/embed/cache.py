"""Content-addressed embedding cache: key = hash(model fingerprint, passage text).

Two layers: the bundled, read-only cache committed under `data/embeddings/<model>/`
(shards, one per first hex digit of the key, so a corpus change rewrites few files), and the
user's cache in SQLite under ANFRAGEN_CACHE. Ingest embeds only what neither has.

Passage vectors are bundled as float16 (`shard-<h>.npz`): they go into the FAISS index and
decide retrieval. Sentence vectors, which only choose the sentence to quote, are bundled as
int8 with one scale per vector (`sent-<h>.npz`, half the size; a cosine moves by about 1e-3,
and the dev figures did not change: eval/results/answers-2026-12-02.md).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from anfragen import paths

BUNDLED_DIR = paths.bundled("embeddings")  # the checkout's data/embeddings or the wheel's copy


def cache_root(cache_dir: Path | None = None) -> Path:
    """The user cache (converted models, embeddings): `cache_dir`, else ANFRAGEN_CACHE, else
    ~/.cache/anfragen."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("ANFRAGEN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "anfragen"


def text_key(fingerprint: str, text: str) -> bytes:
    return hashlib.blake2b(f"{fingerprint}\0{text}".encode(), digest_size=16).digest()


def model_dirname(fingerprint: str) -> str:
    """A portable file name for a model fingerprint ("sha256:b830..." -> "sha256-b830...")."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", fingerprint)[:40]


SHARD_KINDS = ("shard", "sent")  # float16 passage vectors, int8 sentence vectors


class BundledCache:
    """Read-only shards `<dir>/<model>/{shard,sent}-<h>.npz` with arrays `keys` (n,16 u1) and
    `vecs` (float16; or int8 with `scale`, one float per vector)."""

    def __init__(self, root: Path, fingerprint: str):
        self.dir = root / model_dirname(fingerprint)
        self._table: dict[bytes, np.ndarray] | None = None

    def _load(self) -> dict[bytes, np.ndarray]:
        if self._table is None:
            self._table = {}
            shards = [p for kind in SHARD_KINDS for p in sorted(self.dir.glob(f"{kind}-*.npz"))
                      ] if self.dir.is_dir() else []
            for shard in shards:
                with np.load(shard) as z:
                    vecs = dequantise(z["vecs"], z["scale"]) if "scale" in z.files else z["vecs"]
                    for k, v in zip(z["keys"], vecs, strict=True):
                        self._table.setdefault(k.tobytes(), v)
        return self._table

    def get(self, key: bytes) -> np.ndarray | None:
        return self._load().get(key)

    def __len__(self) -> int:
        return len(self._load())


class UserCache:
    """Read-write SQLite cache of float16 vectors."""

    def __init__(self, root: Path, fingerprint: str):
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / f"embeddings-{model_dirname(fingerprint)}.sqlite"
        self.conn = sqlite3.connect(str(self.path), check_same_thread=False)
        self.conn.execute("CREATE TABLE IF NOT EXISTS vec (key BLOB PRIMARY KEY, v BLOB)")

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), 900):
            part = list(keys[i : i + 900])
            q = f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(part))})"
            for k, v in self.conn.execute(q, part):
                out[bytes(k)] = np.frombuffer(v, dtype=np.float16)
        return out

    def put_many(self, keys: Sequence[bytes], vecs: np.ndarray) -> None:
        rows = [(k, v.astype(np.float16).tobytes()) for k, v in zip(keys, vecs, strict=True)]
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)

    def close(self) -> None:
        self.conn.close()


class EmbeddingCache:
    """Bundled shards first, then the user's cache."""

    def __init__(self, fingerprint: str, bundled: Path | None = None, user: Path | None = None):
        self.fingerprint = fingerprint
        self.bundled = BundledCache(bundled or BUNDLED_DIR, fingerprint)
        self.user = UserCache(user or cache_root(), fingerprint)

    def lookup(self, texts: Sequence[str]) -> tuple[list[bytes], dict[int, np.ndarray]]:
        keys = [text_key(self.fingerprint, t) for t in texts]
        found: dict[int, np.ndarray] = {}
        missing: list[int] = []
        for i, k in enumerate(keys):
            v = self.bundled.get(k)
            if v is None:
                missing.append(i)
            else:
                found[i] = v
        if missing:
            got = self.user.get_many([keys[i] for i in missing])
            found.update({i: got[keys[i]] for i in missing if keys[i] in got})
        return keys, found

    def store(self, keys: Sequence[bytes], vecs: np.ndarray) -> None:
        self.user.put_many(keys, vecs)


def quantise(vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 vectors and their scales: v ~ q * scale, the largest component at +-127."""
    v = np.asarray(vecs, dtype=np.float32)
    scale = np.abs(v).max(axis=1) / 127.0 if len(v) else np.zeros(0, np.float32)
    scale[scale == 0] = 1.0
    return np.round(v / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def dequantise(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return (q.astype(np.float32) * scale[:, None]).astype(np.float16)


def export_bundled(
    keys: Sequence[bytes], vecs: np.ndarray, root: Path, fingerprint: str, kind: str = "shard"
) -> list[Path]:
    """Write the given vectors as shards of one kind ("shard": float16, "sent": int8 with a
    scale per vector); a shard is rewritten only if its content changed."""
    out_dir = root / model_dirname(fingerprint)
    out_dir.mkdir(parents=True, exist_ok=True)
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    written = []
    for h in "0123456789abcdef":
        idx = [i for i in order if keys[i].hex()[0] == h]
        karr = np.array([np.frombuffer(keys[i], dtype=np.uint8) for i in idx],
                        dtype=np.uint8).reshape(-1, 16)
        arrays = shard_arrays(vecs, idx, kind)
        path = out_dir / f"{kind}-{h}.npz"
        if path.exists():
            with np.load(path) as z:
                if set(z.files) == {"keys", *arrays} and np.array_equal(z["keys"], karr) and \
                        all(np.array_equal(z[n], a) for n, a in arrays.items()):
                    continue
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=karr, **arrays)
        os.replace(tmp, path)
        written.append(path)
    return written


def shard_arrays(vecs: np.ndarray, idx: list[int], kind: str) -> dict[str, np.ndarray]:
    if kind == "sent":
        q, scale = quantise(vecs[idx]) if idx else (np.zeros((0, 0), np.int8),
                                                   np.zeros(0, np.float32))
        return {"vecs": q, "scale": scale}
    return {"vecs": np.asarray(vecs[idx], dtype=np.float16) if idx
            else np.zeros((0, 0), np.float16)}
