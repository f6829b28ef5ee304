"""`anfragen bench`: speed (default), embedding settings (--embedding) or scale (--scale).

Arguments are parsed and reports written and printed here; the measuring is done in
``anfragen.evaluation.bench_speed``, ``bench_embedding`` and ``bench_scale``.
"""

from __future__ import annotations

from pathlib import Path

from anfragen.evaluation.report import write_report

from .progress import Bar


def add_bench_parser(sub, common) -> None:
    p = sub.add_parser("bench", parents=[common],
                       help="Geschwindigkeit messen (Index muss existieren)")
    p.add_argument("--queries", type=Path, default=Path("eval/datasets/dev/queries.jsonl"),
                   help="Fragen, deren Antwortzeit gemessen wird")
    p.add_argument("--corpus", type=Path, default=None, help="für den Parse-Durchsatz")
    p.add_argument("--embed-sample", type=int, default=64,
                   help="so viele indexierte Passagen für den Einbettungsdurchsatz")
    p.add_argument("--out", type=Path, default=Path("eval/results"), help="Berichtsordner")
    p.add_argument("--scale", default=None, metavar="N,M",
                   help="Skalierung messen: Testindexe dieser Größen (Vektoren, z. B. "
                        "100000,1M) aus dem Index replizieren; schreibt scale-<Datum>.md/json")
    p.add_argument("--embedding", action="store_true",
                   help="Einbettungs-Einstellungen nebeneinander messen (Stichprobe: "
                        "--embed-sample); schreibt embedding-<Datum>.md/json")
    p.add_argument("--embed-quality", action="store_true",
                   help="mit --embedding: zusätzlich Dev-Qualität je Token-Grenze (bettet die "
                        "längeren Passagen neu ein; auf 2 Kernen etwa eine halbe Stunde)")
    p.add_argument("--scale-dir", type=Path, default=None, help="Arbeitsordner für --scale")
    p.add_argument("--scale-sigma", type=float, default=0.01,
                   help="Rauschen je Dimension für replizierte Vektoren")


def cmd_bench(args, engine_for) -> int:
    if args.scale:
        from anfragen.evaluation import bench_scale

        result = bench_scale.scale_bench(
            Path(args.index), bench_scale.parse_sizes(args.scale), args.queries,
            model=args.model, workdir=args.scale_dir, sigma=args.scale_sigma)
        print(write_report(args.out, "scale", result, bench_scale.render))
        return 0
    if args.embedding:
        from anfragen.evaluation import bench_embedding

        with Bar() as bar:
            result = bench_embedding.embedding_bench(
                Path(args.index), args.model, args.embed_sample, args.queries,
                with_quality=args.embed_quality, workdir=args.scale_dir, progress=bar.update)
        print(write_report(args.out, "embedding", result, bench_embedding.render))
        return 0
    from anfragen.evaluation import bench_speed

    result = bench_speed.speed_bench(engine_for(args), args.queries, args.embed_sample,
                                     args.corpus)
    print(write_report(args.out, "bench", result, bench_speed.render))
    return 0
