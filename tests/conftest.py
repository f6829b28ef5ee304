"""Shared fixtures: small real corpus folders indexed with the deterministic fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import CORPUS, SMALL

from anfragen.pipeline import Engine


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Tests never write into the user's embedding cache or data directory."""
    monkeypatch.setenv("ANFRAGEN_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    # and never into the user's data directory (feedback, calibration, fetched documents)
    monkeypatch.setenv("ANFRAGEN_DATA", str(tmp_path_factory.getbasetemp() / "user-data"))


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> Path:
    """An index over the small folders, built once per session with FakeEmbedder."""
    base = tmp_path_factory.mktemp("fake")
    eng = Engine(index_dir=base / "index", model="fake")
    eng.ingest([CORPUS / f for f in SMALL])
    eng.close()
    return base / "index"


@pytest.fixture
def fake_engine(fake_index) -> Engine:
    eng = Engine(index_dir=fake_index, model="fake")
    yield eng
    eng.close()
