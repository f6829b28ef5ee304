"""Contrastive fine-tuning of e5-small on the corpus's own (printed question -> its answer)
pairs, with folds by document (issue 13, step 3). NOT YET MEASURED: no fold has been trained
to the end; this session had no GPU. On 2 shared CPU cores at nice 19 (2026-12-02) a smoke run
of 3 steps of batch 8 at 256 tokens took 108 s; fold 0 holds 9,590 training pairs, so one pass
at batch 16 (600 steps) would take on the order of 12 hours there: a GPU job.

    PYTHONPATH=src python scripts/finetune_e5.py --index index --fold 0 --out /tmp/e5-fold0
    PYTHONPATH=src python scripts/finetune_e5.py --index index --fold 0 --out /tmp/x --steps 3

Pairs: every question/answer unit of the index (its parts' answers joined): the printed question
without its "Frage 7:" label, with the `query: ` prompt, and the answer with `passage: `. Hard
negative: another unit's answer from the same document (same topic, same askers: the confusion
the dev misses show), else one from another document. Folds: blake2b(doc_id) mod --folds; the
documents of --fold are held out, listed in OUT/heldout.json, and no unit of theirs is trained
on. Loss: InfoNCE over the batch's answers and hard negatives (as sentence-transformers'
MultipleNegativesRankingLoss, scale 20), AdamW, linear warm-up over the first 10% of steps.
Everything random comes from --seed; on CPU the run repeats bit for bit (one thread).

To measure a fold (to do): build an index with the saved model (`anfragen ingest --model OUT
--index DIR --rebuild`, a full re-embedding) and evaluate only the dev queries whose relevant
documents are all in OUT/heldout.json, against the same queries on the bundled model; ship only
what wins on held-out folds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

from anfragen.index import store
from anfragen.index.directory import Index

_LABEL = re.compile(r"^\s*Frage\s+\d+[a-z]?\s*:\s*", re.IGNORECASE)
ANSWER_CHARS = 2000  # the model reads at most --max-tokens anyway


@dataclass(frozen=True)
class Unit:
    doc_id: str
    question: str
    answer: str


@dataclass(frozen=True)
class Example:
    query: str
    positive: str
    negative: str


def fold_of(doc_id: str, folds: int) -> int:
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "big") % folds


def plain_question(text: str) -> str:
    """The printed question(s) without the "Frage 7:" labels, on one line."""
    return " ".join(_LABEL.sub("", line).strip() for line in text.splitlines() if line.strip())


def units_of(conn) -> list[Unit]:
    """One Unit per (document, question numbers) with a printed question and an answer."""
    parts: dict[tuple[str, str], list] = {}
    for doc_id, numbers, question, answer, *_ in store.unit_rows(conn):
        if numbers == "[0]" or not (question or "").strip() or not (answer or "").strip():
            continue
        parts.setdefault((doc_id, numbers), [question, []])[1].append(answer.strip())
    return [Unit(doc, plain_question(q), " ".join(a)[:ANSWER_CHARS])
            for (doc, _), (q, a) in parts.items()]


def examples(units: list[Unit], fold: int, folds: int, seed: int) -> tuple[list[Example], set]:
    """Training examples from the documents outside `fold`, and the held-out doc ids."""
    rng = random.Random(seed)
    held = {u.doc_id for u in units if fold_of(u.doc_id, folds) == fold}
    train = [u for u in units if u.doc_id not in held]
    by_doc: dict[str, list[Unit]] = {}
    for u in train:
        by_doc.setdefault(u.doc_id, []).append(u)
    out = []
    for u in train:
        siblings = [s for s in by_doc[u.doc_id] if s.answer != u.answer]
        pool = siblings or [s for s in train if s.doc_id != u.doc_id]
        out.append(Example(f"query: {u.question}", f"passage: {u.answer}",
                           f"passage: {rng.choice(pool).answer}"))
    rng.shuffle(out)
    return out, held


def info_nce(q, p, n, scale: float = 20.0):
    """Cross-entropy of each query against every positive and hard negative of the batch."""
    import torch
    import torch.nn.functional as F

    cand = torch.cat([p, n])
    logits = scale * F.normalize(q, dim=-1) @ F.normalize(cand, dim=-1).T
    return F.cross_entropy(logits, torch.arange(len(q), device=q.device))


def embed(model, texts: list[str]):
    features = model.tokenize(texts)
    # sentence-transformers 6 adds non-tensor entries (the task name) to the features
    features = {k: v.to(model.device) if hasattr(v, "to") else v for k, v in features.items()}
    return model(features)["sentence_embedding"]


def train(model, data: list[Example], steps: int, batch: int, lr: float, seed: int,
          log=print) -> list[float]:
    """`steps` optimiser steps over `data` in order (wrapping round); returns the losses."""
    import torch

    torch.manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    model.train()
    losses = []
    for step in range(steps):
        part = [data[(step * batch + i) % len(data)] for i in range(batch)]
        loss = info_nce(embed(model, [e.query for e in part]),
                        embed(model, [e.positive for e in part]),
                        embed(model, [e.negative for e in part]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        log(f"step {step + 1}/{steps} loss {losses[-1]:.4f}")
    model.eval()
    return losses


def main() -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    from anfragen.embed.sentence_transformer import default_model_path

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--fold", type=int, required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=0, help="0: one pass over the training pairs")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    if args.device == "cpu":
        torch.set_num_threads(1)  # reproducible, and honest on a shared machine
    idx = Index.open(args.index)
    data, held = examples(units_of(idx.conn), args.fold, args.folds, args.seed)
    idx.close()
    steps = args.steps or -(-len(data) // args.batch)
    model = SentenceTransformer(str(default_model_path()), device=args.device)
    model.max_seq_length = args.max_tokens
    t0 = time.perf_counter()
    losses = train(model, data, steps, args.batch, args.lr, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(str(args.out))
    (args.out / "heldout.json").write_text(json.dumps({
        "fold": args.fold, "folds": args.folds, "seed": args.seed, "steps": steps,
        "batch": args.batch, "lr": args.lr, "max_tokens": args.max_tokens,
        "train_pairs": len(data), "seconds": round(time.perf_counter() - t0, 1),
        "first_loss": losses[0], "last_loss": losses[-1], "heldout_docs": sorted(held)},
        indent=1, ensure_ascii=False) + "\n")
    print(f"{len(data)} pairs, {steps} steps, {len(held)} documents held out -> {args.out}")


if __name__ == "__main__":
    main()
