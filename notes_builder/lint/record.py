"""The record of the last plain `notes lint` of a command line: a rerun whose inputs are all as they were repeats
its findings without parsing anything (ruff's cache; manifest.py is the build's).

`notes lint` on a small file is mostly imports (click, markdown-it, the rules). A rerun on notes that did not change
(an editor linting a file it opens, a pre-commit hook, a second terminal) finds the record first, and imports
neither the parser nor the rules. The record is used only while all the findings could depend on is as it was:
- the command line: working folder, home folder, paths, --select, --ignore, --unsafe-fixes, NOTES_* settings;
- the code: notes-builder's files (size and time of each), Python, the folders of the import path (a package
  installed or removed), and the file of every other module the run loaded (markdown-it, its plugins, PyYAML,
  bibtexparser, a notes-builder plugin);
- every file the run read (notes.yaml, front matters, sections, `.bib` files, pyproject.toml), by content (reads.py);
- what it looked for, by what it found (a file, a folder, nothing) and where links lead: the paths, the files the
  notes name (sections, `.bib` files, template folder, project root as written and as found), the Markdown files
  a folder search found, and notes.yaml, .git and pyproject.toml in every folder above them;
- every folder below a folder path (where Markdown files are found), by time: a file made or removed there
  changes it.
Only plain runs are recorded and replayed: --fix, --diff, --interactive and --compile always run; --no-cache lints
afresh (and records). A run records nothing when one of those folders changed or such a file appeared while it
looked, when a file could not be read or changed between two reads, when a folder could not be listed, or when the
settings of a notes file could not be loaded. Unrelated changes (a file made in /tmp or in the home folder) leave a
record valid.
"""

from __future__ import annotations

import contextlib
import functools
import json
import marshal
import os
import stat as stat_module
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from notes_builder import __version__, reads
from notes_builder.errors import Diagnostic, Fix, Location
from notes_builder.lint.results import LintOptions, LintReport
from notes_builder.places import cache_dir, write_entry

KEEP = 64  # records kept (command lines), a few kB each
# what the run looks for in a folder and its parents (config.CONFIG_NAME, find_project_root's .git, pyproject.toml)
_LOOKED_FOR = ("notes.yaml", ".git", "pyproject.toml")
CONFIG_NAME = _LOOKED_FOR[0]
# a folder changed this little before the run began may have changed during it: the file system's clock is coarser
# than time.time_ns() (a tick, up to 10 ms), so such a run records nothing rather than what it may have missed
_CLOCK_SLACK_NS = 20_000_000


def lint_recorded(paths: Sequence[str | os.PathLike], options: LintOptions,
                  confirm: Callable[[Diagnostic], str] | None = None, fix: bool = False,
                  replay: bool = True) -> LintReport:
    """lint.run.lint_paths, or (`replay`) the findings its record kept when nothing they depend on has changed
    since. A plain run (no fixing, no compiling) is recorded either way."""
    plain = not (fix or options.compile)
    if plain and replay and (report := replayed(paths, options)) is not None:
        return report
    from notes_builder.lint.run import lint_paths  # deliberate, for start-up time: the parser and the rules

    began = time.time_ns()
    with reads.recording() as read:
        report = lint_paths(paths, options, confirm=confirm, fix=fix)
    if plain:
        remember(paths, options, report, read, began)
    return report


def replayed(paths: Sequence[str | os.PathLike], options: LintOptions) -> LintReport | None:
    """The findings the record of this command line kept, if everything they depend on is as it was; else None."""
    key = _key(paths, options)
    path = _record_path(key)
    try:
        with open(path, "rb") as handle:
            record = marshal.load(handle)  # what it depends on; its findings follow, read only if it holds
            if record["key"] != key or record["stamp"] != _stamp():
                return None
            if any(_times(folder) != times for folder, times in record["folders"]):
                return None
            if any(_kind(probed) != kind for probed, kind in record["kinds"]):
                return None
            if any(_times(module) != times for module, times in record["code"]):
                return None
            if any(_file_fingerprint(file) != (size, crc) for file, size, crc in record["files"]):
                return None
            kept = handle.read()
        if zlib.crc32(kept) != record["findings"]:  # cut short or damaged
            return None
        report = LintReport(findings=_findings(marshal.loads(kept)), formulas=record["formulas"])
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError):  # none yet, or not a record
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # just used: trimmed last
    return report


def remember(paths: Sequence[str | os.PathLike], options: LintOptions, report: LintReport,
             read: dict[Path, tuple[int, int]], began: int) -> None:
    """Record a plain run that `began` (time.time_ns()) and read `read` (reads.recording); nothing when one of its
    folders changed while it ran, a file it read twice changed in between, a file could not be read, or the
    settings of a notes file could not be loaded."""
    if reads.CHANGED in read.values() or reads.UNREADABLE in read.values() or report.unloaded:
        return  # what it saw cannot be told again; settings it could not load would name files it never looked for
    try:
        probed, listed = _looked_up(paths, report, read)
    except OSError:  # a folder it could not list (no permission): it may see more next time
        return
    folders = {}
    for folder in listed:
        times = _times(folder)
        if times is None or times[1] >= began - _CLOCK_SLACK_NS:  # gone, or changed while the run listed it
            return
        folders[str(folder)] = times
    kinds = {str(path): _kind(path) for path in probed}
    if any(_appeared_since(path, began) for path, (kind, _) in kinds.items()
           if kind == "file" and Path(path) not in read or kind == "folder" and Path(path).name in _LOOKED_FOR):
        return  # it may have appeared after the run looked for it
    key = _key(paths, options)
    record = {"key": key, "stamp": _stamp(), "code": _loaded_code(), "folders": sorted(folders.items()),
              "kinds": sorted(kinds.items()),
              "files": sorted((str(file), size, crc) for file, (size, crc) in read.items()),
              "formulas": report.formulas}
    kept = marshal.dumps(_kept(report.findings))
    record["findings"] = zlib.crc32(kept)
    # marshal, as yamltext.py's entries and Python's own bytecode cache are
    write_entry(_record_path(key), marshal.dumps(record) + kept, KEEP)


def _key(paths: Sequence[str | os.PathLike], options: LintOptions) -> str:
    settings = sorted((name, value) for name, value in os.environ.items()
                      if name.startswith("NOTES_") and name != "NOTES_LINT_SERVER")  # where it runs, not what
    # the home folder too: the project root is never it (config.find_project_root)
    return json.dumps([os.getcwd(), str(Path.home()), [os.fspath(path) for path in paths], options.select,
                       options.ignore, options.unsafe_fixes, settings])


def _record_path(key: str) -> Path:
    return cache_dir() / "lint" / f"{zlib.crc32(key.encode('utf-8', 'surrogatepass')):08x}.marshal"


@functools.cache  # once per process: replayed and remember both ask
def _stamp() -> tuple[Any, ...]:
    """What the code the findings come from is, as far as a rerun can tell before loading any: this package's files
    (each one's size and time: modules and data such as the known macros), Python, and the folders of the import
    path (installing or removing a package there, a plugin say, changes their time). The modules a run loaded are
    recorded with it (_loaded_code)."""
    package = Path(__file__).resolve().parent.parent
    modules = []
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            with contextlib.suppress(OSError):
                stat = os.stat(os.path.join(folder, name))
                modules.append(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return (__version__, tuple(sys.version_info), zlib.crc32("\n".join(modules).encode("utf-8", "replace")),
            tuple(map(_times, sys.path)))


def _loaded_code() -> list[tuple[str, tuple[int, int]]]:
    """Size and time of the file of every module the run loaded outside Python's standard library: the parsers,
    click, PyYAML, bibtexparser, a plugin (an edit of one in place changes no folder's time)."""
    standard = os.path.dirname(os.__file__)
    code = []
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or (file.startswith(standard) and "-packages" not in file):
            continue
        if (times := _times(file)) is not None:
            code.append((file, times))
    return sorted(code)


def _times(path: str | Path) -> tuple[int, int] | None:
    """Size and modification time (of a folder: its listing's), or None where nothing is."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _looked_up(paths: Sequence[str | os.PathLike], report: LintReport, read: dict[Path, tuple[int, int]]
               ) -> tuple[set[Path], set[Path]]:
    """What the run looked at besides the files it read: the paths whose kind (file, folder, none) its findings
    depend on, and the folders whose listing they depend on (see the module's docstring)."""
    cwd = Path.cwd()
    listed: set[Path] = set()
    named: list[Path] = [*read, cwd / CONFIG_NAME, cwd / "content"]  # the notes of a command without PATH
    for document in report.documents:
        config = document.config
        named += [*config.sections, *config.bibliography,
                  *filter(None, [config.template_dir, config.project_root, config.project_root_named])]
    for raw in paths:
        for path in {Path(os.path.abspath(cwd / raw)), Path(os.path.realpath(cwd / raw))}:  # as given, as resolved
            named.append(path)
            if path.is_dir():
                named += [path / name for name in _LOOKED_FOR]
                for folder, markdown in _below(path):
                    listed.add(folder)
                    named += markdown  # as found: one may lead elsewhere through links
    probed = set(named)
    for path in named:
        for folder in Path(os.path.abspath(path)).parents:
            probed.update(folder / name for name in _LOOKED_FOR)
    return probed, listed


def _below(folder: Path) -> Iterable[tuple[Path, list[Path]]]:
    """`folder` and each folder below it, as Path.rglob walks them (links to folders are not followed), with the
    Markdown files in it. Raises OSError where one cannot be listed: the run did not see into it, and may later."""
    for current, subfolders, files in os.walk(folder, onerror=_raise):
        yield Path(current), [Path(current, name) for name in files if name.endswith(".md")]
        subfolders[:] = [name for name in subfolders if not os.path.islink(os.path.join(current, name))]


def _raise(error: OSError) -> None:
    raise error


def _kind(path: str | Path) -> tuple[str | None, str]:
    """"folder", "file" (or anything else that is not a folder), or None where nothing is; and where `path`
    leads through links (a link retargeted to a file of the same kind is another file)."""
    try:
        kind: str | None = "folder" if stat_module.S_ISDIR(os.stat(path).st_mode) else "file"
    except OSError:
        kind = None
    return kind, os.path.realpath(path)


def _appeared_since(path: str, began: int) -> bool:
    """Whether what is at `path` was made (or put there) after the run that `began` may have looked for it."""
    try:
        return os.stat(path).st_ctime_ns >= began - _CLOCK_SLACK_NS
    except OSError:
        return True


def _file_fingerprint(path: str) -> tuple[int, int] | None:
    try:
        with open(path, "rb") as handle:
            return reads.fingerprint(handle.read())
    except OSError:
        return None


def _kept(findings: list[Diagnostic]) -> list[tuple[Any, ...]]:
    """The findings as the record keeps them: each field as it is (marshal writes str, int, bool, None)."""
    texts: dict[str, str] = {}  # one string per path: marshal writes it once
    kept = []
    for finding in findings:
        where, fix = finding.location, finding.fix
        location = None
        if where is not None:
            text = str(where.path)
            location = (texts.setdefault(text, text), where.line, where.column, where.end_line, where.end_column)
        kept.append((location, finding.severity, finding.message, finding.hint, finding.code,
                     None if fix is None else (fix.start, fix.end, fix.replacement, fix.original, fix.line,
                                               fix.column, fix.end_line, fix.end_column, fix.safe)))
    return kept


def _findings(kept: list[tuple[Any, ...]]) -> list[Diagnostic]:
    paths: dict[str, Path] = {}
    findings = []
    for location, severity, message, hint, code, fix in kept:
        where = None
        if location is not None:
            if (path := paths.get(location[0])) is None:
                path = paths[location[0]] = Path(location[0])
            where = Location(path, *location[1:])
        findings.append(Diagnostic(where, severity, message, hint, code, None if fix is None else Fix(*fix)))
    return findings
