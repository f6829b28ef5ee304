"""The index directory: anfragen.sqlite + vectors.faiss + manifest.json, written atomically.

An ingest works on a copy in a sibling temporary directory and swaps it in at the end, so a
crash or Ctrl-C leaves the previous index as it was. The work directory carries a
checkpoint.json naming what it is building (live index it started from, model, chunker); the
next ingest of the same kind takes an abandoned one over and continues where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from anfragen.chunk import ChunkerSettings
from anfragen.errors import IndexMismatchError, IndexMissingError

from . import health, qvecs, store
from .analyze import LEGACY_ANALYZER, ingest_analyzer
from .lock import pid_alive, unless_writing
from .vectors import EXACT_TYPE, VectorStore

FORMAT_VERSION = 1
DB_NAME = "anfragen.sqlite"
VEC_NAME = "vectors.faiss"
MANIFEST_NAME = "manifest.json"
REBUILD_HINT = "anfragen ingest --rebuild"
CHECKPOINT_NAME = "checkpoint.json"


@dataclass
class Index:
    root: Path
    conn: sqlite3.Connection
    vectors: VectorStore
    manifest: dict
    _questions: VectorStore | None = field(default=None, repr=False, compare=False)

    def question_vectors(self) -> VectorStore:
        """The printed questions' vectors (qvecs.py), loaded on first use; empty in an index
        built before they existed."""
        if self._questions is None:
            self._questions = qvecs.load(self.conn, self.vectors.dim)
        return self._questions

    @classmethod
    def open(cls, root: Path) -> Index:
        root = Path(root)
        recover_interrupted_swap(root)
        manifest = read_manifest(root)
        if problems := health.manifest_problems(manifest):
            raise health.damaged(root, "; ".join(problems))
        conn = health.open_database(root, root / DB_NAME)
        try:
            vectors = health.open_vectors(root, root / VEC_NAME, manifest)
            if problems := health.count_problems(conn, vectors, manifest):
                raise health.damaged(root, "; ".join(problems))
        except BaseException:
            conn.close()
            raise
        return cls(root, conn, vectors, manifest)

    def check_compatible(self, model_fingerprint: str, settings: ChunkerSettings) -> None:
        check_manifest(self.manifest, self.root, model_fingerprint, settings)

    def counts(self) -> dict:
        c = self.conn
        return {
            "documents": c.execute("SELECT count(*) FROM documents").fetchone()[0],
            "chunks": c.execute("SELECT count(*) FROM chunks").fetchone()[0],
            "vectors": self.vectors.ntotal,
            "question_vectors": store.count_question_vectors(c),
            "fallback_documents": c.execute(
                "SELECT count(*) FROM documents WHERE fallback=1"
            ).fetchone()[0],
        }

    def close(self) -> None:
        self.conn.close()


def read_manifest(root: Path) -> dict:
    """The manifest of the index at `root`, refused when missing or of another format."""
    mpath = root / MANIFEST_NAME
    if not mpath.is_file():
        raise IndexMissingError(
            f"Kein Index in {root} (manifest.json fehlt). "
            f"Zuerst bauen: anfragen ingest data/corpus --index {root}"
        )
    manifest = health.load_manifest(mpath)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"Index {root} hat Format {manifest.get('format_version')}, diese Version "
            f"erwartet {FORMAT_VERSION}. Neu bauen: {REBUILD_HINT} --index {root}"
        )
    return manifest


def check_manifest(m: dict, root: Path, model_fingerprint: str,
                   settings: ChunkerSettings) -> None:
    """Refuse an index built with another model or chunker, naming the fix."""
    if m["model"]["fingerprint"] != model_fingerprint:
        raise IndexMismatchError(
            f"Index {root} wurde mit dem Modell {m['model']['id']} "
            f"({m['model']['fingerprint'][:12]}) gebaut, gewählt ist ein anderes "
            f"({model_fingerprint[:12]}). Neu bauen: {REBUILD_HINT} --index {root}"
        )
    if m.get("chunker") != settings.to_dict():
        raise IndexMismatchError(
            f"Index {root} wurde mit anderen Chunk-Einstellungen gebaut "
            f"({m.get('chunker')} statt {settings.to_dict()}). "
            f"Neu bauen: {REBUILD_HINT} --index {root}"
        )


def check_analyzer(m: dict, root: Path) -> None:
    """Refuse to add chunks to an index whose BM25 bodies were analysed otherwise (searching
    it still works: the query is analysed as the index was, see retrieve.splits_compounds)."""
    built, wanted = m.get("analyzer", LEGACY_ANALYZER), ingest_analyzer()
    if built != wanted:
        raise IndexMismatchError(
            f"Index {root} wurde mit der BM25-Analyse {built!r} gebaut, gewählt ist "
            f"{wanted!r} (ANFRAGEN_BM25_COMPOUNDS); neue Chunks passten nicht zu den alten. "
            f"Neu bauen (die Vektoren kommen aus dem Cache): {REBUILD_HINT} --index {root}"
        )


def corpus_fingerprint(conn: sqlite3.Connection) -> str:
    h = hashlib.sha256()
    for doc_id, ch in conn.execute("SELECT doc_id, content_hash FROM documents ORDER BY doc_id"):
        h.update(f"{doc_id}\0{ch}\n".encode())
    return h.hexdigest()


def load_vectors(root: Path, dim: int, manifest: dict | None = None) -> VectorStore:
    """The vector file with its manifest entry (IVF needs the nprobe recorded there)."""
    if manifest is None and (root / MANIFEST_NAME).is_file():
        manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    path = root / VEC_NAME
    if not path.exists():
        return VectorStore(dim)
    return VectorStore.load(path, dim, (manifest or {}).get("vectors"))


def new_manifest(model_id: str, fingerprint: str, dim: int, settings: ChunkerSettings,
                 vectors: dict | None = None) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "model": {"id": model_id, "fingerprint": fingerprint, "dim": dim},
        "chunker": settings.to_dict(),
        "vectors": vectors or {"type": EXACT_TYPE, "metric": "cosine"},
        "analyzer": ingest_analyzer(),
    }


def work_dir_for(root: Path) -> Path:
    return root.parent / f".{root.name}.ingest-{os.getpid()}"


def prepare_work_dir(root: Path, rebuild: bool) -> Path:
    """Copy the current index (unless rebuilding) into a fresh temporary sibling directory."""
    work = work_dir_for(root)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if not rebuild and (root / MANIFEST_NAME).is_file():
        for name in (DB_NAME, VEC_NAME, MANIFEST_NAME):
            if (root / name).exists():
                shutil.copy2(root / name, work / name)
    return work


def finish_work_dir(work: Path, root: Path, manifest: dict) -> str | None:
    """Write the manifest, keep feedback given meanwhile, and swap the new index in; returns
    a warning when the old feedback could not be carried over."""
    # the generation tells running readers (Engine) that another index was published
    manifest = {**manifest, "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "generation": uuid.uuid4().hex}
    (work / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    warning = carry_feedback(root / DB_NAME, work / DB_NAME)
    old = root.parent / f".{root.name}.old"
    if old.exists():
        shutil.rmtree(old)
    if root.exists():
        os.replace(root, old)
    os.replace(work, root)
    if old.exists():
        shutil.rmtree(old)
    return warning


def carry_feedback(old_db: Path, new_db: Path) -> str | None:
    """Feedback written to the live index while an ingest ran must survive the swap. A
    damaged old database must not block the rebuild that repairs it: its feedback is then
    left behind, and the returned warning says so."""
    if not old_db.exists() or old_db.stat().st_size == 0:
        return None
    conn = sqlite3.connect(str(new_db))
    try:
        conn.execute("ATTACH DATABASE ? AS old", (str(old_db),))
        with conn:
            conn.execute(
                "INSERT INTO feedback SELECT * FROM old.feedback "
                "WHERE id NOT IN (SELECT id FROM main.feedback)"
            )
        conn.execute("DETACH DATABASE old")
    except sqlite3.DatabaseError as e:
        return (f"Rückmeldungen aus der alten Datenbank {old_db} nicht übernommen (nicht "
                f"lesbar: {e}); der neue Index beginnt ohne sie.")
    finally:
        conn.close()
    return None


def recover_interrupted_swap(root: Path, locked: bool = False) -> None:
    """A crash between the two renames leaves only `.<name>.old`: put it back, unless a live
    writer is between its renames right now (`locked`: the caller is the writer)."""
    old = root.parent / f".{root.name}.old"
    if root.exists() or not old.exists():
        return
    if locked:
        os.replace(old, root)
        return
    with unless_writing(root) as free:
        if free and not root.exists() and old.exists():
            os.replace(old, root)


def work_identity(root: Path, base: dict | None, model_fingerprint: str,
                  settings: ChunkerSettings) -> dict:
    """What a work directory is building (from the live manifest `base`, or from nothing on a
    rebuild): only an ingest of the same kind may continue it."""
    if base is not None:
        base = {"updated": base.get("updated"), "corpus": base.get("corpus_fingerprint")}
    return {"root": str(Path(root).resolve()), "base": base, "model": model_fingerprint,
            "chunker": settings.to_dict()}


def write_checkpoint(work: Path, identity: dict, **state) -> None:
    tmp = work / (CHECKPOINT_NAME + ".tmp")
    tmp.write_text(json.dumps({"identity": identity, **state, "saved_at":
                               time.strftime("%Y-%m-%dT%H:%M:%S%z")}, ensure_ascii=False))
    os.replace(tmp, work / CHECKPOINT_NAME)


def claim_abandoned_work_dir(root: Path, identity: dict) -> Path | None:
    """An interrupted ingest's work directory (its process gone) that was building the same
    thing, renamed to this process's; None when there is none."""
    for stale in abandoned_work_dirs(root):
        try:
            saved = json.loads((stale / CHECKPOINT_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # killed before its first checkpoint: nothing to continue
        if saved.get("identity") == identity:
            work = work_dir_for(root)
            os.replace(stale, work)
            return work
    return None


def abandoned_work_dirs(root: Path) -> list[Path]:
    """Work directories whose ingest is over: its process is gone, or it is this one's (a
    process runs one ingest at a time, so its own leftover is from an interrupted one)."""
    out = []
    for work in sorted(root.parent.glob(f".{root.name}.ingest-*")):
        pid = work.name.rsplit("-", 1)[-1]
        if pid.isdigit() and (int(pid) == os.getpid() or not pid_alive(int(pid))):
            out.append(work)
    return out


def discard_stale_work_dirs(root: Path, keep: Path | None = None) -> None:
    for stale in abandoned_work_dirs(root):
        if stale != keep:
            shutil.rmtree(stale, ignore_errors=True)
