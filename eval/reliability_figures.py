"""Probe: figures quoted in the README's "Reliability" section, over the bundled corpus.

Prints (1) the number and a hash of the dense chunk texts the chunker makes from every bundled
file (the keys of the committed embedding cache: equal hashes between two source trees mean
no cached vector is invalidated) and how many of them the committed embedding cache holds for
`--fingerprint` (all of them: an ingest embeds nothing), (2) how many of the corpus's sentences
`parse/instructions.py::is_instruction` flags, and (3) how many files NFKC would change.

    PYTHONPATH=src .venv/bin/python eval/reliability_figures.py [--corpus data/corpus]
        [--fingerprint sha256:...] [--chunks-only]
"""

from __future__ import annotations

import argparse
import hashlib
import unicodedata
from pathlib import Path

from anfragen.answer.extractive import split_sentences
from anfragen.chunk import ChunkerSettings, chunks_of
from anfragen.embed.cache import BUNDLED_DIR, BundledCache, text_key
from anfragen.parse import parse_document
from anfragen.read import iter_document_paths, read_with_sidecar


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    ap.add_argument("--chunks-only", action="store_true", help="only figure (1)")
    ap.add_argument("--fingerprint", default="", help="model fingerprint of the bundled cache")
    args = ap.parse_args()
    bundled = BundledCache(BUNDLED_DIR, args.fingerprint) if args.fingerprint else None
    cached = 0
    h, n_chunks, n_sent, flagged, nfkc, sidecars = hashlib.sha256(), 0, 0, [], 0, {}
    for path, root in iter_document_paths([args.corpus]):
        src = read_with_sidecar(path, root, sidecars)
        for c in chunks_of(parse_document(src), ChunkerSettings()):
            if c.dense:
                h.update(c.text.encode())
                n_chunks += 1
                if bundled is not None:
                    cached += bundled.get(text_key(args.fingerprint, c.text)) is not None
        if args.chunks_only:
            continue
        from anfragen.parse.instructions import is_instruction  # absent in older trees

        nfkc += unicodedata.normalize("NFKC", src.text) != src.text
        for sent in split_sentences(src.text):
            n_sent += 1
            if is_instruction(sent):
                flagged.append(f"{path.name}: {sent[:100]}")
    print(f"dense chunk texts: {n_chunks}, sha256 {h.hexdigest()[:16]}")
    if bundled is not None:
        print(f"in the bundled cache for {args.fingerprint[:20]}…: {cached} of {n_chunks}")
    if not args.chunks_only:
        print(f"sentences: {n_sent}, flagged as instructions: {len(flagged)}")
        print(f"files NFKC would change: {nfkc}")
        print("\n".join(flagged[:20]))


if __name__ == "__main__":
    main()
