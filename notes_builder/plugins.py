"""Plugins: optional parts of notes-builder that own a notes.yaml section and hook into the build.

Modelled on mkdocs' plugins and events. A plugin declares its section (a dataclass plus its allowed choices,
ranges and patterns, validated by config.py's one machinery: same messages, notes.yaml line, did-you-mean) and
implements any of the events below; the core calls them and knows nothing else about the plugin:

* `on_placeholders(config) -> dict`: values that placeholders read under `notes.` (before resolve);
* `on_pre_build(config, options)`: before the build reuses or renders anything, e.g. check that recorded
  results still match their inputs (runs on every build, cached or not, so it must stay light);
* `on_doctor(config) -> list[Check]`: `notes doctor`'s checks of what the plugin needs (config: None without
  notes); doctor itself checks the packages of the plugin's `extra`, as optional.

Plugins are found through the entry-point group `notes_builder.plugins` (pyproject.toml). The built-in ones are
also listed here, so an editable install whose metadata predates an entry point still finds them. Loading a
plugin must stay light: its heavy dependencies are an extra, imported only by its own command.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from notes_builder.errors import UsageError

if TYPE_CHECKING:
    from notes_builder.build import BuildOptions
    from notes_builder.config import NotesConfig

ENTRY_POINT_GROUP = "notes_builder.plugins"
BUILTIN_PLUGINS = {"training": "notes_builder.train.plugin:TrainingPlugin"}


@dataclass
class Check:
    """One line of `notes doctor`'s report (the `on_doctor` event returns them)."""

    group: str  # "program", "LaTeX package", "CJK", "Python", "notes", "plugin", "data"
    name: str
    ok: bool
    required: bool = True
    detail: str = ""  # where it was found, or why it is missing
    fix: str = ""  # the command that installs it

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "missing" if self.required else "optional, missing"


@dataclass(frozen=True)
class Section:
    """A plugin's notes.yaml section: its dataclass and the rules of its fields (keyed by field name)."""

    settings: type
    choices: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float | None, bool]] = field(default_factory=dict)  # lowest, highest, lowest ok
    hints: dict[str, str] = field(default_factory=dict)


class Plugin:
    """Base class: a plugin overrides the events it needs; each default does nothing."""

    name: str = ""  # also the key of its notes.yaml section
    section: Section | None = None
    extra: str = ""  # the package's optional extra the plugin's own command needs (doctor checks it, optional)

    def settings(self, config: NotesConfig) -> Any:
        """This plugin's validated section (its defaults when notes.yaml has none)."""
        return config.plugin_sections.get(self.name) or (self.section.settings() if self.section else None)

    def on_placeholders(self, config: NotesConfig) -> dict[str, Any]:
        """By default placeholders see the plugin's settings as `notes.<name>.<field>`."""
        return {self.name: dataclasses.asdict(self.settings(config))} if self.section else {}

    def on_pre_build(self, config: NotesConfig, options: BuildOptions) -> None:
        return None

    def on_doctor(self, config: NotesConfig | None) -> list[Check]:
        """`config` is None when there are no readable notes (the tools are still checked)."""
        return []


def _targets() -> dict[str, str]:
    """name -> "module:attribute" of every plugin: the built-in ones, then the installed entry points."""
    found = dict(BUILTIN_PLUGINS)
    found.update((point.name, point.value) for point in entry_points(group=ENTRY_POINT_GROUP))
    return found


@functools.cache
def plugins() -> tuple[Plugin, ...]:
    """Every plugin, loaded once per process."""
    loaded = []
    for name, target in sorted(_targets().items()):
        module_name, _, attribute = target.partition(":")
        try:
            plugin = getattr(importlib.import_module(module_name), attribute)()
        except (ImportError, AttributeError) as exc:
            raise UsageError(f"plugin '{name}' ({target}) cannot be loaded: {exc}",
                             hint="reinstall the package that provides it, or uninstall it") from None
        loaded.append(plugin)
    return tuple(loaded)


def section_owner(key: str) -> Plugin | None:
    """The plugin whose notes.yaml section is `key`, if any."""
    return next((p for p in plugins() if p.section is not None and p.name == key), None)


def placeholder_values(config: NotesConfig) -> dict[str, Any]:
    """The `on_placeholders` event: what every plugin adds under `notes.`."""
    values: dict[str, Any] = {}
    for plugin in plugins():
        values.update(plugin.on_placeholders(config))
    return values


def pre_build(config: NotesConfig, options: BuildOptions) -> None:
    """The `on_pre_build` event."""
    for plugin in plugins():
        plugin.on_pre_build(config, options)


def doctor_checks(config: NotesConfig | None) -> list[Check]:
    """The `on_doctor` event."""
    return [check for plugin in plugins() for check in plugin.on_doctor(config)]
