"""Applying fixes: only the fixed spans change, everything else stays byte for byte; writes are atomic.

Fixes are applied in rounds (a fix can expose another, e.g. `x_alpha` -> `x_{alpha}` -> `x_{\\alpha}`)
until a round finds nothing to fix, so the result is a fixed point: linting it again offers no fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from pathlib import Path

from notes_builder.config import NotesConfig, read_text
from notes_builder.errors import Diagnostic, UsageError
from notes_builder.files import replace_bytes
from notes_builder.lint.engine import LintOptions, resolve_targets, section_findings
from notes_builder.report import display_path
from notes_builder.tex.safety import adds_caret_notation

MAX_ROUNDS = 10


def apply_fixes(text: str, fixes: Sequence) -> tuple[str, int]:
    """Apply non-overlapping fixes (objects with start, end, replacement, original) to `text`.

    Returns the new text and how many fixes were applied: a fix overlapping one already taken, or whose
    span no longer reads `original`, is skipped and not counted.
    """
    pieces = []
    cursor = 0
    applied = 0
    tail = ""  # the last character written so far
    for fix in sorted(fixes, key=lambda f: (f.start, f.end)):
        if fix.start < cursor or text[fix.start:fix.end] != fix.original:
            continue
        before = text[fix.start - 1:fix.start] if fix.start > cursor else tail
        after = text[fix.end:fix.end + 1]
        if adds_caret_notation(before, fix.original, fix.replacement, after):
            continue  # fixes side by side must not spell TeX's ^^ notation (see security.CARET_NOTATION)
        pieces.append(text[cursor:fix.start])
        pieces.append(fix.replacement)
        tail = (before + fix.replacement)[-1:]
        cursor = fix.end
        applied += 1
    pieces.append(text[cursor:])
    return "".join(pieces), applied


def fixed_text(config: NotesConfig, path: Path, text: str, options: LintOptions | None = None,
               confirm: Callable[[Diagnostic], str] | None = None) -> tuple[str, int, bool]:
    """(new text, number of fixes applied, quit) after fixing `text` to a fixed point.

    `confirm(finding)` answers "yes", "no", "all" or "quit"; without it every fix is applied.
    """
    applied = 0
    accept_all = confirm is None
    rejected: set[tuple[int, str, str]] = set()
    # a fix accepted but not applied in its round (it overlapped another) is applied in a later round without
    # asking again: `\\hat{x_alpha}` offers two nested fixes, and accepting both applies both
    accepted: set[tuple[str, str, str]] = set()
    for _ in range(MAX_ROUNDS):
        unsafe = confirm is not None or bool(options and options.unsafe_fixes)  # interactive offers both kinds
        findings = [f for f in section_findings(config, path, text, options)
                    if f.fix is not None and (f.fix.safe or unsafe)]
        chosen = []
        stop = False
        for finding in findings:
            key = (finding.fix.start, finding.code, finding.fix.replacement)
            if key in rejected:
                continue
            again = (finding.code, finding.fix.original, finding.fix.replacement)
            if not accept_all and again not in accepted:
                answer = confirm(finding)
                if answer == "quit":
                    stop = True
                    break
                if answer == "all":
                    accept_all = True
                elif answer != "yes":
                    rejected.add(key)
                    continue
            accepted.add(again)
            chosen.append(finding.fix)
        new, count = apply_fixes(text, chosen)
        applied += count if new != text else 0
        if stop or new == text:
            return new, applied, stop
        text = new
    return text, applied, False


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8, keeping a BOM if it had one) in one rename."""
    try:
        with path.open("rb") as handle:
            bom = handle.read(3) == b"\xef\xbb\xbf"
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    replace_bytes(path, data, mode=path.stat().st_mode & 0o7777)


def _files(targets) -> list[tuple[NotesConfig, Path]]:
    seen: set[Path] = set()
    files = []
    for config, only in targets:
        for path in only if only is not None else config.sections:
            if path.resolve() not in seen:
                seen.add(path.resolve())
                files.append((config, path))
    return files


def fix_files(targets, options: LintOptions | None = None, confirm: Callable[[Diagnostic], str] | None = None) -> int:
    """Fix every file of `targets` in place; returns the number of fixes applied."""
    total = 0
    for config, path in _files(targets):
        text = read_text(path)
        new, count, stop = fixed_text(config, path, text, options, confirm)
        if new != text:
            write_atomic(path.resolve(), new)  # through a symlink: edit the file, keep the link
            total += count
        if stop:
            break
    return total


def diff_files(paths: Sequence, options: LintOptions | None = None) -> str:
    """Unified diff of the fixes, changing nothing."""
    chunks = []
    for config, path in _files(resolve_targets(paths)):
        text = read_text(path)
        new, _, _ = fixed_text(config, path, text, options)
        if new != text:
            name = display_path(path)
            chunks.extend(difflib.unified_diff(text.splitlines(keepends=True), new.splitlines(keepends=True),
                                               name if name.startswith("/") else f"a/{name}",
                                               name if name.startswith("/") else f"b/{name}"))
    return "".join(chunks)
