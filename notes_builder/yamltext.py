"""YAML text (notes.yaml, a front matter) to data and the position of each key, with errors at the user's line.

What PyYAML made of a text is kept in the user cache, so a command whose notes.yaml and front matter did not change
since the last one does not import PyYAML at all: its import is 11 ms, a tenth of `notes lint` on a small file,
and what a user edits between two commands is almost always the Markdown, not the YAML. An entry holds the text it
was made from and is used only for that exact text, the same Python and the same PyYAML; it is written with
`marshal`, as Python's own bytecode cache is, and so trusted as that cache is. Data marshal cannot hold (a YAML
date) is simply not kept.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import sys
import zlib
from pathlib import Path
from typing import Any

from notes_builder import __version__
from notes_builder.errors import ConfigError, Location
from notes_builder.places import cache_dir, write_entry

YamlPath = tuple[str | int, ...]
Positions = dict[YamlPath, tuple[int, int]]
KEY = ":key"  # positions[(*path, KEY)] is where the key itself is written; positions[path] is its value
KEEP = 256  # entries kept (a few hundred bytes each)


def parse_yaml(text: str, source: Path, first_line: int = 1) -> tuple[Any, Positions]:
    """Parse YAML, returning data and key positions (1-based line and column); errors name the file and line."""
    entry = _entry_path(text, first_line)
    stamp = _stamp()
    kept = _read_entry(entry, stamp, text, first_line)
    if kept is not None:
        return kept
    data, positions = _parse(text, source, first_line)
    _write_entry(entry, (stamp, text, first_line, data, positions))
    return data, positions


def _parse(text: str, source: Path, first_line: int) -> tuple[Any, Positions]:
    import yaml  # deliberate, for start-up time: only a text not parsed before needs it (see the module's docstring)

    try:
        try:
            fast_loader = getattr(yaml, "CSafeLoader", None)
            if fast_loader is None:
                raise yaml.YAMLError("no libyaml")
            node, data = _compose(text, fast_loader)
        except (yaml.YAMLError, ValueError):  # ValueError: text libyaml cannot take (a lone surrogate)
            node, data = _compose(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else first_line
        column = mark.column + 1 if mark else 0
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", Location(source, line, column),
                          hint="check indentation, and quote values that contain ':' or start with '{' or '\\'",
                          ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", Location(source, first_line)) from None
    if node is None:
        return {}, {}
    positions = {p: (line + first_line - 1, col) for p, (line, col) in _positions(node, yaml).items()}
    return data, positions


# libyaml's parser when PyYAML has it: a tenth of the time. Its error messages and positions differ, so a text it
# rejects is parsed again by PyYAML's own, which words the error (and decides: the two need not agree on what is
# valid).
def _compose(text: str, loader_class: type) -> tuple[Any, Any]:
    """The node tree (positions) and the data built from the same tree, in one pass."""
    loader = loader_class(text)  # may raise too (a ReaderError for a non-printable character)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _positions(node: Any, yaml: Any, path: YamlPath = ()) -> Positions:
    """Map each key path of a composed YAML tree to its (line, column), 1-based."""
    found = {path: (node.start_mark.line + 1, node.start_mark.column + 1)}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            found.update(_positions(value, yaml, child))
            found[(*child, KEY)] = (key.start_mark.line + 1, key.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.update(_positions(item, yaml, (*path, index)))
    return found


def _entry_path(text: str, first_line: int) -> Path:
    encoded = text.encode("utf-8", "surrogatepass")
    return cache_dir() / "yaml" / f"{zlib.crc32(encoded):08x}-{len(encoded)}-{first_line}.marshal"


@functools.cache
def _stamp() -> tuple[Any, ...]:
    """What else an entry depends on: this package's version, Python's, and the PyYAML installed (found on the
    import path without importing it)."""
    installed: tuple[int, int] | None = None
    for folder in sys.path:
        with contextlib.suppress(OSError):
            stat = os.stat(os.path.join(folder or ".", "yaml", "__init__.py"))
            installed = (stat.st_size, stat.st_mtime_ns)
            break
    return (__version__, tuple(sys.version_info), installed)


def _read_entry(path: Path, stamp: tuple[Any, ...], text: str, first_line: int) -> tuple[Any, Positions] | None:
    try:
        with open(path, "rb") as handle:
            kept = marshal.load(handle)
        kept_stamp, kept_text, kept_first_line, data, positions = kept
    except (OSError, EOFError, ValueError, TypeError):  # none yet, another Python's, or not an entry
        return None
    if (kept_stamp, kept_text, kept_first_line) != (stamp, text, first_line):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # just used: trimmed last
    return data, positions


def _write_entry(path: Path, entry: tuple[Any, ...]) -> None:
    """Write atomically (a temporary file renamed over the entry); without a writable cache, keep nothing."""
    try:
        encoded = marshal.dumps(entry)
    except (ValueError, RecursionError):  # a date, or another type marshal cannot hold: parsed again next time
        return
    write_entry(path, encoded, KEEP)
