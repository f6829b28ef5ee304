"""parse: a document's text and metadata (``SourceDoc``) -> an ``Inquiry``.

Holds the dispatcher (``dispatch.py``), the shared text repairs (``textclean.py``) and one
module per layout family (``bundestag``, ``schriftliche_fragen``, ``niedersachsen``,
``hamburg``, ``openka``, ``saarland``, ``hessen``). Each family exports ``FAMILY``,
``detect(src)`` and ``parse(src)``. ``instructions.py`` recognises sentences that give orders
to a reader or model (prompt injection), for ingest's warnings and the answer stage. May
import only ``anfragen.models`` and ``anfragen.errors``.
"""

from __future__ import annotations

from .dispatch import FAMILIES, PARSER_VERSION, detect_family, fallback, parse_document

__all__ = ["FAMILIES", "PARSER_VERSION", "detect_family", "fallback", "parse_document"]
