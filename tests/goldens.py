"""Golden files of the parser tests: one schema for every family, one comparison, one way to renew.

A golden file (tests/golden/<family>/<stem>.json) pins one parsed document: its metadata and,
for every preamble, question and answer, the first and last 60 characters of the text (so a
failure reads as words) and the SHA-1 of the whole text (so a change anywhere in it is caught).
`pytest --regen-goldens` (tests/conftest.py) rewrites the files from the current parser output
instead of comparing; review `git diff tests/golden` before committing what it wrote.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from anfragen.models import Inquiry

EDGE = 60  # characters kept of each text's beginning and of its end
META = (
    "doc_id", "family", "parliament", "wahlperiode", "drucksache", "title", "doc_type",
    "askers", "parties", "answering_body", "date_asked", "date_answered", "url", "fallback",
    "drucksachen", "rule",
)  # fmt: skip
REGEN = False  # set from --regen-goldens by tests/conftest.py
rewritten: list[Path] = []  # files --regen-goldens changed, listed in the terminal summary


def _text(text: str) -> dict:
    return {
        "chars": len(text),
        "start": text[:EDGE],
        "end": text[-EDGE:],
        "sha1": hashlib.sha1(text.encode("utf-8")).hexdigest(),
    }


def _set(**fields: str) -> dict:
    # Per-item asker/party (Schriftliche Fragen) and answering body/date (most families) are set
    # by some parsers only; leaving the empty ones out keeps the files free of blank fields.
    return {key: value for key, value in fields.items() if value}


def golden_of(inq: Inquiry) -> dict:
    """The golden record of a parsed document (see the module docstring)."""
    out = {key: list(v) if isinstance(v := getattr(inq, key), tuple) else v for key in META}
    out["confidence"] = round(inq.confidence, 3)
    out["preambles"] = [{"side": p.side, **_text(p.text)} for p in inq.preambles]
    out["questions"] = [
        {"number": q.number, **_set(asker=q.asker, party=q.party), **_text(q.text)}
        for q in inq.questions
    ]
    out["answers"] = [
        {
            "questions": list(a.questions),
            **_set(answering_body=a.answering_body, date=a.date),
            **_text(a.text),
        }
        for a in inq.answers
    ]
    return out


# How a failure names a unit: a preamble by its side, a question by its number, an answer by
# the questions it answers.
NAMES: dict[str, Callable[[dict], str]] = {
    "preambles": lambda u: u["side"],
    "questions": lambda u: f"number {u['number']}",
    "answers": lambda u: f"to {u['questions']}",
}


def _versus(label: str, want: object, got: object) -> str:
    return f"{label}:\n    want {want!r}\n    got  {got!r}"


def _diff_units(kind: str, want: list, got: list) -> list[str]:
    name = NAMES[kind]
    out = []
    names = [name(u) for u in want], [name(u) for u in got]
    if names[0] != names[1]:
        out.append(_versus(kind, *names))
    for i, (w, g) in enumerate(itertools.zip_longest(want, got)):
        if w == g:
            continue
        if w is None or g is None:
            unit, what = (g, "not pinned") if w is None else (w, "missing")
            out.append(f"{kind}[{i}] {name(unit)} {what}: starts {unit.get('start')!r}")
            continue
        for key in dict.fromkeys([*w, *g]):
            if w.get(key) != g.get(key):
                out.append(_versus(f"{kind}[{i}] {name(w)} {key}", w.get(key), g.get(key)))
    return out


def diff(want: dict, got: dict) -> list[str]:
    """One entry per difference: which field or unit, want against got."""
    out = [_versus(key, want.get(key), got[key]) for key in META if want.get(key) != got[key]]
    for kind in NAMES:
        out += _diff_units(kind, want.get(kind, []), got[kind])
    out += [f"{key}: not part of the schema" for key in want if key not in got]
    return out


def _write(record: dict, path: Path) -> None:
    text = json.dumps(record, ensure_ascii=False, indent=1) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    rewritten.append(path)


def check_golden(inq: Inquiry, path: Path) -> None:
    """Compare the parsed document with its golden file, or rewrite the file (--regen-goldens)."""
    got = golden_of(inq)
    if REGEN:
        _write(got, path)
        return
    if not path.is_file():
        pytest.fail(f"{path} does not exist; write it with pytest --regen-goldens", pytrace=False)
    problems = diff(json.loads(path.read_text(encoding="utf-8")), got)
    if problems:
        advice = "If the change is intended: pytest --regen-goldens, then review git diff."
        text = "\n".join([f"{path.name} differs from the parser output:", *problems, advice])
        pytest.fail(text, pytrace=False)
