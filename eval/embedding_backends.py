"""Probe: other inference back ends for the default model, against torch float32.

Not part of `anfragen`: it needs `pip install onnxruntime onnx` (not dependencies). It exports
the converted multilingual-e5-small to ONNX (torch's TorchScript exporter), quantises it with
ONNX Runtime's dynamic int8 quantisation (weights per channel, and per tensor as uint8), and
embeds the same random sample of indexed passages as `anfragen bench --embedding` with each,
printing passages/s and the cosine to the torch vectors. Results of a run are in
eval/results/embedding-backends-2026-11-28.md.

    .venv/bin/python eval/embedding_backends.py [--sample 192] [--index index]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from anfragen.evaluation.bench_embedding import BASELINE, sample_passages
from anfragen.index.directory import Index


def export_onnx(folder: str, dest: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(folder).eval()

    class Encoder(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    dummy = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(Encoder(model), (dummy, dummy), str(dest), dynamo=False, opset_version=17,
                      input_names=["input_ids", "attention_mask"],
                      output_names=["last_hidden_state"],
                      dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                    "last_hidden_state": axes})


def onnx_embed(path: Path, tokenizer_file: str, texts: list[str], batch: int = 8) -> np.ndarray:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(tokenizer_file)
    tok.enable_truncation(512)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), 384), np.float32)
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        enc = tok.encode_batch(["passage: " + texts[i] for i in idx])
        width = max(len(e.ids) for e in enc)
        ids = np.zeros((len(idx), width), np.int64)
        mask = np.zeros_like(ids)
        for j, e in enumerate(enc):
            ids[j, : len(e.ids)], mask[j, : len(e.ids)] = e.ids, 1
        hidden = sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=192)
    ap.add_argument("--index", default="index")
    args = ap.parse_args()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    idx = Index.open(Path(args.index))
    texts = sample_passages(idx, args.sample)
    idx.close()
    torch_emb = BASELINE.load(None)
    folder = torch_emb.name_or_path
    torch_emb.embed_passages(texts[:4])
    t0 = time.perf_counter()
    ref = torch_emb.embed_passages(texts)
    base = len(texts) / (time.perf_counter() - t0)
    print(f"torch float32 (batch 32, 512 tokens): {base:.2f} passages/s")
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "e5.onnx"
        export_onnx(folder, fp32)
        variants = {"onnxruntime float32": fp32}
        for name, wtype, per_channel in (("int8 per channel", QuantType.QInt8, True),
                                         ("uint8 per tensor", QuantType.QUInt8, False)):
            q = Path(tmp) / f"{name.replace(' ', '-')}.onnx"
            quantize_dynamic(str(fp32), str(q), weight_type=wtype, per_channel=per_channel)
            variants[f"onnxruntime {name}"] = q
        for name, path in variants.items():
            onnx_embed(path, f"{folder}/tokenizer.json", texts[:4])
            t0 = time.perf_counter()
            vec = onnx_embed(path, f"{folder}/tokenizer.json", texts)
            speed = len(texts) / (time.perf_counter() - t0)
            cos = (vec * ref).sum(1)
            print(f"{name}: {speed:.2f} passages/s ({speed / base:.2f}x), cosine to torch "
                  f"mean {cos.mean():.5f} min {cos.min():.5f}")


if __name__ == "__main__":
    main()
