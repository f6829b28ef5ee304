"""Fixed-size chunking baseline: what most RAG demos (and Parla) do.

Each document's cleaned full text is cut by RecursiveCharacterTextSplitter into 1,000-character
pieces overlapping by 200, with no header and no question/answer structure. The pieces go into
a separate index of the usual format (default: `<index>-fixed`, built from exactly the files of
the main index), so `anfragen eval compare` can score `fixed-dense` / `fixed-hybrid` on the same
queries. Each piece records the unit ids whose answer text it overlaps, which makes unit- and
document-level metrics computable; the evidence level needs no mapping.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from anfragen.chunk import units_of
from anfragen.embed.cache import EmbeddingCache
from anfragen.errors import AnfragenError
from anfragen.index import store
from anfragen.index.directory import (
    DB_NAME,
    MANIFEST_NAME,
    VEC_NAME,
    Index,
    prepare_work_dir,
)
from anfragen.index.ingest import (
    Batch,
    IngestReport,
    IngestRun,
    Pending,
    Progress,
    document_hash,
    publish,
    write_batch,
)
from anfragen.index.vectors import VectorStore
from anfragen.models import Chunk, Inquiry, Unit
from anfragen.parse import parse_document
from anfragen.parse.textclean import clean_block
from anfragen.read import load_sidecars, read_file, sidecar_for

MIN_OVERLAP = 40  # characters of a unit's answer a piece must hold to count as covering it
PROBE = 60  # characters compared when offsets are unknown (containment fallback)


@dataclass(frozen=True)
class FixedChunking:
    """Stands in for ChunkerSettings: the manifest records it and a mismatch is refused."""

    chunk_size: int = 1000
    chunk_overlap: int = 200
    strategy: str = "fixed"
    version: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


def baseline_dir(index_dir: Path | str) -> Path:
    """`index` -> `index-fixed`, beside the main index."""
    p = Path(index_dir)
    return p.with_name(f"{p.name}-fixed")


# -- text: cleaning with a map back to the raw offsets -------------------------------------

def align(raw: str, clean: str) -> list[int] | None:
    """Raw offset of every character of `clean` (plus len(raw) at the end), or None.

    clean_block only deletes characters or turns whitespace into one space/newline, so
    `clean` is a subsequence of `raw` up to whitespace, and a greedy walk maps it exactly.
    """
    out: list[int] = []
    i, n = 0, len(raw)
    for c in clean:
        space = c.isspace()
        while i < n and raw[i] != c and not (space and raw[i].isspace()):
            i += 1
        if i == n:
            return None
        out.append(i)
        i += 1
    out.append(n)
    return out


def split_fixed(text: str, settings: FixedChunking) -> list[tuple[int, str]]:
    """(start offset in text, piece) for the fixed-size pieces of one text."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap,
        add_start_index=True,
    )
    docs = splitter.create_documents([text])
    return [(int(d.metadata.get("start_index", -1)), d.page_content) for d in docs]


# -- pieces -> unit ids ---------------------------------------------------------------------

def covers_by_offsets(span: tuple[int, int], unit: Unit) -> bool:
    lo, hi = max(span[0], unit.start), min(span[1], unit.end)
    return hi - lo >= min(MIN_OVERLAP, unit.end - unit.start)


def covers_by_text(piece: str, unit: Unit) -> bool:
    """Fallback without offsets: the piece holds the unit's start or end, or lies inside it."""
    p, u = " ".join(piece.split()), " ".join(unit.answer_text.split())
    if not u:
        return False
    mid = p[max(0, len(p) // 2 - PROBE // 2):][:PROBE]
    return u[:PROBE] in p or u[-PROBE:] in p or (bool(mid) and mid in u)


def numbers_covered(span: tuple[int, int] | None, piece: str, units: list[Unit]) -> tuple:
    nums: list[int] = []
    for u in units:
        by_offsets = span is not None and 0 <= u.start < u.end
        hit = covers_by_offsets(span, u) if by_offsets else covers_by_text(piece, u)
        for n in u.numbers if hit else ():
            if n not in nums:
                nums.append(n)
    return tuple(nums)


def fixed_chunks(inq: Inquiry, raw: str, settings: FixedChunking | None = None) -> list[Chunk]:
    """The fixed-size chunks of one document, each with the unit numbers it overlaps."""
    settings = settings or FixedChunking()
    clean = clean_block(raw)
    offsets = align(raw, clean)
    units = units_of(inq)
    chunks = []
    for i, (start, piece) in enumerate(split_fixed(clean, settings)):
        span = None
        if offsets is not None and start >= 0:
            span = (offsets[start], offsets[start + len(piece) - 1] + 1)
        chunks.append(Chunk(
            chunk_id=f"{inq.doc_id}@fixed/{i}", doc_id=inq.doc_id,
            numbers=numbers_covered(span, piece, units), text=piece, answer_text=piece,
            part=i, start=span[0] if span else -1, end=span[1] if span else -1, kind="fixed",
        ))
    return chunks


# -- building the index ---------------------------------------------------------------------

def source_documents(main: Index) -> list[tuple[str, str, str]]:
    """(doc_id, path, content hash) of every document in the main index."""
    return store.source_documents(main.conn)


def read_pending(
    doc_id: str, path: str, content_hash: str, sidecars: dict, settings: FixedChunking
) -> Pending:
    p = Path(path)
    if p.parent not in sidecars:
        sidecars[p.parent] = load_sidecars(p.parent) if p.parent.is_dir() else {}
    src = read_file(p, p.parent, sidecar_for(p, sidecars[p.parent]))
    if document_hash(src) != content_hash:
        raise AnfragenError(f"{path}: geändert, seit der Hauptindex gebaut wurde; zuerst "
                            "`anfragen ingest` ausführen, damit beide Indexe dieselben Texte "
                            "haben.")
    src = replace(src, doc_id=doc_id)  # the main index's id, whatever root it was ingested from
    inq = parse_document(src)
    return Pending(inq, content_hash, fixed_chunks(inq, src.text, settings), False)


def is_current(root: Path, main: Index, fingerprint: str, settings: FixedChunking) -> bool:
    mpath = root / MANIFEST_NAME
    if not mpath.is_file():
        return False
    m = json.loads(mpath.read_text(encoding="utf-8"))
    return (m.get("model", {}).get("fingerprint") == fingerprint
            and m.get("chunker") == settings.to_dict()
            and m.get("baseline_of", {}).get("corpus_fingerprint")
            == main.manifest.get("corpus_fingerprint"))


def build_baseline(
    main: Index, root: Path, embedder, settings: FixedChunking | None = None,
    progress: Progress | None = None, cache: EmbeddingCache | None = None,
) -> IngestReport | None:
    """(Re)build the fixed-chunk index at `root` from the main index's files; None if current."""
    settings = settings or FixedChunking()
    if is_current(root, main, embedder.fingerprint, settings):
        return None
    t0 = time.perf_counter()
    work = prepare_work_dir(root, rebuild=True)
    try:
        report = _fill(work, main, embedder, settings, progress, cache)
        publish(work, root, embedder, settings, report.chunks_total, {"baseline_of": {
            "index": str(main.root),
            "corpus_fingerprint": main.manifest.get("corpus_fingerprint")}})
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    report.seconds = time.perf_counter() - t0
    return report


def _fill(work: Path, main: Index, embedder, settings, progress, cache) -> IngestReport:
    conn = store.connect(work / DB_NAME)
    vectors = VectorStore(embedder.dim)
    # no identity: a baseline build is not resumed (it is rebuilt from the main index)
    run = IngestRun(work, {}, embedder, cache or EmbeddingCache(embedder.fingerprint), progress,
                    checkpoint_s=float("inf"))
    report, batch, sidecars = IngestReport(), Batch(), {}
    docs = source_documents(main)
    for i, (doc_id, path, content_hash) in enumerate(docs):
        try:
            batch.items.append(read_pending(doc_id, path, content_hash, sidecars, settings))
        except AnfragenError as e:
            report.failed.append((path, str(e)))
        if batch.n_chunks >= 512:
            write_batch(conn, vectors, batch, run, report)
            batch = Batch()
        if progress:
            progress("read", i + 1, len(docs))
    write_batch(conn, vectors, batch, run, report)
    report.added = len(docs) - len(report.failed)
    report.chunks_total = store.count_rows(conn, "chunks")
    vectors.save(work / VEC_NAME)
    conn.close()
    return report


def baseline_engine(
    main_engine, root: Path | None = None, progress: Progress | None = None
) -> tuple[object, IngestReport | None]:
    """An Engine over the fixed-chunk index, built or refreshed first (report None when it
    was current); it shares the main engine's embedder."""
    from anfragen.pipeline import Engine

    root = Path(root) if root else baseline_dir(main_engine.index_dir)
    settings = FixedChunking()
    embedder = main_engine.get_embedder()
    report = build_baseline(main_engine.index, root, embedder, settings, progress)
    engine = Engine.open(root, main_engine.model, embedder=embedder, settings=settings)
    return engine, report
