"""The core without the `train` extra: `notes build` of committed results works, `notes train-figures` says how
to install the extra. The extra's modules are hidden by a meta path finder installed through sitecustomize, so
this runs in the full test environment and still sees exactly what a core-only install sees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pdfcheck import CONTENT, REPO, pdftotext, run_notes, squash, write_project

from notes_builder.files import sha256_file, write_json
from notes_builder.train import freeze
from notes_builder.train.settings import TrainingConfig

EXTRA = ("torch", "numpy", "scipy", "matplotlib", "pooch")
HIDE_EXTRA = f'''
import sys

class HideTrainExtra:
    """As if the `train` extra were not installed: importing its packages fails."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {EXTRA!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, HideTrainExtra())
'''


@pytest.fixture(scope="module")
def core_only_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    shim = tmp_path_factory.mktemp("hide-extra")
    (shim / "sitecustomize.py").write_text(HIDE_EXTRA)
    path = os.pathsep.join([str(shim), str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {"PYTHONPATH": path, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}
    for name in EXTRA:  # the shim works: none of the extra's packages can be imported
        probe = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True,
                               env={**os.environ, **env})
        assert probe.returncode != 0 and "No module named" in probe.stderr, (name, probe.stderr)
    return env


def test_core_builds_the_committed_results_without_the_extra(core_only_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    built = run_notes("build", CONTENT, "--pdf", "--out", out, env=core_only_env)
    assert built.returncode == 0, built.stderr
    pdf = out / "lstm-notes.pdf"
    assert Path(built.stdout.strip().splitlines()[-1]).resolve() == pdf.resolve()
    metrics = json.loads((CONTENT / "results" / "metrics.json").read_text())
    text = squash(pdftotext(pdf))
    accuracy = metrics["test_accuracy"]  # a number quoted from the committed results: mean ± std over the seeds
    assert f"{100 * accuracy['mean']:.2f} ± {100 * accuracy['std']:.2f} %" in text


def test_train_figures_without_the_extra_says_how_to_install_it(core_only_env: dict[str, str]) -> None:
    for args in ([], ["--check"], ["-q"]):
        result = run_notes("train-figures", CONTENT, *args, env=core_only_env)
        assert result.returncode != 0, result.stdout
        assert "needs the training extra, which is not installed (torch is missing)" in result.stderr
        assert "pip install 'notes-builder[train]'" in result.stderr
        assert "Traceback" not in result.stderr


def test_training_section_is_still_validated_without_the_extra(core_only_env: dict[str, str],
                                                                tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text("title: T\nsections: [a.md]\ntraining:\n  hiden_size: 3\n")
    (tmp_path / "a.md").write_text("# A\n\n{{ notes.training.epochs }} epochs.\n")
    result = run_notes("build", tmp_path, "--out", tmp_path / "out", env=core_only_env)
    assert result.returncode == 1
    assert "notes.yaml:4:3: error: unknown key 'training.hiden_size'" in result.stderr
    assert "did you mean 'hidden_size'?" in result.stderr
    (tmp_path / "notes.yaml").write_text("title: T\nsections: [a.md]\ntraining:\n  epochs: 7\n")
    result = run_notes("build", tmp_path, "--out", tmp_path / "out", env=core_only_env)
    assert result.returncode == 0, result.stderr
    assert "7 epochs." in (tmp_path / "out" / f"{tmp_path.name}.tex").read_text()


def test_stale_results_without_the_extra_name_the_change_and_retrain_asks_for_it(core_only_env: dict[str, str],
                                                                                  tmp_path: Path) -> None:
    data = tmp_path / "data.zip"
    data.write_bytes(b"PK stand-in data")
    notes = write_project(tmp_path / "notes", {
        "notes.yaml": f"title: T\nsections: [a.md]\ntraining:\n  data: {data}\n  hidden_size: 32\n", "a.md": "# A\n"})
    results = notes / "results"
    write_project(results, {"metrics.json": "{}", **{f"{name}.pdf": "%PDF-1.4\n" for name in freeze.FIGURES}})
    recorded = freeze.inputs(TrainingConfig(hidden_size=48), sha256_file(data))
    write_json(results / freeze.RECORD_NAME, freeze.record(recorded, {"torch_version": "2.13.0+cpu", "threads": 1}))
    stale = run_notes("build", notes, "--out", tmp_path / "out", env=core_only_env)
    assert stale.returncode == 1
    assert "recorded training results are stale: config: training.hidden_size changed from 48 to 32" in stale.stderr
    retrain = run_notes("build", notes, "--out", tmp_path / "out", "--retrain", env=core_only_env)
    assert retrain.returncode == 1
    assert "`notes build --retrain` needs the training extra" in retrain.stderr
    assert "pip install 'notes-builder[train]'" in retrain.stderr


def test_no_core_command_imports_the_extra() -> None:
    """The plugin is loaded by every command; loading it and checking results must not import torch & co."""
    code = ("import sys\n"
            "from notes_builder import plugins\n"
            "from notes_builder.build import BuildOptions\n"
            "from notes_builder.config import load_config\n"
            "from notes_builder.doctor import run_doctor\n"
            "config = load_config(sys.argv[1])\n"
            "plugins.pre_build(config, BuildOptions())\n"
            "run_doctor(sys.argv[1])\n"
            f"print(sorted(m for m in sys.modules if m.partition('.')[0] in {EXTRA!r}))\n")
    result = subprocess.run([sys.executable, "-c", code, str(CONTENT)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
