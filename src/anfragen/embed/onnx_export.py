"""One-time ONNX export of the converted default model, for the lean query path.

The ONNX file is produced offline from the local sentence-transformers folder (never
downloaded) into a sibling folder ``<model folder>.onnx/`` in the model cache, with a marker
that names the source weights' fingerprint and the ONNX file's own sha256. The export needs
torch (it is torch's TorchScript exporter); it runs once, the query path afterwards needs only
onnxruntime and tokenizers. A self-check (given by the caller) guards the result before it is
published.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from anfragen.errors import ModelError

from .base import Status

ONNX_MARKER = "anfragen-onnx.json"
ONNX_FILE = "model.onnx"
TABLE_FILE = "token_embeddings.npy"
# bump when the exported graph changes (inputs, outputs, opset): old folders are then rebuilt
EXPORT_VERSION = 2
OPSET = 17
# checks a finished export folder before it is published: returns the cosine of its query
# vector to sentence-transformers', raises ModelError when it is off
Check = Callable[[Path], float]


def onnx_folder(model_folder: Path) -> Path:
    return model_folder.with_name(model_folder.name + ".onnx")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def read_onnx_marker(folder: Path, source_fingerprint: str) -> dict | None:
    """The marker of a finished export of these weights, else None (absent, stale, partial)."""
    try:
        marker = json.loads((folder / ONNX_MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if marker.get("source_fingerprint") != source_fingerprint:
        return None
    files = (folder / ONNX_FILE, folder / TABLE_FILE)
    if marker.get("export_version") != EXPORT_VERSION or not all(f.is_file() for f in files):
        return None
    return marker


def ensure_onnx(model_folder: Path, source_fingerprint: str, check: Check,
                say: Status | None = None) -> Path:
    """The ONNX folder for `model_folder` (graph + token table), exported and self-checked
    on first use."""
    final = onnx_folder(model_folder)
    if read_onnx_marker(final, source_fingerprint) is not None:
        return final
    say = say or (lambda _msg: None)
    say(f"Fragemodell wird einmalig nach ONNX exportiert, nach {final} (etwa 15 s)")
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=model_folder.parent))
    try:
        _export(model_folder, tmp / ONNX_FILE)
        cosine = check(tmp)
        marker = {
            "source_folder": model_folder.name,
            "source_fingerprint": source_fingerprint,
            "onnx_sha256": file_sha256(tmp / ONNX_FILE),
            "token_table_sha256": file_sha256(tmp / TABLE_FILE),
            "export_version": EXPORT_VERSION,
            "opset": OPSET,
            "self_check_cosine": round(cosine, 6),
        }
        (tmp / ONNX_MARKER).write_text(json.dumps(marker, indent=2) + "\n", "utf-8")
        if final.exists():
            shutil.rmtree(final)  # a stale or partial export of other weights
        tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _export(model_folder: Path, dest: Path) -> None:
    try:
        import onnx  # noqa: F401  (torch's exporter serialises through it)
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelError(
            f"the one-time ONNX export needs torch, transformers and onnx ({exc}); install "
            "them with `pip install torch==2.13.0 sentence-transformers onnx`"
        ) from exc
    from .base import quiet_weight_loading

    quiet_weight_loading()
    model = AutoModel.from_pretrained(str(model_folder), local_files_only=True).eval()
    # the 250k x 384 token table is 80% of the weights but a query reads ~20 rows of it: kept
    # out of the graph as a memory-mapped .npy, so a one-shot `ask` neither reads nor copies it
    table = model.get_input_embeddings().weight.detach().numpy().astype(np.float32)
    np.save(dest.parent / TABLE_FILE, table)

    class Encoder(torch.nn.Module):
        # token vectors in, last hidden state out: pooling and normalising stay in numpy, where
        # batch 1 without padding makes them a plain mean
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds, attention_mask):
            return self.inner(inputs_embeds=inputs_embeds, attention_mask=attention_mask)[0]

    dummy = torch.ones(1, 8, table.shape[1], dtype=torch.float32)
    mask = torch.ones(1, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    # the tracer warns about every Python-side shape check in transformers' masking code; the
    # self-check against sentence-transformers (ensure_onnx) is what tells a good export
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*aten::index.*", category=UserWarning)
        torch.onnx.export(
            Encoder(model), (dummy, mask), str(dest), dynamo=False, opset_version=OPSET,
            input_names=["inputs_embeds", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"inputs_embeds": axes, "attention_mask": axes,
                          "last_hidden_state": axes},
        )
