"""Plugins: optional parts of notes-builder that own a notes.yaml section and hook into the build.

Modelled on mkdocs' plugins and events. A plugin declares its section (a dataclass plus its allowed choices,
ranges and hints, validated by config.py's one machinery: same messages, notes.yaml line, did-you-mean) and
implements any of the events below; the core calls them and knows nothing else about the plugin:

* `on_placeholders(config) -> dict`: values that placeholders read under `notes.` (before resolve);
* `on_pre_build(config, options)`: before the build reuses or renders anything, e.g. check that recorded
  results still match their inputs (runs on every build, cached or not, so it must stay light);
* `on_doctor(config) -> list[Check]`: `notes doctor`'s checks of what the plugin needs (config: None without
  notes); doctor itself checks the packages of the plugin's `extra`, as optional.

The built-in plugins (training) are listed here and always active. Others are found through the entry-point
group `notes_builder.plugins` and are active when notes.yaml has their section (as mkdocs activates the plugins
its config lists); the built-in ones are declared there too (pyproject.toml). The entry points are read only
when notes.yaml has a key that neither the core nor a built-in plugin owns, and by `notes doctor`. Loading a
plugin must stay light: its heavy dependencies are an extra, imported only by its own command.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notes_builder.errors import UsageError

# The config and the build call the plugins, so this module sits below them and names their types only: a plugin
# receives a config.NotesConfig and a manifest.BuildOptions.
NotesConfig = Any
BuildOptions = Any

ENTRY_POINT_GROUP = "notes_builder.plugins"
BUILTIN_PLUGINS = {"training": "notes_builder.train.plugin:TrainingPlugin"}
# Their sections alone: reading notes.yaml (every command, `notes lint` too) loads only the declaration, and the
# plugin's code (results checks, hashing) only when one of its events fires.
BUILTIN_SECTIONS = {"training": "notes_builder.train.settings:SECTION"}


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

    def on_inputs(self, config: NotesConfig) -> set[Path]:
        """The files `on_pre_build` checks: listed in the build's manifest, so that a change to one of them is
        never taken for "nothing changed"."""
        return set()

    def on_doctor(self, config: NotesConfig | None) -> list[Check]:
        """`config` is None when there are no readable notes (the tools are still checked)."""
        return []


def _resolve(name: str, target: str) -> Any:
    """The object a "module:attribute" target names."""
    module_name, _, attribute = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"plugin '{name}' ({target}) cannot be loaded: {exc}",
                         hint="reinstall the package that provides it, or uninstall it") from None


def _load(name: str, target: str) -> Plugin:
    return _resolve(name, target)()


@functools.cache
def builtin_plugins() -> tuple[Plugin, ...]:
    """The plugins that ship with notes-builder, loaded once per process; always active."""
    return tuple(_load(name, target) for name, target in BUILTIN_PLUGINS.items())


@functools.cache
def installed_plugins() -> tuple[Plugin, ...]:
    """The built-in plugins and those other packages declare as entry points (read only when asked for: reading
    the installed packages' metadata costs tens of milliseconds, more than a no-op build)."""
    from importlib.metadata import entry_points  # deliberately late: see above

    extra = [_load(point.name, point.value) for point in entry_points(group=ENTRY_POINT_GROUP)
             if point.name not in BUILTIN_PLUGINS]
    return (*builtin_plugins(), *sorted(extra, key=lambda plugin: plugin.name))


def section_owner(key: str) -> Plugin | None:
    """The plugin whose notes.yaml section is `key`, if any (installed plugins are looked up only for a key no
    built-in one owns)."""
    for candidates in (builtin_plugins, installed_plugins):
        owner = next((p for p in candidates() if p.section is not None and p.name == key), None)
        if owner is not None:
            return owner
    return None


@functools.cache
def section_of(key: str) -> Section | None:
    """The declaration of the plugin section `key`, if a plugin owns it (a built-in one's without its code)."""
    if key in BUILTIN_SECTIONS:
        return _resolve(key, BUILTIN_SECTIONS[key])
    owner = section_owner(key)
    return owner.section if owner is not None else None


def active_plugins(config: NotesConfig | None) -> tuple[Plugin, ...]:
    """The built-in plugins and those whose section the notes have (all installed ones without notes)."""
    if config is None:
        return installed_plugins()
    named = [section_owner(name) for name in config.plugin_sections]
    return (*builtin_plugins(), *(p for p in named if p is not None and p not in builtin_plugins()))


def placeholder_values(config: NotesConfig) -> dict[str, Any]:
    """The `on_placeholders` event: what every plugin adds under `notes.`."""
    values: dict[str, Any] = {}
    for plugin in active_plugins(config):
        values.update(plugin.on_placeholders(config))
    return values


def plugin_inputs(config: NotesConfig) -> set[Path]:
    """The `on_inputs` event."""
    return {path for plugin in active_plugins(config) for path in plugin.on_inputs(config)}


def pre_build(config: NotesConfig, options: BuildOptions) -> None:
    """The `on_pre_build` event."""
    for plugin in active_plugins(config):
        plugin.on_pre_build(config, options)


def doctor_checks(config: NotesConfig | None) -> list[Check]:
    """The `on_doctor` event."""
    return [check for plugin in active_plugins(config) for check in plugin.on_doctor(config)]
