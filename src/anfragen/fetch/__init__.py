"""Keeping the corpus current: fetchers that download new documents from a parliament's API
into a corpus folder (text files plus an `index.jsonl` metadata sidecar, the layout that
``anfragen.read`` reads), which ``anfragen ingest`` then adds incrementally.

``dip.py`` is the Bundestag's DIP API (cursor pagination, rate limiting, retries, resumable
via a state file, a check that the API honoured the filters). The package imports only
``anfragen.paths`` and ``anfragen.errors``; the CLI (cli/fetch.py) drives it. Nothing below
the pipeline imports it: the index never talks to the network.
"""

from __future__ import annotations
