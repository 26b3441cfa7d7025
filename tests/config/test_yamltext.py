"""YAML parsing with its cache (notes_builder.yamltext): the same data, positions and errors from the cache as from
PyYAML, and a command whose YAML did not change does not import PyYAML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from notes_builder import yamltext
from notes_builder.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
TEXT = ("title: Gates\nauthor: [Ada, Grace]\nmacros:\n  R: '\\mathbb{R}'\nlint:\n  ignore: [NB101]\n"
        "ratio: 0.5\nok: yes\n")


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "notes-builder" / "yaml"


def test_a_kept_parse_gives_what_pyyaml_gave(own_cache):
    first = yamltext.parse_yaml(TEXT, Path("notes.yaml"), first_line=2)
    assert len(list(own_cache.iterdir())) == 1
    again = yamltext.parse_yaml(TEXT, Path("notes.yaml"), first_line=2)
    assert again == first
    data, positions = again
    assert data["ok"] is True and data["ratio"] == 0.5 and data["author"] == ["Ada", "Grace"]
    assert positions[("macros", "R")] == (5, 6) and positions[("macros", "R", yamltext.KEY)] == (5, 3)
    assert yamltext._parse(TEXT, Path("notes.yaml"), 2) == first  # PyYAML itself, no cache


def test_an_entry_serves_only_its_own_text_and_first_line(own_cache):
    yamltext.parse_yaml("a: 1\n", Path("x.md"), first_line=2)
    assert yamltext.parse_yaml("a: 1\n", Path("x.md"), first_line=5)[1][("a",)] == (5, 4)
    entry = next(own_cache.iterdir())
    # another text written over the entry's name (a crc32 collision) is not taken for this one
    entry.write_bytes(__import__("marshal").dumps((yamltext._stamp(), "a: 2\n", 2, {"a": 2}, {})))
    assert yamltext.parse_yaml("a: 1\n", Path("x.md"), first_line=2)[0] == {"a": 1}


def test_a_broken_entry_is_parsed_again(own_cache):
    yamltext.parse_yaml(TEXT, Path("notes.yaml"))
    for entry in own_cache.iterdir():
        entry.write_bytes(b"\x00garbage")
    assert yamltext.parse_yaml(TEXT, Path("notes.yaml"))[0]["title"] == "Gates"


def test_a_date_is_parsed_every_time_not_kept(own_cache):
    data, _ = yamltext.parse_yaml("date: 2026-12-05\n", Path("notes.yaml"))
    assert str(data["date"]) == "2026-12-05"
    assert not own_cache.exists() or not list(own_cache.iterdir())


def test_errors_come_from_pyyaml_and_are_not_kept(own_cache):
    for _ in range(2):
        with pytest.raises(ConfigError) as caught:
            yamltext.parse_yaml("title: [unclosed\n", Path("notes.yaml"), first_line=3)
        assert caught.value.location.line == 4
    assert not own_cache.exists() or not list(own_cache.iterdir())


def test_an_unwritable_cache_only_costs_the_parse(monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/no-cache-here")
    assert yamltext.parse_yaml(TEXT, Path("notes.yaml"))[0]["title"] == "Gates"


def test_lint_of_an_unchanged_front_matter_does_not_import_pyyaml(tmp_path):
    """What the cache is for: the second `notes lint` of a file whose front matter did not change."""
    note = tmp_path / "note.md"
    note.write_text("---\ntitle: Gates\nmacros:\n  R: '\\mathbb{R}'\n---\n\n# Gates\n\n$x \\in \\R$\n",
                    encoding="utf-8")
    probe = ("import sys, runpy; sys.argv = ['notes', 'lint', sys.argv[1]]\n"
             "try:\n    runpy.run_module('notes_builder', run_name='__main__')\n"
             "except SystemExit as end:\n    print('yaml' in sys.modules, end.code)\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    runs = [subprocess.run([sys.executable, "-c", probe, str(note)], capture_output=True, text=True, env=env,
                           check=False) for _ in range(2)]
    assert [run.stdout.split()[-2:] for run in runs] == [["True", "0"], ["False", "0"]], runs
    note.write_text(note.read_text(encoding="utf-8").replace("$x", "$y"), encoding="utf-8")  # the body edited
    edited = subprocess.run([sys.executable, "-c", probe, str(note)], capture_output=True, text=True, env=env,
                            check=False)
    assert edited.stdout.split()[-2:] == ["False", "0"], edited
