"""`anfragen ingest --ray [ADDRESS]`: the options, and the line it prints."""

from __future__ import annotations

import argparse
from pathlib import Path

from anfragen.errors import AnfragenError
from anfragen.index.ray_ingest import RayOptions, RayStats

LOCAL = "local"


def add_ray_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ray", nargs="?", const=LOCAL, default=None, metavar="ADRESSE",
                   help="Lesen, Parsen und Einbetten auf einem Ray-Cluster (Adresse wie "
                        "'auto' oder 'ray://kopf:10001'; ohne Adresse ein lokaler Ray). "
                        "Pfade vor --ray angeben.")
    p.add_argument("--ray-actors", type=int, default=2,
                   help="so viele Einbettungs-Akteure (je ein geladenes Modell)")
    p.add_argument("--ray-batch-size", type=int, default=32,
                   help="Passagen je Aufruf eines Akteurs")
    p.add_argument("--ray-cpus-per-actor", type=float, default=1.0,
                   help="CPU-Kerne, die Ray je Akteur reserviert")


def ray_options(args) -> RayOptions | None:
    if args.ray is None:
        return None
    if Path(args.ray).exists():
        raise AnfragenError(
            f"--ray erwartet eine Cluster-Adresse, nicht den Pfad {args.ray!r}; Pfade vor "
            f"--ray angeben (anfragen ingest {args.ray} --ray) oder --ray {LOCAL}"
        )
    if args.ray_actors < 1 or args.ray_batch_size < 1:
        raise AnfragenError(
            f"--ray-actors ({args.ray_actors}) und --ray-batch-size ({args.ray_batch_size}) "
            "müssen mindestens 1 sein"
        )
    return RayOptions(address=None if args.ray == LOCAL else args.ray, actors=args.ray_actors,
                      batch_size=args.ray_batch_size, cpus_per_actor=args.ray_cpus_per_actor,
                      model=args.model)


def ray_summary(stats: RayStats) -> str:
    return (f"Ray: {stats.passages} Passagen mit {stats.actors} Akteuren eingebettet in "
            f"{stats.seconds:.1f} s ({stats.passages_per_s:.2f} Passagen/s)")
