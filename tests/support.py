"""Helpers shared by tests (import as `from support import ...`)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "corpus"
SMALL = ("hessen-seed", "hamburg-ska-archiv-md", "openka-cli-fixtures",
         "kleineanfragen-fixture-saarland")


def copy_corpus(dest: Path, folders=SMALL) -> Path:
    """A private copy of some corpus folders (with the corpus marker), so tests may edit it."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(CORPUS / "SOURCES.md", dest / "SOURCES.md")
    for f in folders:
        shutil.copytree(CORPUS / f, dest / f)
    return dest
