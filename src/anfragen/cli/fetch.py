"""`anfragen fetch bundestag`: new answers from the DIP API into a corpus folder, optionally
ingested right away (incrementally: only new or changed files are read)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from anfragen import paths


def add_fetch_parser(sub, common) -> None:
    from anfragen.fetch.dip import BASE_URL, TYPES

    p = sub.add_parser("fetch", parents=[common],
                       help="Neue Antworten abrufen (Bundestag, DIP-API; ANFRAGEN_DIP_KEY)")
    p.add_argument("source", choices=["bundestag"], help="Quelle")
    p.add_argument("--since", default="", help="Dokumentdatum ab (JJJJ-MM-TT)")
    p.add_argument("--until", default="", help="Dokumentdatum bis (JJJJ-MM-TT)")
    p.add_argument("--types", nargs="+", default=["Antwort"], choices=TYPES,
                   help="Drucksachentypen (Standard: Antwort)")
    p.add_argument("--into", type=Path, default=None,
                   help="Zielordner (Standard: fetched/ im Datenverzeichnis)")
    p.add_argument("--ingest", action="store_true", help="danach in den Index aufnehmen")
    p.add_argument("--interval", type=float, default=1.0,
                   help="Sekunden zwischen zwei Anfragen (Standard: 1)")
    p.add_argument("--base-url", default=BASE_URL, help=argparse.SUPPRESS)  # tests, mirrors


def cmd_fetch(args, engine_for) -> int:
    from anfragen.fetch.dip import fetch_bundestag
    from anfragen.fetch.http import PoliteClient

    into = args.into or paths.user_dir() / "fetched"
    client = PoliteClient(args.base_url, min_interval=args.interval)
    report = fetch_bundestag(into, os.environ.get("ANFRAGEN_DIP_KEY", ""), tuple(args.types),
                             args.since, args.until, client=client,
                             progress=lambda msg: print(msg, file=sys.stderr))
    for line in report.without_text:
        print(f"noch ohne Text, beim nächsten Abruf erneut: {line}", file=sys.stderr)
    print(f"{report.summary()} -> {into}")
    if args.ingest:
        print(engine_for(args).ingest([into]).summary())
    else:
        print(f"Aufnehmen in den Index: anfragen ingest {into} --index {args.index}")
    return 0
