"""The `notes` command: a group whose commands are loaded when they run (click's documented LazyGroup).

`notes --version` imports click alone, and each command imports only its own stage: `notes lint` no renderer,
`notes build` nothing beyond the configuration while its manifest says nothing changed. `COMMANDS` is the one
place in the package that loads code by name (besides the optional training extra, which its own module loads).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from notes_builder import __version__
from notes_builder.gcpause import no_collection_pauses

with no_collection_pauses():  # click's import, as a command's below: the collector's passes over it are wasted
    import click

# command name -> "module:attribute". Names with a ':' are not commands: they are the heavy halves a command
# loads only when it needs them (`build:plan`: read notes.yaml, when the record of the last build does not answer;
# `build:stale`: parse, render and compile, when the manifest says something changed).
COMMANDS = {
    "build": "notes_builder.commands.build:build",
    "lint": "notes_builder.commands.lint:lint",
    "watch": "notes_builder.commands.watch:watch",
    "doctor": "notes_builder.commands.doctor:doctor",
    "new": "notes_builder.commands.new:new",
    "train-figures": "notes_builder.commands.train:train_figures_command",
    "build:plan": "notes_builder.plan:plan_and_reuse",
    "build:stale": "notes_builder.build:build_stale",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported from `COMMANDS` when one is run (or listed by --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if ":" not in name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if ":" in cmd_name or cmd_name not in COMMANDS:
            return None
        return self.load(cmd_name)

    def load(self, name: str) -> Any:
        """Import `name`'s module without the cyclic collector: an import allocates much and frees almost nothing,
        so the collector's passes over it are wasted (5 ms of `notes lint`'s start)."""
        module, _, attribute = COMMANDS[name].partition(":")
        with no_collection_pauses():
            return getattr(importlib.import_module(module), attribute)

    def deferred(self, name: str) -> Callable[..., Any]:
        """`name`'s function, imported only when it is called."""
        return lambda *args: self.load(name)(*args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="notes")
def cli() -> None:
    """Technical study notes (YAML + Markdown + LaTeX math) to a checked, compiled PDF."""


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
