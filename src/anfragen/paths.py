"""Where anfragen finds its bundled data and where it may write, installed or not.

Reading (the bundled corpus, the embedding cache, the calibration), the first that has it:
  1. the user data directory: $ANFRAGEN_DATA, else platformdirs' user data dir
     (Linux: ~/.local/share/anfragen), which `anfragen` creates when it first writes;
  2. the data shipped inside the wheel (the `anfragen_data` package);
  3. the source checkout's data/ (found by looking for its pyproject.toml, not by counting
     parent folders, so a moved or installed package never points into a foreign tree).
Writing (`eval calibrate --write`, `cache-export`, feedback, fetched documents) goes to the
checkout's data/ when running from a checkout (the files are committed there) and otherwise to
the user data directory, never into site-packages. $ANFRAGEN_DATA wins in both cases.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
from functools import cache
from pathlib import Path

APP = "anfragen"
PACKAGE_DATA = "anfragen_data"  # data/ of the checkout, installed as a package by the wheel
CALIBRATION = "calibration.json"


def user_dir() -> Path:
    """$ANFRAGEN_DATA or the platform's user data directory (not created here)."""
    env = os.environ.get("ANFRAGEN_DATA")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP, appauthor=False))


@cache
def checkout_data() -> Path | None:
    """data/ of the source checkout this package runs from, None when installed."""
    here = Path(str(importlib.resources.files(APP)))
    for folder in here.parents:
        if (folder / "pyproject.toml").is_file() and (folder / "src" / APP).is_dir():
            data = folder / "data"
            return data if data.is_dir() else None
    return None


@cache
def wheel_data() -> Path | None:
    """The `anfragen_data` package's folder when the wheel shipped it. It has no __init__.py
    (it is the checkout's data/), so it is a namespace package: its folder comes from the
    import spec (importlib.resources would give a MultiplexedPath, not a folder)."""
    spec = importlib.util.find_spec(PACKAGE_DATA)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def data_dirs() -> list[Path]:
    """The folders searched for bundled data, in order."""
    return [d for d in (user_dir(), wheel_data(), checkout_data()) if d is not None]


def bundled(name: str) -> Path:
    """`name` (corpus, embeddings) in the first data folder that has it; when none has it,
    the path in the user data directory, so messages name where to put it."""
    for d in data_dirs():
        if (d / name).exists():
            return d / name
    return user_dir() / name


def write_dir() -> Path:
    """Where commands write data: $ANFRAGEN_DATA, the checkout's data/, or the user data
    directory (created)."""
    if not os.environ.get("ANFRAGEN_DATA") and checkout_data() is not None:
        return checkout_data()
    path = user_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_calibration() -> Path:
    """The calibration shipped with the package (package data of anfragen.answer)."""
    return Path(str(importlib.resources.files(APP) / "answer" / CALIBRATION))


def calibration_file() -> Path:
    """The calibration to read: one written by `eval calibrate --write` into the user data
    directory, else the one shipped with the package."""
    own = user_dir() / CALIBRATION
    return own if own.is_file() else package_calibration()


def calibration_target() -> Path:
    """Where `eval calibrate --write` writes: the package file in a checkout (committed),
    else the user data directory."""
    if not os.environ.get("ANFRAGEN_DATA") and checkout_data() is not None:
        return package_calibration()
    return write_dir() / CALIBRATION
