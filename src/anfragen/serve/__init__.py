"""The HTTP face of anfragen: a FastAPI application (``api.py``) that answers the same
questions as the command line, in the same JSON shapes (``anfragen.serialize``), for scripts,
a newsroom CMS or an intranet. ``anfragen serve`` runs it with uvicorn.

Like cli/ and app.py this package only calls ``anfragen.pipeline.Engine`` (no SQL, no index
internals) and is the one place that turns domain exceptions into HTTP status codes with
German messages. It may import the pipeline and everything below it; nothing imports it
except cli/ (which starts it).
"""

from __future__ import annotations
