"""anfragen: grounded question answering over German parliamentary written inquiries.

The public API is small: ``Engine`` (open an index, ingest, search, ask), ``Filters`` and
``RetrievalConfig``. They are imported on first use, so ``import anfragen`` stays fast and
loads neither FAISS nor a model.

The package reads as the pipeline (see ``../shared/DESIGN.md``):
``read`` -> ``parse/`` -> ``chunk`` -> ``embed/`` -> ``index/`` -> ``retrieve`` -> ``answer/``,
wired together by ``pipeline.Engine``; ``evaluation/`` measures it and ``cli/`` (with the
Streamlit ``app.py`` beside the package) faces the user. Imports run one way only, from the
faces down to ``models``/``errors``; the layers are checked by import-linter
(``[tool.importlinter]`` in pyproject.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Engine", "Filters", "RetrievalConfig", "__version__"]

if TYPE_CHECKING:
    from .pipeline import Engine
    from .retrieve import Filters, RetrievalConfig


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from .pipeline import Engine

        return Engine
    if name in ("Filters", "RetrievalConfig"):
        from . import retrieve

        return getattr(retrieve, name)
    raise AttributeError(f"module 'anfragen' has no attribute {name!r}")
