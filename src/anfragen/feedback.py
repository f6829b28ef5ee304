"""Visitors' feedback, kept apart from the rebuildable index in its own SQLite file.

The file (default: `feedback.sqlite` beside the index folder, or $ANFRAGEN_FEEDBACK) carries
its schema version in `PRAGMA user_version` and is brought up to date on open, one migration
at a time. Feedback that older versions stored inside the index (`anfragen.sqlite`, table
`feedback`) is copied over on open, once per row (keyed by origin file and row id), so neither
a rebuild of the index nor a second open loses or doubles anything. Each row carries the
session it came from, so a visitor can be shown their own feedback and nobody else's.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
from pathlib import Path

from .errors import AnfragenError

FILE_NAME = "feedback.sqlite"
COLUMNS = "created, query, answer, citations, helpful, reason, config"

# migration n brings a file from version n-1 to n; never edit one that has shipped
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("CREATE TABLE feedback (id INTEGER PRIMARY KEY, created TEXT DEFAULT "
        "(datetime('now')), query TEXT, answer TEXT, citations TEXT, helpful INTEGER, "
        "reason TEXT, config TEXT)",),
    2: ("ALTER TABLE feedback ADD COLUMN session TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE feedback ADD COLUMN origin TEXT",
        "ALTER TABLE feedback ADD COLUMN origin_id INTEGER",
        "CREATE UNIQUE INDEX feedback_origin ON feedback(origin, origin_id)",
        "CREATE INDEX feedback_session ON feedback(session)"),
}
SCHEMA_VERSION = max(MIGRATIONS)


class FeedbackStoreError(AnfragenError):
    """The feedback file cannot be used (written by a newer anfragen, or unreadable)."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    have = schema_version(conn)
    if have > SCHEMA_VERSION:
        raise FeedbackStoreError(
            f"{path} hat Schema-Version {have}, dieses anfragen kennt nur bis "
            f"{SCHEMA_VERSION}; anfragen aktualisieren (pip install -U anfragen)")
    for version in range(have + 1, SCHEMA_VERSION + 1):
        with conn:  # one transaction per step: a crash leaves the file at a known version
            for sql in MIGRATIONS[version]:
                conn.execute(sql)
            conn.execute(f"PRAGMA user_version = {version}")


def legacy_rows(index_db: Path) -> list[tuple]:
    """(id, created, query, …) of the feedback older versions kept inside the index."""
    if not index_db.is_file():
        return []
    conn = sqlite3.connect(f"file:{index_db}?mode=ro", uri=True)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name='feedback'").fetchone():
            return []
        return conn.execute(f"SELECT id, {COLUMNS} FROM feedback ORDER BY id").fetchall()
    except sqlite3.DatabaseError as e:  # a damaged index must not block the feedback store
        warnings.warn(f"{index_db}: ältere Rückmeldungen darin nicht lesbar ({e}); sie werden "
                      "nicht übernommen", stacklevel=2)
        return []
    finally:
        conn.close()


class FeedbackStore:
    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, legacy_index_db: Path | None = None) -> FeedbackStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(str(path), check_same_thread=False)
            conn.row_factory = sqlite3.Row
            migrate(conn, path)
        except sqlite3.DatabaseError as e:
            raise FeedbackStoreError(f"{path} ist keine lesbare Rückmeldungs-Datei ({e}); "
                                     "Datei beiseitelegen, dann wird sie neu angelegt") from e
        store = cls(conn, path)
        if legacy_index_db is not None:
            store.import_legacy(legacy_index_db)
        return store

    def import_legacy(self, index_db: Path) -> int:
        """Copy feedback stored in an index by older versions; returns rows newly copied."""
        origin = str(index_db.resolve())
        rows = [(*r[1:], origin, r[0]) for r in legacy_rows(index_db)]
        before = self.conn.total_changes
        with self.conn:
            self.conn.executemany(
                f"INSERT OR IGNORE INTO feedback ({COLUMNS}, origin, origin_id) "
                "VALUES (?,?,?,?,?,?,?,?,?)", rows)
        return self.conn.total_changes - before

    def add(self, query: str, answer: str, citations: list, helpful: bool, reason: str = "",
            config: dict | None = None, session: str = "") -> int:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO feedback (query, answer, citations, helpful, reason, config, "
                "session) VALUES (?,?,?,?,?,?,?)",
                (query, answer, json.dumps(citations, ensure_ascii=False), int(helpful),
                 reason, json.dumps(config or {}, ensure_ascii=False), session))
        return int(cur.lastrowid)

    def list(self, session: str | None = None) -> list[dict]:
        """All feedback (session None: the operator's overview) or one session's own."""
        q = f"SELECT id, {COLUMNS}, session FROM feedback"
        rows = (self.conn.execute(q + " ORDER BY id") if session is None else
                self.conn.execute(q + " WHERE session = ? ORDER BY id", (session,)))
        return [{**dict(r), "citations": json.loads(r["citations"] or "[]")} for r in rows]

    def close(self) -> None:
        self.conn.close()
