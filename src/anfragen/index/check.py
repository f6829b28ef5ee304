"""``anfragen check``: the full verification of an index directory, each problem with its fix.

Beyond what opening an index checks (health.py) this reads everything once: SQLite's own
``PRAGMA integrity_check``, that the FAISS ids are unique and are exactly the ids of the
chunks with a vector of their own, and that the corpus fingerprint in the manifest is that
of the documents in the database.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anfragen.errors import AnfragenError

from . import health, store
from .directory import DB_NAME, MANIFEST_NAME, VEC_NAME, corpus_fingerprint, read_manifest


@dataclass(frozen=True)
class CheckReport:
    root: Path
    problems: tuple[str, ...]
    facts: tuple[str, ...]  # what was verified, for the "all well" output

    @property
    def ok(self) -> bool:
        return not self.problems

    def fix(self) -> str:
        return health.repair_hint(self.root)


def check_index(root: Path) -> CheckReport:
    """Every problem found in the index at `root` (an empty tuple when it is whole)."""
    root = Path(root)
    if not (root / MANIFEST_NAME).is_file() and not (root / DB_NAME).exists():
        return CheckReport(root, (f"Kein Index in {root} (manifest.json fehlt)",), ())
    try:
        manifest = read_manifest(root)
    except AnfragenError as e:
        return CheckReport(root, (str(e).split(". Reparatur")[0],), ())
    problems = health.manifest_problems(manifest)
    if problems:
        return CheckReport(root, tuple(problems), ())
    facts: list[str] = []
    try:
        conn = health.open_database(root, root / DB_NAME)
    except AnfragenError as e:
        return CheckReport(root, (_first(e),), ())
    try:
        problems += database_problems(conn, facts)
        try:
            vectors = health.open_vectors(root, root / VEC_NAME, manifest)
        except AnfragenError as e:
            return CheckReport(root, (*problems, _first(e)), tuple(facts))
        problems += health.count_problems(conn, vectors, manifest)
        problems += vector_problems(conn, vectors.ids(), facts)
        problems += question_vector_problems(conn, manifest, facts)
        if not problems:
            problems += fingerprint_problems(conn, manifest, facts)
    finally:
        conn.close()
    return CheckReport(root, tuple(problems), tuple(facts))


def _first(e: Exception) -> str:
    """The damage message without its repair sentence (the report names the fix once)."""
    return str(e).split(". Reparatur")[0].split(" ist beschädigt: ", 1)[-1]


def database_problems(conn: sqlite3.Connection, facts: list[str]) -> list[str]:
    try:
        rows = store.integrity_errors(conn)
    except sqlite3.DatabaseError as e:
        return [f"anfragen.sqlite: integrity_check bricht ab ({e})"]
    if rows:
        return [f"anfragen.sqlite: integrity_check meldet {len(rows)} Fehler, zuerst: {rows[0]}"]
    facts.append("anfragen.sqlite: integrity_check ok")
    return []


def vector_problems(conn: sqlite3.Connection, ids: np.ndarray, facts: list[str]) -> list[str]:
    problems = []
    unique = np.unique(ids)
    if len(unique) != len(ids):
        problems.append(f"vectors.faiss: {len(ids) - len(unique)} Vektor-IDs doppelt")
    dense = set(store.dense_chunk_ids(conn))
    have = set(unique.tolist())
    if missing := dense - have:
        problems.append(f"{len(missing)} Chunks ohne ihren Vektor (z. B. ID {min(missing)})")
    if extra := have - dense:
        problems.append(f"{len(extra)} Vektoren ohne Chunk (z. B. ID {min(extra)})")
    if not problems:
        facts.append(f"{len(ids)} Vektoren = {len(dense)} Chunks mit eigenem Vektor, IDs eindeutig")
    return problems


def question_vector_problems(conn: sqlite3.Connection, manifest: dict,
                             facts: list[str]) -> list[str]:
    """Question vectors (qvecs.py) belong to chunks with a vector of their own and match the
    manifest's count."""
    n = store.count_question_vectors(conn)
    if not n:
        return []
    problems = []
    if orphans := store.question_vectors_without_chunk(conn):
        problems.append(f"{len(orphans)} Fragenvektoren ohne ihren Chunk (z. B. ID {orphans[0]})")
    want = (manifest.get("counts") or {}).get("question_vectors")
    if want is not None and want != n:
        problems.append(f"anfragen.sqlite hat {n} Fragenvektoren, das Manifest nennt {want}")
    if not problems:
        facts.append(f"{n} Fragenvektoren, jeder zu einem Chunk mit eigenem Vektor")
    return problems


def fingerprint_problems(conn: sqlite3.Connection, manifest: dict,
                         facts: list[str]) -> list[str]:
    want = manifest.get("corpus_fingerprint")
    if want is None:
        return []
    got = corpus_fingerprint(conn)
    if got != want:
        return [f"Korpus-Fingerabdruck der Datenbank ({got[:12]}) weicht vom Manifest "
                f"({want[:12]}) ab"]
    facts.append(f"Korpus-Fingerabdruck {got[:12]} wie im Manifest")
    return []
