"""The training plugin: how the core finds it, and its notes.yaml section validated like the core's."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from pdfcheck import REPO, config_error, where, write_project

from notes_builder import plugins
from notes_builder.build import BuildOptions
from notes_builder.config import load_config
from notes_builder.doctor import run_doctor
from notes_builder.train.plugin import TrainingPlugin
from notes_builder.train.settings import TrainingConfig, training_settings


def test_registered_as_an_entry_point_and_built_in() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = project["project"]["entry-points"][plugins.ENTRY_POINT_GROUP]
    assert declared == {"training": "notes_builder.train.plugin:TrainingPlugin"} == plugins.BUILTIN_PLUGINS
    assert "torch" not in " ".join(project["project"]["dependencies"])
    assert any(r.startswith("torch>=2.1,<2.15") for r in project["project"]["optional-dependencies"]["train"])
    found = [p for p in plugins.installed_plugins() if p.name == "training"]
    assert len(found) == 1 and isinstance(found[0], TrainingPlugin) and found[0] in plugins.builtin_plugins()
    assert plugins.section_owner("training") is found[0]
    assert plugins.section_of("training") is found[0].section  # BUILTIN_SECTIONS names the same declaration


def test_section_is_validated_with_the_core_machinery(tmp_path: Path) -> None:
    write_project(tmp_path, {"notes.yaml": "title: T\nsections: [a.md]\ntraining:\n  task: running\n"
                                           "  epochs: 0\n  hiden_size: 3\n", "a.md": "# A\n"})
    error = config_error(tmp_path)
    assert where(error) == "notes.yaml:4:3"
    assert error.message == "'training.task' must be one of walking, dynamic, six, not 'running'"
    others = [(d.location.line, d.message, d.hint) for d in error.diagnostics]
    assert (5, "'training.epochs' must be at least 1, not 0", None) in others
    assert (6, "unknown key 'training.hiden_size'", "did you mean 'hidden_size'?") in others


def test_a_misspelt_section_name_is_matched_against_the_plugins_sections(tmp_path: Path) -> None:
    write_project(tmp_path, {"notes.yaml": "title: T\nsections: [a.md]\ntrainig:\n  epochs: 3\n", "a.md": "# A\n"})
    error = config_error(tmp_path)
    assert (where(error), error.message, error.hint) == ("notes.yaml:3:1", "unknown key 'trainig'",
                                                         "did you mean 'training'?")


def test_absent_section_gives_the_defaults_and_placeholders_see_them(tmp_path: Path) -> None:
    write_project(tmp_path, {"notes.yaml": "title: T\nsections: [a.md]\n", "a.md": "# A\n"})
    config = load_config(tmp_path)
    assert "training" not in config.plugin_sections
    assert training_settings(config) == TrainingConfig()
    assert plugins.placeholder_values(config)["training"]["epochs"] == TrainingConfig().epochs


@pytest.mark.parametrize("text", ["training: 3\n", "training: [1]\n"])
def test_section_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    write_project(tmp_path, {"notes.yaml": f"title: T\nsections: [a.md]\n{text}", "a.md": "# A\n"})
    error = config_error(tmp_path)
    assert error.message == "'training' must be a mapping of options" and where(error) == "notes.yaml:3:11"


def test_an_unknown_section_says_plugins_must_be_installed_and_doctor_lists_them(tmp_path: Path) -> None:
    write_project(tmp_path, {"notes.yaml": "title: T\nsections: [a.md]\nglossary:\n  style: apa\n",
                             "a.md": "# A\n"})
    error = config_error(tmp_path)
    assert (where(error), error.message) == ("notes.yaml:3:1", "unknown key 'glossary'")
    assert "known keys: " in error.hint and "training" in error.hint
    assert "a plugin's section needs the plugin installed" in error.hint
    listed = [c for c in run_doctor(REPO / "content").checks if c.group == "plugin"]
    assert [(c.name, c.ok) for c in listed] == [("training", True)]
    assert "notes_builder.train.plugin.TrainingPlugin" in listed[0].detail and "`train` extra" in listed[0].detail


@dataclass
class GreetingSettings:
    words: int = 3
    tone: str = "plain"


class GreetingPlugin(plugins.Plugin):
    """A stand-in for a plugin another package declares under the `notes_builder.plugins` entry points."""

    name = "greeting"
    section = plugins.Section(GreetingSettings, choices={"tone": ("plain", "warm")}, ranges={"words": (1, 10, True)},
                              hints={"tone": "plain or warm"})

    def __init__(self) -> None:
        self.built: list[str] = []

    def on_pre_build(self, config, options) -> None:
        self.built.append(config.title)


@pytest.fixture
def greeting(monkeypatch: pytest.MonkeyPatch):
    plugin = GreetingPlugin()
    monkeypatch.setattr(plugins, "installed_plugins", lambda: (*plugins.builtin_plugins(), plugin))
    plugins.section_of.cache_clear()
    yield plugin
    plugins.section_of.cache_clear()


def test_an_installed_plugin_owns_its_section_and_acts_when_the_notes_name_it(greeting: GreetingPlugin,
                                                                                tmp_path: Path) -> None:
    write_project(tmp_path, {"notes.yaml": "title: T\nsections: [a.md]\ngreeting:\n  words: 11\n  tone: loud\n",
                             "a.md": "# A\n"})
    error = config_error(tmp_path)
    assert (where(error), error.message) == ("notes.yaml:4:3", "'greeting.words' must be between 1 and 10, not 11")
    assert [(d.message, d.hint) for d in error.diagnostics] == [
        ("'greeting.tone' must be one of plain, warm, not 'loud'", "plain or warm")]
    write_project(tmp_path, {"notes.yaml": "title: T\nsections: [a.md]\ngreeting:\n  words: 2\n"})
    config = load_config(tmp_path)
    assert config.plugin_sections["greeting"] == GreetingSettings(words=2)
    assert plugins.placeholder_values(config)["greeting"] == {"words": 2, "tone": "plain"}
    plugins.pre_build(config, BuildOptions())
    assert greeting.built == ["T"]
    write_project(tmp_path, {"notes.yaml": "title: U\nsections: [a.md]\n"})
    unnamed = load_config(tmp_path)
    assert greeting not in plugins.active_plugins(unnamed) and "greeting" not in plugins.placeholder_values(unnamed)
    plugins.pre_build(unnamed, BuildOptions())
    assert greeting.built == ["T"]
