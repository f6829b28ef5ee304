"""Bundled data and write targets are found the same way in a checkout and in a wheel
(anfragen.paths); the wheel itself is checked end to end by scripts/wheel_smoke.sh."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from support import ROOT

from anfragen import paths
from anfragen.errors import ReadError
from anfragen.pipeline import Engine


def test_checkout_data_is_found_by_its_pyproject() -> None:
    assert paths.checkout_data() == ROOT / "data"
    assert paths.bundled("corpus") == ROOT / "data" / "corpus"
    assert paths.bundled("embeddings") == ROOT / "data" / "embeddings"


def test_the_wheels_data_package_is_found_as_a_folder(tmp_path, monkeypatch) -> None:
    """As installed by the wheel: site-packages/anfragen_data/corpus, no __init__.py."""
    (tmp_path / "anfragen_data" / "corpus").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(tmp_path))
    paths.wheel_data.cache_clear()
    try:
        assert paths.wheel_data() == tmp_path / "anfragen_data"
        assert tmp_path / "anfragen_data" in paths.data_dirs()
    finally:
        paths.wheel_data.cache_clear()


def test_user_data_dir_wins_for_reading_and_writing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ANFRAGEN_DATA", str(tmp_path))
    assert paths.bundled("corpus") == ROOT / "data" / "corpus"  # not there: the next folder
    (tmp_path / "corpus").mkdir()
    assert paths.bundled("corpus") == tmp_path / "corpus"
    assert paths.write_dir() == tmp_path
    assert paths.calibration_target() == tmp_path / "calibration.json"


def test_without_env_a_checkout_writes_into_its_data(monkeypatch) -> None:
    monkeypatch.delenv("ANFRAGEN_DATA")
    assert paths.write_dir() == ROOT / "data"
    assert paths.calibration_target() == ROOT / "src" / "anfragen" / "answer" / "calibration.json"


def test_own_calibration_is_read_before_the_shipped_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ANFRAGEN_DATA", str(tmp_path))
    shipped = paths.package_calibration()
    assert paths.calibration_file() == shipped and "threshold" in json.loads(shipped.read_text())
    (tmp_path / "calibration.json").write_text('{"threshold": 0.5}')
    assert paths.calibration_file() == tmp_path / "calibration.json"


def test_ingest_without_bundled_corpus_says_where_to_put_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("anfragen.pipeline.DEFAULT_CORPUS", tmp_path / "nirgends" / "corpus")
    with pytest.raises(ReadError, match="ANFRAGEN_DATA") as e:
        Engine(index_dir=tmp_path / "index", model="fake").ingest()
    assert str(tmp_path / "nirgends" / "corpus") in str(e.value)


@pytest.mark.parametrize("src", sorted((ROOT / "src" / "anfragen").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT / "src")))
def test_no_path_is_computed_from_the_source_tree(src: Path) -> None:
    """`Path(__file__).parents[n]` points into site-packages once installed."""
    tree = ast.parse(src.read_text(encoding="utf-8"))
    bad = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute)
           and n.attr == "parents" and "__file__" in ast.unparse(n.value)]
    assert bad == []
