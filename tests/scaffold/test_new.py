"""`notes new`: the scaffold builds to PDF and lints clean at once, in English and in Chinese."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from pdfcheck import pdftotext, run_notes

from notes_builder.scaffold import scaffold, slugify


@pytest.mark.parametrize("lang, title, expected", [
    ("en", "Attention: a first look", "The softmax turns"),
    ("zh", "注意力机制 Attention notes", "每一项都为正"),
])
def test_new_project_builds_and_lints_clean(tmp_path, lang, title, expected):
    result = run_notes("new", title, "--lang", lang, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / result.stdout.strip()  # printed relative to the current folder
    assert folder.is_dir() and folder.name == slugify(title)
    config = yaml.safe_load((folder / "notes.yaml").read_text(encoding="utf-8"))
    assert config["title"] == title and config["language"] == lang and config["symbols"]
    section = (folder / "01-introduction.md").read_text(encoding="utf-8")
    lines = section.splitlines()
    box = next(i for i, line in enumerate(lines) if line.startswith("$$ (eq:"))
    assert lines[box + 1].strip() and not lines[box + 1].startswith(("$", "#"))  # the caption, on the next line
    assert "::: symbols" in section and "```python" in section

    out = tmp_path / "out"
    built = run_notes("build", str(folder), "--pdf", "--out", str(out), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    pdf = tmp_path / built.stdout.strip().splitlines()[-1]  # printed relative to the folder it ran in
    assert pdf.exists() and pdf.suffix == ".pdf"
    text = pdftotext(pdf)
    caption = "公式(1)." if lang == "zh" else "Equation(1)."  # in the document's language
    assert expected in text and "def softmax" in text and caption in text.replace(" ", "")
    linted = run_notes("lint", str(folder), cwd=tmp_path)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_new_refuses_a_non_empty_folder(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "keep.md").write_text("my notes\n")
    result = run_notes("new", "Anything", "--dir", str(target), cwd=tmp_path)
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["keep.md"]


def test_new_into_an_empty_folder_and_slugs(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    folder = scaffold("It's \\LaTeX & $math$ #1", directory=target, author="A. O'Brien")
    assert folder == target.resolve()
    config = yaml.safe_load((folder / "notes.yaml").read_text(encoding="utf-8"))
    assert config["author"] == "A. O'Brien" and config["title"] == "It's \\LaTeX & $math$ #1"
    assert slugify("注意力") == "notes"
    assert slugify("  RNNs & LSTMs: Part 2 ") == "rnns-lstms-part-2"


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_author_comes_from_git_config(tmp_path):
    from notes_builder.scaffold import git_author

    expected = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True).stdout.strip()
    assert git_author() == expected


def test_a_chinese_title_keeps_its_name_as_the_folder(tmp_path):
    result = run_notes("new", "注意力机制笔记", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "注意力机制笔记" and (tmp_path / "注意力机制笔记" / "notes.yaml").is_file()
