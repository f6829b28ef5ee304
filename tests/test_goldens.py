"""The golden-file helper itself: a change anywhere in a text fails, and says where."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import goldens
import pytest

from anfragen.parse import parse_document
from anfragen.read import read_file

ROOT = Path(__file__).resolve().parents[1] / "data" / "corpus"
SEED = ROOT / "hessen-seed" / "HE_20_hessenconnect-2-0.txt"


def _changed_question(number: int, text_of):
    inq = parse_document(read_file(SEED, ROOT))
    questions = tuple(
        dataclasses.replace(q, text=text_of(q.text)) if q.number == number else q
        for q in inq.questions
    )
    return inq, dataclasses.replace(inq, questions=questions)


def test_a_change_in_the_middle_is_caught_by_the_hash_alone() -> None:
    # Question 5 has 132 characters: its middle lies outside the pinned first and last 60.
    inq, changed = _changed_question(5, lambda t: t[:66] + "X" + t[67:])
    assert len(inq.questions[4].text) > 2 * goldens.EDGE
    problems = goldens.diff(goldens.golden_of(inq), goldens.golden_of(changed))
    assert len(problems) == 1 and problems[0].startswith("questions[4] number 5 sha1:")


def test_a_changed_end_shows_want_and_got(tmp_path: Path, monkeypatch) -> None:
    inq, changed = _changed_question(2, lambda t: t + " Bis wann?")
    path = tmp_path / "seed.json"
    monkeypatch.setattr(goldens, "REGEN", True)
    monkeypatch.setattr(goldens, "rewritten", [])
    goldens.check_golden(inq, path)
    assert goldens.rewritten == [path]
    monkeypatch.setattr(goldens, "REGEN", False)
    goldens.check_golden(inq, path)  # what was written compares equal
    with pytest.raises(pytest.fail.Exception) as err:
        goldens.check_golden(changed, path)
    message = str(err.value)
    assert "questions[1] number 2 end:" in message
    assert "zur Verfügung stellen? Bis wann?'" in message and "chars" in message
