"""scripts/finetune_e5.py (issue 13, step 3): pairs and folds from a real index (fake
embedder), the loss, and a few training steps of the real model (slow)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from anfragen.index.directory import Index

SCRIPT = Path(__file__).parents[1] / "scripts" / "finetune_e5.py"


def load_script():
    spec = importlib.util.spec_from_file_location("finetune_e5", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def ft():
    return load_script()


def test_question_labels_are_dropped(ft):
    assert ft.plain_question("Frage 3a: Wie viele?\nFrage 4: Und wo?") == "Wie viele? Und wo?"


def test_no_held_out_document_is_trained_on_and_negatives_share_the_document(ft, fake_index):
    idx = Index.open(fake_index)
    units = ft.units_of(idx.conn)
    idx.close()
    docs = {u.doc_id for u in units}
    assert len(docs) > 3 and all(u.question and u.answer for u in units)
    folds = 3
    seen_held: set = set()
    for fold in range(folds):
        data, held = ft.examples(units, fold, folds, seed=1)
        assert held == {d for d in docs if ft.fold_of(d, folds) == fold}
        seen_held |= held
        train_answers = {f"passage: {u.answer}" for u in units if u.doc_id not in held}
        assert {e.positive for e in data} <= train_answers
        assert all(e.negative in train_answers and e.negative != e.positive for e in data)
        # a document with several units gives its own answers as hard negatives
        doc_of = {f"passage: {u.answer}": u.doc_id for u in units}
        same = [doc_of[e.negative] == doc_of[e.positive] for e in data]
        assert sum(same) > len(same) / 2
    assert seen_held == docs  # every document is held out exactly once over the folds
    again, _ = ft.examples(units, 0, folds, seed=1)
    assert again == ft.examples(units, 0, folds, seed=1)[0]  # reproducible


def test_info_nce_rewards_the_matching_answer(ft):
    torch = pytest.importorskip("torch")
    q = torch.eye(4)[:2]
    good = ft.info_nce(q, torch.eye(4)[:2], torch.eye(4)[2:])
    bad = ft.info_nce(q, torch.eye(4)[[1, 0]], torch.eye(4)[2:])
    assert float(good) < 1e-3 < float(bad)


@pytest.mark.slow
def test_a_few_steps_of_the_real_model_train_and_save(ft, fake_index, tmp_path):
    from sentence_transformers import SentenceTransformer

    from anfragen.embed.sentence_transformer import default_model_path

    idx = Index.open(fake_index)
    data, _ = ft.examples(ft.units_of(idx.conn), 0, 5, seed=13)
    idx.close()
    model = SentenceTransformer(str(default_model_path()), device="cpu")
    model.max_seq_length = 32
    losses = ft.train(model, data, steps=2, batch=2, lr=2e-5, seed=13, log=lambda _: None)
    assert len(losses) == 2 and all(0 < x < 10 for x in losses)
    model.save(str(tmp_path / "m"))
    assert (tmp_path / "m" / "modules.json").is_file()
