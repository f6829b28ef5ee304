"""Command line: anfragen parse | parse-report | ingest | ask | stats | feedback | eval | bench.

Only this module (and app.py) turns domain exceptions into messages for people.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import AnfragenError


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--parliament", action="append", default=[], help="z. B. 'Deutscher Bundestag'")
    p.add_argument("--since", default="", help="Antwortdatum ab (JJJJ-MM-TT)")
    p.add_argument("--until", default="", help="Antwortdatum bis (JJJJ-MM-TT)")
    p.add_argument("--party", action="append", default=[], help="Fraktion der Fragesteller")
    p.add_argument("--body", action="append", default=[], help="antwortende Stelle (Teilstring)")
    p.add_argument("--doc-type", action="append", default=[], help="Dokumenttyp")


def _filters(args):
    from .retrieve import Filters

    return Filters(
        parliaments=tuple(args.parliament),
        since=args.since,
        until=args.until,
        parties=tuple(args.party),
        answering_bodies=tuple(args.body),
        doc_types=tuple(args.doc_type),
    )


def _engine(args):
    from .pipeline import Engine

    return Engine(index_dir=Path(args.index), model=getattr(args, "model", None))


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="anfragen", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="Dokumente parsen und Struktur zeigen")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--json", action="store_true", help="JSON Lines, ein Objekt je Dokument")
    p.add_argument("--root", type=Path, default=None, help="Wurzel für doc_ids")

    p = sub.add_parser("parse-report", help="Parser-Statistik je Familie")
    p.add_argument("dir", type=Path, nargs="?", default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--details", action="store_true", help="auffällige Dokumente auflisten")

    p = sub.add_parser("ingest", help="Index bauen/aktualisieren")
    p.add_argument("paths", nargs="*", type=Path)
    p.add_argument("--index", default="index")
    p.add_argument(
        "--model", default=None, help="sentence-transformers-Modell (Standard: e5-small)"
    )
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--prune", action="store_true")
    p.add_argument("--sentence-vectors", action="store_true",
                   help="fehlende Satzvektoren einbetten (Satzwahl nach Bedeutung; langsam)")

    p = sub.add_parser("ask", help="Eine Frage stellen")
    p.add_argument("query")
    p.add_argument("--index", default="index")
    p.add_argument("--model", default=None)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"])
    p.add_argument("--generate", action="store_true", help="generativ über ANFRAGEN_LLM_URL")
    p.add_argument("--json", action="store_true")
    _add_filters(p)

    p = sub.add_parser("stats", help="Index-Statistik")
    p.add_argument("--index", default="index")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("feedback", help="Rückmeldungen exportieren (JSON Lines)")
    p.add_argument("--index", default="index")

    p = sub.add_parser("cache-export", help="Embedding-Cache des Index nach data/embeddings")
    p.add_argument("--index", default="index")
    p.add_argument("--to", type=Path, default=None)

    from .bench import add_bench_parser
    from .evaluate import add_eval_parser

    add_eval_parser(sub)
    add_bench_parser(sub)
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
    from .parse import parse_document
    from .read import corpus_root, read_with_sidecar
    from .serialize import inquiry_json, inquiry_text

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
        inq = parse_document(src)
        if args.json:
            print(json.dumps(inquiry_json(inq), ensure_ascii=False))
        else:
            print(inquiry_text(inq))
    return 1 if failed else 0


def cmd_parse_report(args) -> int:
    from .parse_report import report_dir

    return report_dir(args.dir, as_json=args.json, details=args.details)


def cmd_ingest(args) -> int:
    from .progress import Bar

    eng = _engine(args)
    with Bar() as bar:
        eng.get_embedder(progress=bar.status)
        report = eng.ingest(
            args.paths or None, rebuild=args.rebuild, prune=args.prune, progress=bar.update,
            sentence_vectors=args.sentence_vectors,
        )
    for _path, reason in report.failed:
        print(f"übersprungen: {reason}", file=sys.stderr)
    for doc_id in report.fallbacks:
        print(
            f"Hinweis: {doc_id}: Format nicht erkannt, als ein Abschnitt indexiert", file=sys.stderr
        )
    print(report.summary())
    return 1 if report.failed else 0


def cmd_ask(args) -> int:
    from .retrieve import RetrievalConfig
    from .serialize import answer_json, answer_text

    eng = _engine(args)
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
    st = _engine(args).stats()
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


def cmd_feedback(args) -> int:
    for row in _engine(args).list_feedback():
        print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_cache_export(args) -> int:
    import numpy as np

    from .embcache import BUNDLED_DIR, export_bundled, text_key
    from .index import Index

    idx = Index.open(Path(args.index))
    fp = idx.manifest["model"]["fingerprint"]
    rows = idx.conn.execute("SELECT id, text FROM chunks WHERE vec_id = id ORDER BY id").fetchall()
    vecs = idx.vectors.index.reconstruct_batch([r[0] for r in rows]) if rows else None
    keys = [text_key(fp, r[1]) for r in rows]
    from .sentvecs import all_vectors

    texts, svecs = all_vectors(idx.conn)  # sentence vectors share the cache (sentvecs.py)
    if svecs is not None:
        known = set(keys)
        extra = [i for i, t in enumerate(texts) if text_key(fp, t) not in known]
        keys += [text_key(fp, texts[i]) for i in extra]
        vecs = svecs[extra] if vecs is None else np.concatenate(
            [np.asarray(vecs, np.float32), svecs[extra].astype(np.float32)])
    written = export_bundled(keys, vecs, args.to or BUNDLED_DIR, fp)
    print(f"{len(keys)} Vektoren; {len(written)} Dateien neu geschrieben")
    return 0


COMMANDS = {
    "parse": cmd_parse,
    "parse-report": cmd_parse_report,
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "stats": cmd_stats,
    "feedback": cmd_feedback,
    "cache-export": cmd_cache_export,
}


def cmd_eval(args) -> int:
    from .evaluate import cmd_eval as run_eval

    return run_eval(args)


def cmd_bench(args) -> int:
    from .bench import run_bench

    return run_bench(args)


COMMANDS["eval"] = cmd_eval
COMMANDS["bench"] = cmd_bench

if __name__ == "__main__":
    sys.exit(main())
