"""evaluation: how good and how fast the pipeline is, measured.

Holds the metrics of the evaluation contract (``metrics.py``), the dev-set check against
``eval/expected.json`` (``check.py``), configuration comparisons with significance tests
(``compare.py``), abstention calibration (``calibrate.py``), the fixed-size chunking baseline
(``baseline.py``), the BEIR export (``beir.py``), the parser report (``parse_report.py``), the
benchmarks (``bench_speed.py``, ``bench_embedding.py``, ``bench_scale.py``) and what every
report shares: provenance, percentiles, timing, peak RSS, report files (``report.py``).
Functions take typed parameters and return data; they never parse arguments or print.
May import ``pipeline`` and everything below it; never ``cli``.
"""
