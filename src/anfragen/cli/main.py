"""Command line: anfragen parse | parse-report | ingest | ask | check | stats | feedback |
cache-export | eval | bench | serve | app | fetch.

Only this package (and app.py) turns domain exceptions into messages for people.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from anfragen.errors import AnfragenError, ModelError

from .bench import add_bench_parser, cmd_bench
from .eval import add_eval_parser, cmd_eval
from .fetch import add_fetch_parser, cmd_fetch
from .ingest_ray import add_ray_options, ray_options, ray_summary
from .serve import add_serve_parser, cmd_serve
from .webapp import add_app_parser, cmd_app

MAX_K = 100


def hit_count(text: str) -> int:
    """--k: a whole number from 1 to MAX_K (a negative k used to return 5 hits silently)."""
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} ist keine ganze Zahl (1 bis {MAX_K})") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"{k} liegt nicht zwischen 1 und {MAX_K}")
    return k


def iso_date(text: str) -> str:
    """--since/--until: a date as JJJJ-MM-TT ("gestern" used to match nothing, silently)."""
    from datetime import date

    try:
        return date.fromisoformat(text.strip()).isoformat() if text.strip() else ""
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} ist kein Datum der Form JJJJ-MM-TT (z. B. 2024-05-31)") from None


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--parliament", action="append", default=[], help="z. B. 'Deutscher Bundestag'")
    p.add_argument("--since", default="", type=iso_date, help="Antwortdatum ab (JJJJ-MM-TT)")
    p.add_argument("--until", default="", type=iso_date, help="Antwortdatum bis (JJJJ-MM-TT)")
    p.add_argument("--party", action="append", default=[], help="Fraktion der Fragesteller")
    p.add_argument("--body", action="append", default=[], help="antwortende Stelle (Teilstring)")
    p.add_argument("--doc-type", action="append", default=[], help="Dokumenttyp")


def _filters(args):
    from anfragen.retrieve import Filters

    return Filters(
        parliaments=tuple(args.parliament),
        since=args.since,
        until=args.until,
        parties=tuple(args.party),
        answering_bodies=tuple(args.body),
        doc_types=tuple(args.doc_type),
    )


def open_engine(args):
    """The engine named by --index and --model."""
    from anfragen.pipeline import Engine

    return Engine.open(args.index, args.model)


def package_version() -> str:
    try:
        return version("anfragen")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unbekannt (nicht installiert)"


def common_options() -> argparse.ArgumentParser:
    """--index and --model, declared once and shared by every subcommand that opens an index."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", default="index", help="Indexordner (Standard: index)")
    common.add_argument("--model", default=None,
                        help="sentence-transformers-Modell (Standard: e5-small, offline)")
    return common


class Parser(argparse.ArgumentParser):
    """argparse with its complaint in German words around it ("error:" -> "Fehler:")."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        message = message.replace("argument ", "Argument ", 1)
        self.exit(2, f"{self.prog}: Fehler: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    ap = Parser(prog="anfragen", description=__doc__.splitlines()[0])
    ap.add_argument("--version", action="version", version=f"anfragen {package_version()}")
    sub = ap.add_subparsers(dest="command", required=True)
    common = common_options()

    p = sub.add_parser("parse", help="Dokumente parsen und Struktur zeigen")
    p.add_argument("files", nargs="+", type=Path, help="Dateien (.txt, .md, .json, .pdf)")
    p.add_argument("--json", action="store_true", help="JSON Lines, ein Objekt je Dokument")
    p.add_argument("--root", type=Path, default=None, help="Wurzel für doc_ids")

    p = sub.add_parser("parse-report", help="Parser-Statistik je Familie")
    p.add_argument("dir", type=Path, nargs="?", default=None,
                   help="Korpusordner (Standard: der mitgelieferte Korpus)")
    p.add_argument("--json", action="store_true", help="als JSON")
    p.add_argument("--details", action="store_true", help="auffällige Dokumente auflisten")

    p = sub.add_parser("ingest", parents=[common], help="Index bauen/aktualisieren")
    p.add_argument("paths", nargs="*", type=Path,
                   help="Dateien oder Ordner (Standard: der mitgelieferte Korpus)")
    p.add_argument("--rebuild", action="store_true", help="Index von Grund auf neu bauen")
    p.add_argument("--prune", action="store_true",
                   help="Dokumente entfernen, deren Dateien nicht mehr da sind")
    p.add_argument("--sentence-vectors", action=argparse.BooleanOptionalAction, default=True,
                   help="Satzvektoren, die der mitgelieferte Cache nicht hat, einbetten (Standard; "
                        "Umordnung und Satzwahl nach Bedeutung; etwa 9 Minuten je 10.000 neue "
                        "Passagen auf 2 Kernen). --no-sentence-vectors: schneller, neue "
                        "Dokumente dann nur nach Wörtern")
    p.add_argument("--wait", type=float, default=10.0, metavar="SEKUNDEN",
                   help="so lange auf ein laufendes Einlesen desselben Index warten "
                        "(Standard: 10)")
    add_ray_options(p)

    p = sub.add_parser("ask", parents=[common], help="Eine Frage stellen")
    p.add_argument("query", help="die Frage, auf Deutsch")
    p.add_argument("--k", type=hit_count, default=10,
                   help=f"so viele Treffer zeigen (1 bis {MAX_K})")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"],
                   help="Suchmodus (Standard: hybrid)")
    p.add_argument("--generate", action="store_true", help="generativ über ANFRAGEN_LLM_URL")
    p.add_argument("--json", action="store_true", help="als JSON (Schlüssel nach DESIGN.md)")
    _add_filters(p)

    p = sub.add_parser("check", parents=[common], help="Index auf Beschädigung prüfen")
    p.add_argument("--json", action="store_true", help="als JSON")

    p = sub.add_parser("stats", parents=[common], help="Index-Statistik")
    p.add_argument("--json", action="store_true", help="als JSON")

    sub.add_parser("feedback", parents=[common], help="Rückmeldungen exportieren (JSON Lines)")

    p = sub.add_parser("cache-export", parents=[common],
                       help="Embedding-Cache des Index nach data/embeddings")
    p.add_argument("--to", type=Path, default=None,
                   help="Zielordner (Standard: data/embeddings im Checkout, installiert: "
                        "embeddings im Datenverzeichnis, siehe README)")

    add_eval_parser(sub, common)
    add_bench_parser(sub, common)
    add_serve_parser(sub, common)
    add_app_parser(sub, common)
    add_fetch_parser(sub, common)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(COMMANDS[args.command](args) or 0)
    except AnfragenError as e:
        print(f"Fehler: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resume = (" Derselbe Aufruf setzt das Einlesen dort fort, wo es stand."
                  if args.command == "ingest" else "")
        print(f"Abgebrochen. Der vorherige Index ist unverändert.{resume}", file=sys.stderr)
        return 130


def cmd_parse(args) -> int:
    from anfragen.parse import parse_document
    from anfragen.read import corpus_root, read_with_sidecar
    from anfragen.serialize import inquiry_json, inquiry_text

    failed = 0
    sidecars: dict[Path, dict] = {}
    for f in args.files:
        root = args.root or corpus_root(f, f.parent)
        try:
            src = read_with_sidecar(f, root, sidecars)
        except AnfragenError as e:
            print(f"Fehler: {e}", file=sys.stderr)
            failed += 1
            continue
        for note in src.warnings:
            print(f"Warnung: {note}", file=sys.stderr)
        inq = parse_document(src)
        if args.json:
            print(json.dumps(inquiry_json(inq), ensure_ascii=False))
        else:
            print(inquiry_text(inq))
    return 1 if failed else 0


def cmd_parse_report(args) -> int:
    from anfragen.evaluation.parse_report import report_dir, table_lines
    from anfragen.pipeline import DEFAULT_CORPUS

    report = report_dir(args.dir or DEFAULT_CORPUS)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(table_lines(report.rows)))
        print(report.timing_line())
        if args.details:
            print("\n".join(report.details()))
    for line in report.unreadable:
        print(f"nicht lesbar: {line}", file=sys.stderr)
    for line in report.crashed:
        print(f"Parser-Absturz: {line}", file=sys.stderr)
    return 1 if report.crashed else 0


def background(work):
    """Run `work()` in a thread now; the returned function waits for it and gives the exception
    it raised (None when it went through)."""
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as e:  # handed to the caller, who reports or re-raises it
            errors.append(e)

    thread = threading.Thread(target=run, name="anfragen-prepare", daemon=True)
    thread.start()

    def wait() -> BaseException | None:
        thread.join()
        return errors[0] if errors else None

    return wait


def cmd_ingest(args) -> int:
    from .progress import Bar

    eng = open_engine(args)
    options = ray_options(args)
    with Bar() as bar:
        eng.get_embedder(progress=bar.status)
        # the query model's one-time ONNX export runs beside the ingest (which parses on one
        # core), so the first question after it does not pay for it
        prepared = background(eng.prepare_query_path)
        if options is None:
            report = eng.ingest(
                args.paths or None, rebuild=args.rebuild, prune=args.prune,
                progress=bar.update, lock_wait_s=args.wait,
                sentence_vectors=args.sentence_vectors,
            )
        else:
            report, ray_stats = eng.ingest_ray(args.paths or None, options, rebuild=args.rebuild,
                                               prune=args.prune, progress=bar.update)
        error = prepared()
        if isinstance(error, ModelError):  # the index is built; only the fast path is missing
            print(f"Warnung: schneller Fragepfad nicht bereit: {error}. Fragen gehen trotzdem, "
                  "langsamer, mit ANFRAGEN_QUERY_BACKEND=torch", file=sys.stderr)
        elif error is not None:
            raise error
    for line in report.warnings:
        print(f"Warnung: {line}", file=sys.stderr)
    if options is not None:
        print(ray_summary(ray_stats))
    for _path, reason in report.failed:
        print(f"übersprungen: {reason}", file=sys.stderr)
    for doc_id in report.fallbacks:
        print(
            f"Hinweis: {doc_id}: Format nicht erkannt, als ein Abschnitt indexiert", file=sys.stderr
        )
    print(report.summary())
    return 1 if report.failed else 0


def cmd_ask(args) -> int:
    from anfragen.retrieve import RetrievalConfig
    from anfragen.serialize import answer_json, answer_text

    eng = open_engine(args)
    ans = eng.ask(
        args.query,
        RetrievalConfig(mode=args.mode, k=args.k),
        _filters(args),
        generate=args.generate,
    )
    if args.json:
        print(json.dumps(answer_json(ans), ensure_ascii=False, indent=2))
    else:
        print(answer_text(ans))
    return 0


def cmd_stats(args) -> int:
    st = open_engine(args).stats()
    if args.json:
        print(json.dumps(st, ensure_ascii=False, indent=2))
        return 0
    c, m = st["counts"], st["manifest"]
    print(
        f"Index {st['index']}: {c['documents']} Dokumente, {c['chunks']} Chunks, "
        f"{c['vectors']} Vektoren; Modell {m['model']['id']} ({m['model']['dim']} Dim.)"
    )
    for p in st["parliaments"]:
        print(f"  {p['parliament'] or '(unbekannt)'}: {p['documents']} ({p['from']} – {p['to']})")
    return 0


def cmd_check(args) -> int:
    from anfragen.index.check import check_index

    rep = check_index(Path(args.index))
    if args.json:
        print(json.dumps({"index": str(rep.root), "ok": rep.ok, "problems": list(rep.problems),
                          "checked": list(rep.facts), "fix": None if rep.ok else rep.fix()},
                         ensure_ascii=False, indent=2))
    elif rep.ok:
        print(f"Index {rep.root} ist in Ordnung: " + "; ".join(rep.facts))
    else:
        print(f"Index {rep.root}: {len(rep.problems)} Problem(e)", file=sys.stderr)
        for line in rep.problems:
            print(f"  - {line}", file=sys.stderr)
        print(rep.fix(), file=sys.stderr)
    return 0 if rep.ok else 2


def cmd_feedback(args) -> int:
    for row in open_engine(args).list_feedback():
        print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_cache_export(args) -> int:
    n, written = open_engine(args).export_embeddings(args.to)
    print(f"{n} Vektoren; {len(written)} Dateien neu geschrieben")
    return 0


COMMANDS = {
    "parse": cmd_parse,
    "parse-report": cmd_parse_report,
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "check": cmd_check,
    "stats": cmd_stats,
    "feedback": cmd_feedback,
    "cache-export": cmd_cache_export,
    "eval": lambda args: cmd_eval(args, open_engine),
    "bench": lambda args: cmd_bench(args, open_engine),
    "serve": lambda args: cmd_serve(args, open_engine),
    "app": cmd_app,
    "fetch": lambda args: cmd_fetch(args, open_engine),
}

if __name__ == "__main__":
    sys.exit(main())
