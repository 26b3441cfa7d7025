"""The freeze record: what makes recorded results stale, and what never does."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from pdfcheck import run_notes

from notes_builder.config import load_config
from notes_builder.errors import StaleResultsError
from notes_builder.files import sha256_file, write_json
from notes_builder.train import data as har
from notes_builder.train import freeze
from notes_builder.train.freeze import FIGURES
from notes_builder.train.results import check_results, ensure_results
from notes_builder.train.settings import TrainingConfig, training_settings

TRAIN_CODE = Path(har.__file__).resolve().parent


def test_hash_changes_with_config_data_and_code(tmp_path: Path) -> None:
    base = freeze.inputs(TrainingConfig(), "a" * 64)
    wider = freeze.inputs(dataclasses.replace(TrainingConfig(), hidden_size=64), "a" * 64)
    other_data = freeze.inputs(TrainingConfig(), "b" * 64)
    assert len({freeze.digest(base), freeze.digest(wider), freeze.digest(other_data)}) == 3
    assert freeze.explain(base, wider) == ["config: training.hidden_size changed from 48 to 64"]
    assert freeze.explain(base, other_data)[0].startswith("data: SHA-256 changed")

    copy = tmp_path / "train"
    shutil.copytree(TRAIN_CODE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert freeze.code_hashes(copy) == freeze.code_hashes()
    model = copy / "model.py"
    model.write_text(model.read_text().replace("h[:, -1]", "h[:, -2]"))
    changed = {**base, "code": freeze.code_hashes(copy)}
    assert freeze.digest(changed) != freeze.digest(base)
    assert freeze.explain(base, changed) == ["code: notes_builder/train/model.py changed"]


def test_where_the_data_lives_and_how_many_threads_run_it_are_not_inputs() -> None:
    base = freeze.inputs(TrainingConfig(), "a" * 64)
    moved = dataclasses.replace(TrainingConfig(), data="/elsewhere/HAPT.zip", threads=2, device="cpu")
    assert freeze.digest(freeze.inputs(moved, "a" * 64)) == freeze.digest(base)


@pytest.fixture
def recorded_notes(tmp_path: Path, monkeypatch) -> Path:
    """A notes folder whose results were recorded against its current inputs (no training needed)."""
    monkeypatch.delenv("NOTES_DATA", raising=False)
    data = tmp_path / "data.zip"
    data.write_bytes(b"PK stand-in data")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.yaml").write_text(f"title: t\nsections: [a.md]\ntraining:\n  data: {data}\n  hidden_size: 32\n")
    (notes / "a.md").write_text("# Prose\n\nSome words.\n")
    config = load_config(notes)
    results = config.results_dir
    results.mkdir()
    write_json(results / "metrics.json", {"test_accuracy": 0.99})
    for name in FIGURES:
        (results / f"{name}.pdf").write_bytes(b"%PDF-1.4\n")
    write_json(results / freeze.RECORD_NAME, freeze.record(freeze.inputs(training_settings(config), sha256_file(data))))
    return notes


def test_prose_edits_keep_results_current(recorded_notes: Path) -> None:
    assert check_results(load_config(recorded_notes)).current
    (recorded_notes / "a.md").write_text("# Prose\n\nOther words entirely, and $x^2$ too.\n")
    report = check_results(load_config(recorded_notes))
    assert report.current, report.message()
    assert ensure_results(load_config(recorded_notes)).current


def test_config_edit_is_explained(recorded_notes: Path) -> None:
    yaml = recorded_notes / "notes.yaml"
    yaml.write_text(yaml.read_text().replace("hidden_size: 32", "hidden_size: 48"))
    config = load_config(recorded_notes)
    report = check_results(config)
    assert not report.current
    assert report.changes == ["config: training.hidden_size changed from 32 to 48"]
    with pytest.raises(StaleResultsError, match="hidden_size") as error:
        ensure_results(config)
    assert "notes train-figures" in error.value.hint


def test_data_change_is_explained(recorded_notes: Path, tmp_path: Path, monkeypatch) -> None:
    other = tmp_path / "other.zip"
    other.write_bytes(b"PK other data")
    monkeypatch.setenv("NOTES_DATA", str(other))  # the environment beats training.data
    report = check_results(load_config(recorded_notes))
    assert not report.current and report.changes[0].startswith("data: SHA-256 changed")


def test_missing_results_are_stale(tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text("title: t\nsections: [a.md]\n")
    (tmp_path / "a.md").write_text("# A\n")
    report = check_results(load_config(tmp_path))
    assert not report.current and "no recorded results" in report.changes[0]


def test_a_rebuild_with_nothing_else_changed_still_sees_new_data(recorded_notes: Path, tmp_path: Path) -> None:
    """The data is among the build's inputs (the training plugin lists what it checks), so even the no-op path
    that reads no notes.yaml sees the change, and the freshness check says what changed."""
    out = tmp_path / "out"
    first = run_notes("build", recorded_notes, "--pdf", "--out", out, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert first.returncode == 0, first.stderr
    data = Path(training_settings(load_config(recorded_notes)).data)
    data.write_bytes(b"PK replaced data")
    second = run_notes("build", recorded_notes, "--pdf", "--out", out, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert second.returncode == 1, second.stderr
    assert "recorded training results are stale: data: SHA-256 changed" in second.stderr
    # the hint's commands name these notes, so they can be pasted as they are
    assert f"run `notes train-figures {recorded_notes}` (or `notes build {recorded_notes} --retrain`)" in second.stderr


def _record_outputs(notes: Path, torch_version: str) -> Path:
    """Rewrite the fixture's record as a run writes it: with its outputs' hashes and its environment."""
    config = load_config(notes)
    results = config.results_dir
    record = freeze.read_record(results / freeze.RECORD_NAME)
    outputs = freeze.output_hashes(results, list(freeze.EXPECTED_OUTPUTS))
    write_json(results / freeze.RECORD_NAME,
               freeze.record(record.inputs, {"torch_version": torch_version, "threads": 1}, outputs))
    return results


def test_the_build_does_not_judge_the_torch_version_train_figures_check_does(recorded_notes: Path) -> None:
    _record_outputs(recorded_notes, "1.0.0-elsewhere")
    config = load_config(recorded_notes)
    assert check_results(config).current  # what `notes build` checks: no torch needed
    report = check_results(config, environment=True)  # `notes train-figures --check`
    assert report.changes == [f"torch version changed from 1.0.0-elsewhere to {freeze.environment()['torch_version']}"]


def test_a_replaced_or_missing_output_breaks_the_contract(recorded_notes: Path) -> None:
    results = _record_outputs(recorded_notes, freeze.environment()["torch_version"])
    assert check_results(load_config(recorded_notes), environment=True).current
    write_json(results / "metrics.json", {"test_accuracy": 1.0})
    report = check_results(load_config(recorded_notes))
    assert report.changes == ["results: metrics.json is not the file the run wrote"]
    (results / "loss_curve.pdf").unlink()
    report = check_results(load_config(recorded_notes))
    assert report.changes == ["no recorded results: loss_curve.pdf missing"]


def test_version_1_records_keep_the_torch_version_out_of_the_inputs(tmp_path: Path) -> None:
    values = freeze.inputs(TrainingConfig(), "a" * 64)
    path = tmp_path / freeze.RECORD_NAME
    write_json(path, {"version": 1, "hash": "x", "inputs": {**values, "torch_version": "2.13.0+cpu"}})
    record = freeze.read_record(path)
    assert record.inputs == values and record.environment == {"torch_version": "2.13.0+cpu"}
    assert not record.outputs
    assert freeze.explain(record.inputs, values) == []
