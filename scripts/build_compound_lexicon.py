"""Build src/anfragen/index/compound_lexicon.txt.gz from an index of the bundled corpus.

    anfragen ingest data/corpus --index index
    python scripts/build_compound_lexicon.py --index index

Counts every word of the printed questions, answers and titles (each distinct text once, so
a contextual header repeated on every chunk does not inflate its words) and keeps the words
a compound part may be: letters only, at least compound.MIN_PART long, no stopword, seen at
least --min-count times. The file is sorted, so a rebuild from the same corpus is
byte-identical (gzip mtime 0).
"""

from __future__ import annotations

import argparse
import gzip
from collections import Counter
from pathlib import Path

from anfragen.index import store
from anfragen.index.analyze import STOPWORDS, tokens
from anfragen.index.compound import LEXICON_NAME, MIN_PART
from anfragen.index.directory import Index

OUT = Path(__file__).resolve().parents[1] / "src" / "anfragen" / "index" / LEXICON_NAME


def distinct_texts(index: Index) -> set[str]:
    texts: set[str] = set()
    for _doc, _numbers, question, answer, title, _ds, _parl in store.unit_rows(index.conn):
        texts.update(t for t in (question, answer, title) if t)
    return texts


def count_words(texts: set[str]) -> Counter:
    counts: Counter = Counter()
    for text in texts:
        counts.update(t for t in tokens(text) if t.isalpha())
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=Path("index"))
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    counts = count_words(distinct_texts(Index.open(args.index)))
    keep = sorted((w, n) for w, n in counts.items()
                  if n >= args.min_count and len(w) >= MIN_PART and w not in STOPWORDS)
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write("".join(f"{w}\t{n}\n" for w, n in keep).encode("utf-8"))
    print(f"{len(keep)} Wörter -> {args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
