"""Turn a TeX log into located diagnostics (errors at the user's own file and line, as latexrun does).

pdflatex runs with -file-line-error, so errors read `./notes.tex:123: message`. The generated .tex
carries `%NB@path:line` markers before each block; a .tex line maps to the nearest marker above it,
and the `l.123 ...` context TeX prints lets us find the exact spot in the user's line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

from notes_builder.errors import Diagnostic, Location

MARKER = re.compile(r"^%NB@(.*):(\d+)$")
_ERROR = re.compile(r"^(?:\./)?(?P<file>[^:\n]+\.(?:tex|sty|cls|def|cfg|fd|clo)):(?P<line>\d+): (?P<message>.*)$")
_CONTEXT = re.compile(r"^l\.(?P<line>\d+) ?(?P<text>.*)$")
_MISSING_FILE = re.compile(r"LaTeX Error: File `(?P<name>[^']+)' not found\.")
_MISSING_CHAR = re.compile(r"^Missing character: There is no (?P<char>.+?) (?:\(U\+(?P<code>[0-9A-F]+)\) )?in font")
_OVERFULL = re.compile(r"^(?P<kind>Overfull|Underfull) \\[hv]box .*? (?:in paragraph|detected|has occurred while"
                       r" \\output is active)(?: at lines? (?P<line>\d+)(?:--\d+)?)?")
_UNDEFINED_REF = re.compile(r"LaTeX Warning: Reference `(?P<label>[^']+)' on page \d+ undefined on input line "
                            r"(?P<line>\d+)")

# Debian packages that provide a missing .sty (the common ones; `notes doctor` knows the rest).
PACKAGE_HINTS = {
    "CJKutf8.sty": "latex-cjk-chinese", "xeCJK.sty": "texlive-lang-chinese", "tcolorbox.sty": "texlive-latex-extra",
    "fvextra.sty": "texlive-latex-extra", "booktabs.sty": "texlive-latex-recommended",
    "enumitem.sty": "texlive-latex-extra", "bookmark.sty": "texlive-latex-base",
    "lmodern.sty": "lmodern", "ulem.sty": "texlive-plain-generic", "tabularx.sty": "texlive-latex-base",
    "microtype.sty": "texlive-latex-recommended", "fontspec.sty": "texlive-latex-recommended",
    # The rest of what the templates load (Debian 12 package names, from `dpkg -S`), for `notes doctor`.
    "fontenc.sty": "texlive-latex-base", "inputenc.sty": "texlive-latex-base", "textcomp.sty": "texlive-latex-base",
    "geometry.sty": "texlive-latex-base", "amsmath.sty": "texlive-latex-base", "amssymb.sty": "texlive-base",
    "bm.sty": "texlive-latex-base", "graphicx.sty": "texlive-latex-base", "float.sty": "texlive-latex-recommended",
    "array.sty": "texlive-latex-base", "xcolor.sty": "texlive-latex-recommended", "hyperref.sty": "texlive-latex-base",
    "biblatex.sty": "texlive-bibtex-extra",
    "c70gbsn.fd": "latex-cjk-chinese-arphic-gbsn00lp", "c70gkai.fd": "latex-cjk-chinese-arphic-gkai00mp",
}


@dataclass
class SourceMap:
    """Generated .tex line -> the user's location, from the %NB markers."""

    markers: list[tuple[int, Path, int]]  # (tex line, user file, user line), sorted by tex line
    tex_lines: list[str] = field(default_factory=list)  # the generated .tex, to find text TeX quotes

    @classmethod
    def from_tex(cls, tex: str) -> SourceMap:
        markers = []
        lines = tex.splitlines()
        for number, line in enumerate(lines, start=1):
            match = MARKER.match(line)
            if match:
                markers.append((number, Path(match.group(1)), int(match.group(2))))
        return cls(markers, lines)

    def rebased(self, folder: Path) -> SourceMap:
        """The same map with relative user paths read from `folder` (the saved logs of the tests)."""
        return SourceMap([(line, folder / path, user_line) for line, path, user_line in self.markers], self.tex_lines)

    def locate_text(self, text: str, command: str = "") -> Location | None:
        """Where TeX's quoted `text` (a runaway argument) starts in the user's file: at `command` if it opens it."""
        tex_line = next((number for number, line in enumerate(self.tex_lines, start=1) if text in line), 0)
        where = self.locate(tex_line) if tex_line else None
        if where is None:
            return None
        try:
            lines = where.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return where
        for index in range(where.line - 1, min(len(lines), where.line + 200)):
            column = lines[index].find(text)
            if column >= 0:
                opener = lines[index].rfind(command, 0, column) if command else -1
                return Location(where.path, index + 1, (opener if opener >= 0 else column) + 1)
        return where

    def locate(self, tex_line: int, context: str = "") -> Location | None:
        """The user's file position for a .tex line, refined by TeX's `l.N <text>` context."""
        index = bisect.bisect_right(self.markers, tex_line, key=lambda marker: marker[0]) - 1
        if index < 0:
            return None  # in the preamble: not the user's text
        _, path, user_line = self.markers[index]
        return _find_context(path, user_line, context) or Location(path, user_line)


def _find_context(path: Path, from_line: int, context: str) -> Location | None:
    """Find the text TeX was reading in the user's file, from the block's line on; point at its last token.

    The last token starts at its command's backslash when it has one: in `$\\frac{a}$` TeX stopped in
    the arguments of `\\frac`, and the column is that of the backslash, as `notes lint` reports it.
    """
    context = context.rstrip()
    token = re.search(r"(\\[A-Za-z@]+|\\?[^\s\\]{1,30})$", context)  # a whole command, however long
    if not token:
        return None
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for needle in (context[-40:].lstrip(), token.group(1)):
        for index in range(max(0, from_line - 1), min(len(lines), from_line + 200)):
            column = lines[index].find(needle)
            if column >= 0:
                return Location(path, index + 1, column + len(needle) - len(token.group(1)) + 1)
    return None


def read_log(path: Path) -> str:
    """A TeX log as text: UTF-8, except lines where TeX wrote a raw 8-bit character (read as Latin-1)."""
    if not path.exists():
        return ""
    data = path.read_bytes()
    try:  # the usual log: decoded at once, not line by line
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "\n".join(_decode_line(line) for line in data.split(b"\n"))


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def _unwrap(log: str) -> list[str]:
    """Undo TeX's 79-column wrapping of log lines (a full line continues on the next)."""
    out: list[str] = []
    carry = ""
    for line in log.splitlines():
        if len(line.encode("utf-8", errors="replace")) == 79:
            carry += line
            continue
        out.append(carry + line)
        carry = ""
    if carry:
        out.append(carry)
    return out


def _context_after(lines: list[str], index: int) -> tuple[int, str]:
    """TeX's `l.N text` context printed after the error at lines[index]: (N, text), or (0, '')."""
    for follow in lines[index + 1:index + 12]:
        ctx = _CONTEXT.match(follow)
        if ctx:
            return int(ctx.group("line")), ctx.group("text")
    return 0, ""


def _undefined_name(lines: list[str], index: int) -> str | None:
    """The command an `Undefined control sequence` error at lines[index] is about: TeX ends its innermost context
    line with it (`l.12 \\foo`, or `<argument> \\apj` inside a macro), so that line is read first."""
    for line in (lines[index + 1] if index + 1 < len(lines) else "", _context_after(lines, index)[1]):
        if name := re.search(r"(\\[A-Za-z@]+)\s*$", line):
            return name.group(1)
    return None


def last_reached(log: str, source_map: SourceMap) -> Location | None:
    """The user's line TeX was on when it was interrupted: the last `l.N` context in the log, if any."""
    for line in reversed(_unwrap(log)):
        if context := _CONTEXT.match(line):
            return source_map.locate(int(context.group("line")), context.group("text"))
    return None


@dataclass
class LogReport:
    errors: list[Diagnostic]
    warnings: list[Diagnostic]
    overfull: int = 0
    missing_characters: list[str] | None = None


def parse_log(log: str, source_map: SourceMap, tex_name: str) -> LogReport:
    lines = _unwrap(log)
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    overfull = 0
    missing: list[str] = []
    for index, line in enumerate(lines):
        absent = _MISSING_FILE.search(line)
        if absent:
            name = absent.group("name")
            what = "LaTeX package" if name.endswith((".sty", ".cls")) else "file"
            message = f"{what} '{name}' not found"
            if name.startswith(("/", "..")) or "/../" in name:
                message += " (TeX may only read files inside the build folder)"
            tex_line, context = _context_after(lines, index)
            location = source_map.locate(tex_line, context) if tex_line else None
            errors.append(Diagnostic(location, "error", message, _advice(line, log)))
            break
    for index, line in enumerate(lines):
        if errors and _MISSING_FILE.search(line):
            continue
        if errors and ("Emergency stop" in line or "==> Fatal error occurred" in line):
            continue
        match = _ERROR.match(line)
        if match and "==> Fatal error occurred" in line:
            continue
        if match and Path(match.group("file")).name == tex_name:
            message = match.group("message").strip()
            _, context = _context_after(lines, index)
            if message.startswith("Undefined control sequence") and (name := _undefined_name(lines, index)):
                message = f"Undefined control sequence {name}"
            location = source_map.locate(int(match.group("line")), context)
            errors.append(Diagnostic(location, "error", message.rstrip("."), _advice(message, log)))
            continue
        if match:  # an error inside a package or class file: name it, the user's line is unknown
            message = match.group("message").strip()
            where = f"{Path(match.group('file')).name}:{match.group('line')}"
            name = _undefined_name(lines, index) if message.startswith("Undefined control sequence") else None
            if name:
                message = f"Undefined control sequence {name}"
            hint = (f"{where} itself uses a command nothing defines: check that file, or a package it needs"
                    if name else _advice(message, log))
            errors.append(Diagnostic(None, "error", f"{message} (in {where})", hint))
            continue
        char = _MISSING_CHAR.match(line)
        if char:
            missing.append(char.group("char"))
            continue
        over = _OVERFULL.match(line)
        if over:
            overfull += over.group("kind") == "Overfull"
            tex_line = int(over.group("line")) if over.group("line") else 0
            location = source_map.locate(tex_line) if tex_line else None
            warnings.append(Diagnostic(location, "warning", re.split(r" in paragraph| detected at", line)[0]))
            continue
        ref = _UNDEFINED_REF.search(line)
        if ref:
            location = source_map.locate(int(ref.group("line")))
            warnings.append(Diagnostic(location, "warning", f"undefined reference '{ref.group('label')}'"))
    if not errors:
        fatal = re.search(r"^! (.*)$", "\n".join(lines), re.M)
        if fatal:
            errors.append(Diagnostic(_runaway(lines, source_map, fatal.group(1)), "error", fatal.group(1).rstrip(" ."),
                                     _advice(fatal.group(1), log)))
    return LogReport(errors, warnings, overfull, missing)


def _runaway(lines: list[str], source_map: SourceMap, message: str) -> Location | None:
    """TeX read to the end of the file for an argument and names no line: find the argument's text instead."""
    if "Runaway argument?" not in lines:
        return None
    quoted = lines[lines.index("Runaway argument?") + 1].lstrip("{").strip()
    command = re.search(r"use of (\\[A-Za-z@]+)", message)
    for length in (30, 12):
        if len(quoted) >= 3 and (where := source_map.locate_text(quoted[:length], command.group(1) if command else "")):
            return where
    return None


_BLG_SOURCE = re.compile(r"Found BibTeX data source '(?P<name>[^']+)'")
_BLG_PROBLEM = re.compile(r"> (?P<level>WARN|ERROR) - (?P<message>.*)$")
_BLG_SUBSYSTEM = re.compile(r"BibTeX subsystem: \S+, line (?P<line>\d+), (?:warning: |syntax error: )?(?P<message>.*)$")
_BLG_ENTRY = re.compile(r"^(?:Entry|Duplicate entry key) '(?P<key>[^']+)'(?: \((?P<name>[^)]+)\))?:? ?(?P<message>.*)$")


def parse_blg(text: str, folder: Path) -> list[Diagnostic]:
    """biber's own findings (its .blg) at the line of the .bib file in `folder` they are about: a syntax error
    or an undefined macro at biber's line, a bad field at its entry's `@` line. Staged .bib files have the
    user's text, so their lines are the user's (the build names the user's file)."""
    found: list[Diagnostic] = []
    source: str | None = None
    for raw in text.splitlines():
        if (named := _BLG_SOURCE.search(raw)) is not None:
            source = named.group("name")
            continue
        problem = _BLG_PROBLEM.search(raw)
        if problem is None:
            continue
        kind = "error" if problem.group("level") == "ERROR" else "warning"
        message = problem.group("message").strip()
        location = None
        if (at := _BLG_SUBSYSTEM.match(message)) is not None and source:
            location = Location(folder / source, int(at.group("line")), 1)
            message = at.group("message").strip()
        elif (entry := _BLG_ENTRY.match(message)) is not None:
            name = entry.group("name") or source
            if name:
                path = folder / name if (folder / name).exists() else folder / (source or name)
                location = _entry_line(path, entry.group("key"))
            message = f"entry '{entry.group('key')}': {entry.group('message').strip()}"
        found.append(Diagnostic(location, kind, f"biber: {message}"))
    return found


def _entry_line(path: Path, key: str) -> Location | None:
    """The `@type{key,` line of an entry in a .bib file."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    opening = re.compile(r"@\w+\s*[{(]\s*" + re.escape(key) + r"\s*,")
    for number, line in enumerate(lines, start=1):
        if opening.search(line):
            return Location(path, number, 1)
    return Location(path)


def _advice(message: str, log: str) -> str | None:
    missing = _MISSING_FILE.search(message) or _MISSING_FILE.search(log)
    if missing and missing.group("name").endswith(".sty"):
        package = PACKAGE_HINTS.get(missing.group("name"), "texlive-latex-extra")
        return f"install it: apt-get install {package} (or run `notes doctor`)"
    if "Undefined control sequence" in message:
        return "`notes lint` reports unknown macros before LaTeX runs; define document macros " \
               "under 'macros:' in notes.yaml"
    if "Missing $ inserted" in message:
        return "a math-only command is used in prose, or a formula is not closed"
    if "Runaway argument" in message or "File ended while scanning" in message:
        return "a '{' is never closed"
    if "Emergency stop" in message:
        return "see the first error above"
    return None
