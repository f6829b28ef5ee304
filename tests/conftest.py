"""Shared fixtures: small real corpus folders indexed with the deterministic fake embedder."""

from __future__ import annotations

from pathlib import Path

import goldens
import pytest
from support import CORPUS, SMALL

from anfragen.pipeline import Engine


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-goldens",
        action="store_true",
        help="rewrite tests/golden/ from the current parser output instead of comparing",
    )


def pytest_configure(config: pytest.Config) -> None:
    goldens.REGEN = config.getoption("--regen-goldens")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    # Say so loudly: with the flag the golden tests compare nothing and always pass.
    if goldens.REGEN:
        changed = goldens.rewritten
        terminalreporter.section("--regen-goldens")
        terminalreporter.write_line(f"goldens not compared; {len(changed)} file(s) rewritten:")
        for path in changed:
            terminalreporter.write_line(f"  {path.relative_to(Path(__file__).parents[1])}")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Tests never write into the user's embedding cache or data directory. Session-wide, so
    that module and session fixtures (which are made before any function fixture) see it too:
    a module fixture that loaded the default model used to convert it into ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANFRAGEN_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        # and never into the user's data directory (feedback, calibration, fetched documents)
        mp.setenv("ANFRAGEN_DATA", str(tmp_path_factory.getbasetemp() / "user-data"))
        yield


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
