"""ONNX query embedding at batch 1 per thread count and graph optimisation level, one run.

    .venv/bin/python eval/query_threads.py [--queries eval/datasets/dev/queries.jsonl] [-n 80]

Uses the exported query model in the user cache (made by `anfragen ingest`); times
tokenize + token-table gather + session run + mean pooling per question (passes 2 and 3 of 3),
and prints p50/p95 per setting with the lowest cosine to the first setting's vectors.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from anfragen.embed.onnx_export import onnx_folder
from anfragen.embed.onnx_query import OnnxQueryEncoder
from anfragen.embed.sentence_transformer import load_embedder

LEVELS = {"basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
          "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
          "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=Path, default=Path("eval/datasets/dev/queries.jsonl"))
    ap.add_argument("-n", type=int, default=80, help="questions")
    args = ap.parse_args()
    texts = [json.loads(line)["text"] for line in args.queries.read_text("utf-8").splitlines()
             if line.strip()][: args.n]
    emb = load_embedder(None)
    emb.query_encoder()  # exported, if it was not yet
    onnx_dir = onnx_folder(Path(emb.passages.name_or_path))
    tokenizer = Path(emb.passages.name_or_path) / "tokenizer.json"
    first = None
    for threads in (1, 2):
        for name, level in LEVELS.items():
            enc = OnnxQueryEncoder(onnx_dir, tokenizer, emb.query_text_prompt, threads=threads)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
            opts.graph_optimization_level = level
            enc._session = ort.InferenceSession(str(onnx_dir / "model.onnx"), opts,
                                                providers=["CPUExecutionProvider"])
            ms, vecs = [], []
            for rep in range(3):
                for t in texts:
                    t0 = time.perf_counter()
                    v = enc.encode(t)
                    if rep:
                        ms.append((time.perf_counter() - t0) * 1000)
                    else:
                        vecs.append(v)
            vecs = np.stack(vecs)
            first = vecs if first is None else first
            print(f"threads {threads} {name:8s} p50 {np.percentile(ms, 50):5.1f} ms  "
                  f"p95 {np.percentile(ms, 95):5.1f} ms  min cosine "
                  f"{float(np.min(np.sum(vecs * first, axis=1))):.6f}")


if __name__ == "__main__":
    main()
