"""answer: ranked hits -> a grounded ``Answer`` with citations, or an abstention.

Holds the extractive answerer with its calibrated threshold (``extractive.py``,
``calibration.json``) and the optional generative mode against a local OpenAI-compatible
server, whose citations are checked before display (``generate.py``). May import ``index``
(for the German text analysis), ``models`` and ``errors``; never retrieval or the faces.
"""

from __future__ import annotations

from .extractive import ABSTAIN_TEXT, CALIBRATION_FILE, AnswerSettings, answer_from_hits

__all__ = ["ABSTAIN_TEXT", "CALIBRATION_FILE", "AnswerSettings", "answer_from_hits"]
