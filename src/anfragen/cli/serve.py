"""`anfragen serve`: the HTTP API (anfragen.serve) under uvicorn, on loopback by default."""

from __future__ import annotations

import sys


def add_serve_parser(sub, common) -> None:
    p = sub.add_parser("serve", parents=[common], help="HTTP-Schnittstelle starten (FastAPI)")
    p.add_argument("--host", default="127.0.0.1",
                   help="Adresse (Standard: 127.0.0.1, nur dieser Rechner; 0.0.0.0 für alle)")
    p.add_argument("--port", type=int, default=8000, help="Port (Standard: 8000)")


def cmd_serve(args, engine_for) -> int:
    import uvicorn

    from anfragen.serve.api import create_app

    engine = engine_for(args)
    if not engine.has_index():
        print(f"Hinweis: kein Index in {engine.index_dir}; die Schnittstelle antwortet mit 503, "
              "bis anfragen ingest gelaufen ist", file=sys.stderr)
    print(f"anfragen: http://{args.host}:{args.port}/docs beschreibt die Schnittstelle",
          file=sys.stderr)
    # one process: the index and the model are loaded once and shared by all requests
    uvicorn.run(create_app(engine), host=args.host, port=args.port, log_level="warning")
    return 0
