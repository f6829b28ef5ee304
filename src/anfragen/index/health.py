"""Checks that turn a damaged index directory into one German message with the fix.

Opening an index runs the cheap checks (``manifest_problems``, ``open_database``,
``open_vectors``, ``count_problems``): a broken manifest.json, a missing or zero-byte
anfragen.sqlite (SQLite would silently create an empty one), an unreadable or truncated
vectors.faiss, and files whose counts disagree with the manifest. ``anfragen check`` adds the
expensive ones (see check.py). Every failure is an IndexDamagedError whose message names
the file, what is wrong with it and the repair (``anfragen ingest --rebuild``, which builds
from the source files and never reads the damaged database).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from anfragen.errors import IndexDamagedError

from . import store
from .vectors import VectorStore


def repair_hint(root: Path) -> str:
    return (f"Reparatur: anfragen ingest <Quellordner> --rebuild --index {root} (baut den Index "
            "aus den Quelldateien neu; die beschädigten Dateien werden nicht gebraucht).")


def damaged(root: Path, what: str) -> IndexDamagedError:
    return IndexDamagedError(f"Index {root} ist beschädigt: {what}. {repair_hint(root)}")


def load_manifest(path: Path) -> dict:
    """The manifest as a dict; a file that is not a JSON object is damage, not a crash."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise damaged(path.parent, f"{path.name} ist kein lesbares JSON ({e})") from e
    if not isinstance(data, dict):
        raise damaged(path.parent, f"{path.name} enthält kein JSON-Objekt")
    return data


def manifest_problems(m: dict) -> list[str]:
    """What the manifest lacks of the fields every reader relies on."""
    problems = []
    model = m.get("model")
    if not isinstance(model, dict) or not all(k in model for k in ("id", "fingerprint", "dim")):
        problems.append("manifest.json: Eintrag 'model' (id, fingerprint, dim) fehlt")
    elif not isinstance(model["dim"], int) or model["dim"] <= 0:
        problems.append(f"manifest.json: model.dim ist {model['dim']!r}, keine positive Zahl")
    if not isinstance(m.get("chunker"), dict):
        problems.append("manifest.json: Eintrag 'chunker' fehlt")
    counts = m.get("counts")
    if counts is not None and not (isinstance(counts, dict) and all(
            isinstance(counts.get(k), int) for k in ("documents", "chunks", "vectors"))):
        problems.append("manifest.json: Eintrag 'counts' ist unvollständig")
    return problems


def open_database(root: Path, path: Path) -> sqlite3.Connection:
    """A connection to an existing, non-empty SQLite file (never a freshly created one)."""
    if not path.is_file():
        raise damaged(root, f"{path.name} fehlt")
    if path.stat().st_size == 0:
        raise damaged(root, f"{path.name} ist leer (0 Bytes)")
    try:
        conn = store.connect(path)
        store.count_rows(conn, "documents")
    except sqlite3.DatabaseError as e:
        raise damaged(root, f"{path.name} ist keine lesbare SQLite-Datenbank ({e})") from e
    return conn


def open_vectors(root: Path, path: Path, manifest: dict) -> VectorStore:
    """The vector file; missing is fine only for an index that has no vectors."""
    dim = int(manifest["model"]["dim"])
    expected = (manifest.get("counts") or {}).get("vectors")
    if not path.exists():
        if expected:
            raise damaged(root, f"{path.name} fehlt (das Manifest nennt {expected} Vektoren)")
        return VectorStore(dim)
    if path.stat().st_size == 0:
        raise damaged(root, f"{path.name} ist leer (0 Bytes)")
    try:
        return VectorStore.load(path, dim, manifest.get("vectors"))
    except (RuntimeError, ValueError) as e:  # faiss reports a truncated file as RuntimeError
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise damaged(root, f"{path.name} ist nicht lesbar ({first[:200]})") from e


def count_problems(conn: sqlite3.Connection, vectors: VectorStore, manifest: dict) -> list[str]:
    """Counts of the files against the manifest's (cheap: one count and ntotal)."""
    counts = manifest.get("counts")
    if not isinstance(counts, dict):
        return []
    problems = []
    docs = store.count_rows(conn, "documents")
    if counts.get("documents") is not None and docs != counts["documents"]:
        problems.append(f"anfragen.sqlite hat {docs} Dokumente, das Manifest nennt "
                        f"{counts['documents']}")
    if counts.get("vectors") is not None and vectors.ntotal != counts["vectors"]:
        problems.append(f"vectors.faiss hat {vectors.ntotal} Vektoren, das Manifest nennt "
                        f"{counts['vectors']}")
    return problems
