"""Export a query file and the index's units as a BEIR dataset.

`anfragen eval export --queries FILE --index DIR --out DIR` writes

    queries.jsonl    {"_id", "text", "metadata": {"kind", "evidence"}}
    corpus.jsonl     {"_id": "<doc_id>#<n>", "title", "text", "metadata"}, one line per unit
    qrels/test.tsv   query-id, corpus-id, score (1 for every listed relevant unit)

so other retrievers (pyserini, BEIR, ir_datasets loaders) can be run on the same judgments.
A unit's text is its question(s) plus the answer, reassembled from the chunks that cover it.
"""

from __future__ import annotations

import json
from pathlib import Path

from anfragen.index import store
from anfragen.index.directory import Index

from .metrics import Query

MAX_SEAM = 400  # longest overlap between consecutive answer parts that is looked for


def join_parts(parts: list[str]) -> str:
    """Concatenate answer parts, dropping the overlap the splitter repeated at each seam."""
    out = ""
    for part in parts:
        seam = next((k for k in range(min(len(out), len(part), MAX_SEAM), 0, -1)
                     if out.endswith(part[:k])), 0)
        out = f"{out} {part[seam:]}".strip() if seam == 0 else out + part[seam:]
    return out


def unit_blocks(index: Index) -> dict[str, dict]:
    """unit id -> {"title", "metadata", "blocks": {question text: [answer parts]}}, in order."""
    rows = store.unit_rows(index.conn)
    units: dict[str, dict] = {}
    for doc_id, numbers, qtext, atext, title, drucksache, parliament in rows:
        for n in json.loads(numbers):
            u = units.setdefault(f"{doc_id}#{n}", {
                "title": title or drucksache or doc_id, "blocks": {},
                "metadata": {"doc_id": doc_id, "drucksache": drucksache,
                             "parliament": parliament},
            })
            parts = u["blocks"].setdefault(qtext or "", [])  # the parts of one answer
            if atext:
                parts.append(atext)
    return units


def corpus_rows(index: Index) -> list[dict]:
    rows = []
    for uid, u in unit_blocks(index).items():
        text = "\n".join(f"{q}\n{join_parts(parts)}".strip() for q, parts in u["blocks"].items())
        rows.append({"_id": uid, "title": u["title"], "text": text, "metadata": u["metadata"]})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def export_beir(index_dir: Path, queries: list[Query], out: Path) -> dict:
    """Write the three BEIR files; returns counts and relevant unit ids missing from the index."""
    index = Index.open(Path(index_dir))
    try:
        corpus = corpus_rows(index)
    finally:
        index.close()
    out = Path(out)
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "corpus.jsonl", corpus)
    write_jsonl(out / "queries.jsonl", [
        {"_id": q.id, "text": q.text,
         "metadata": {"kind": q.kind, "evidence": list(q.evidence)}} for q in queries
    ])
    pairs = [(q.id, u) for q in queries for u in dict.fromkeys(q.relevant)]
    with open(out / "qrels" / "test.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        f.writelines(f"{qid}\t{uid}\t1\n" for qid, uid in pairs)
    known = {row["_id"] for row in corpus}
    return {"queries": len(queries), "corpus": len(corpus), "qrels": len(pairs),
            "missing": sorted({u for _, u in pairs if u not in known})}
