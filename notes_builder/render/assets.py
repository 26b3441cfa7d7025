"""Assets: the files a document reads besides its sections — images (checked, SVG converted to PDF and cached) and
included code. Resolve calls these; the build stages the images it names (convert_svg)."""

from __future__ import annotations

import ast
import atexit
import contextlib
import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from notes_builder.config import NotesConfig, read_text
from notes_builder.errors import ContentError, Diagnostic, Location, ToolMissingError
from notes_builder.files import publish
from notes_builder.places import cache_dir
from notes_builder.tex.chars import tex_safe_stem

IMAGE_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".svg"}
REMOTE = re.compile(r"^[a-z]+://")
# Signatures that pdflatex checks only when it embeds the file, failing with no hint of which figure.
IMAGE_SIGNATURES = {".png": (b"\x89PNG\r\n\x1a\n", "PNG"), ".jpg": (b"\xff\xd8\xff", "JPEG"),
                    ".jpeg": (b"\xff\xd8\xff", "JPEG"), ".pdf": (b"%PDF-", "PDF")}
PDF_HEADER_WINDOW = 1024  # pdfTeX, like PDF readers, accepts a PDF header within the first kilobyte
# What a complete file ends with (within its last kilobyte: writers may append a newline or padding).
# JPEG has none to rely on: phones append data after the end-of-image marker, and pdflatex embeds those.
IMAGE_ENDINGS = {"PNG": b"IEND\xaeB`\x82", "PDF": b"%%EOF"}
IMAGE_TAIL_WINDOW = 1024
_INCLUDE_ATTRS = re.compile(r'(\w+)\s*=\s*"([^"]*)"')


@dataclass
class Image:
    """An image staged for the build: its name in the build folder and its source file."""
    name: str
    path: Path
    warning: Diagnostic | None = None


def stage_image(config: NotesConfig, folder: Path, src: str, location: Location, site_root: bool = False) -> Image:
    """The image `src` of a section in `folder` (a path from there; with `site_root`, `/x` from the project root, as
    a site's HTML writes it), checked and named for the build folder."""
    if "\x00" in src:  # `%00` decodes to a NUL, which no file name has (and Path.resolve() rejects)
        raise ContentError(f"figure name '{src!r}' has a NUL character", location)
    base = (config.project_root or config.root) if site_root and src.startswith("/") else folder
    path = (base / (src.lstrip("/") if site_root else src)).resolve()
    if not config.inside_project(path):  # the same rule as code includes: no file from elsewhere on disk
        raise ContentError(f"figure '{src}' is outside the notes project ({config.project_root})",
                           location, hint="figures may come from the project root only: copy it there, or "
                           "widen the root with `root:` in notes.yaml or `--root DIR`")
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ContentError(f"image '{src}' has an unsupported type '{suffix or 'none'}'", location,
                           hint="use PDF (vector), PNG, JPG or SVG")
    if not path.is_file():
        hint = "run `notes train-figures` to create the run's figures" if "results" in src else None
        raise ContentError(f"figure file not found: {src} (looked for {path})", location, hint=hint)
    actual = image_type(path) if suffix != ".svg" else None
    warning = None
    if actual is not None and actual != {".jpeg": ".jpg"}.get(suffix, suffix):
        # a JPEG saved as .png (screenshots, downloads): staged under its real type, which pdflatex reads
        warning = Diagnostic(location, "warning", f"figure {src} is a {actual[1:].upper()} file named {suffix}",
                             f"rename it to {path.stem}{actual}")
        suffix = actual
    check_image_file(path, src, location, suffix)
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return Image(f"figures/{tex_safe_stem(path.stem)}-{digest}{'.pdf' if suffix == '.svg' else suffix}", path, warning)


@dataclass
class Included:
    """Code read from a file for a code box."""
    code: str
    first_line: int
    name: str  # shown as the box's title
    path: Path


def read_include(config: NotesConfig, folder: Path, attrs: dict[str, str], location: Location) -> Included:
    """Read the included file (or a line range / a Python symbol of it) for a code box."""
    path = (folder / attrs["include"]).resolve()
    if not config.inside_project(path):
        raise ContentError(f"include '{attrs['include']}' is outside the notes project "
                           f"({config.project_root})", location,
                           hint="code boxes may include files of the project root only: widen it with "
                           "`root:` in notes.yaml or `--root DIR`")
    if not path.is_file():
        raise ContentError(f"included file not found: {attrs['include']} (looked for {path})", location)
    text = read_text(path)  # not UTF-8: an error naming the included file's line, not a traceback
    lines = text.splitlines()
    first, last = 1, len(lines)
    if "symbol" in attrs:
        first, last = python_symbol_lines(text, attrs["symbol"], path, location)
    if "lines" in attrs:
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", attrs["lines"])
        if not match:
            raise ContentError(f"lines=\"{attrs['lines']}\" must look like \"10-30\"", location)
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not 1 <= first <= last <= len(lines):
            raise ContentError(f"lines {first}-{last} are outside {path.name} ({len(lines)} lines)", location)
    return Included("\n".join(lines[first - 1:last]), first, path.name, path)


def fence_attributes(info: str) -> tuple[str, dict[str, str]]:
    """```python {include="model.py" lines="3-9"}``` -> ("python", {"include": ..., "lines": ...})."""
    language, _, attr_text = info.strip().partition(" ")
    return language.strip(), dict(_INCLUDE_ATTRS.findall(attr_text))


def python_symbol_lines(text: str, name: str, path: Path, location: Location) -> tuple[int, int]:
    """First and last line of a top-level class or function (with its decorators) in Python source."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ContentError(f"cannot parse {path.name} to find '{name}': {exc.msg}", location) from None
    for item in tree.body:
        if isinstance(item, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and item.name == name:
            first = min([item.lineno] + [d.lineno for d in item.decorator_list])
            return first, item.end_lineno or item.lineno
    raise ContentError(f"'{name}' is not a top-level class or function of {path.name}", location)



def image_type(path: Path) -> str | None:
    """The suffix a raster or PDF image's content says it is (`.png`, `.jpg`, `.pdf`), or None."""
    try:
        with path.open("rb") as file:
            head = file.read(PDF_HEADER_WINDOW)
    except OSError:
        return None
    if head.startswith(IMAGE_SIGNATURES[".png"][0]):
        return ".png"
    if head.startswith(IMAGE_SIGNATURES[".jpg"][0]):
        return ".jpg"
    return ".pdf" if IMAGE_SIGNATURES[".pdf"][0] in head else None


def check_image_file(path: Path, src: str, location: Location, suffix: str | None = None) -> None:
    """A figure that is not what its name says (empty, truncated, garbage) is reported at the user's
    `![...]` before LaTeX runs: pdflatex would only fail with no location. SVGs are tried by rsvg-convert.
    `suffix`: the type its content says, when that differs from its name."""
    suffix = suffix or path.suffix.lower()
    if suffix == ".svg":
        if shutil.which("rsvg-convert"):  # without it, staging the figure reports the missing tool
            svg_as_pdf(path, src, location)
        return
    signature, kind = IMAGE_SIGNATURES[suffix]
    try:
        with path.open("rb") as file:
            head = file.read(PDF_HEADER_WINDOW if kind == "PDF" else len(signature))
            file.seek(max(0, path.stat().st_size - IMAGE_TAIL_WINDOW))
            tail = file.read()
    except OSError as exc:
        raise ContentError(f"cannot read figure {src}: {exc.strerror}", location) from None
    hint = f"check that it opens in an image viewer; export it again as {kind}, or name it after its real type"
    valid = signature in head if kind == "PDF" else head.startswith(signature)
    if not valid:
        what = "is empty" if not head else f"is not a valid {kind} file (it lacks the {kind} signature)"
        raise ContentError(f"figure {src} {what}", location, hint=hint)
    if kind in IMAGE_ENDINGS and IMAGE_ENDINGS[kind] not in tail:  # cut off: pdflatex would not name the file
        raise ContentError(f"figure {src} is truncated (its {kind} end marker is missing)", location, hint=hint)


def svg_as_pdf(source: Path, src: str | None = None, location: Location | None = None) -> Path:
    """The SVG converted to PDF (vector) by rsvg-convert, kept in the user cache by content.

    The renderer calls this to report a broken SVG at the figure's line; staging the figure for LaTeX
    (convert_svg) then only copies the cached result.
    """
    tool = shutil.which("rsvg-convert")
    if tool is None:
        raise ToolMissingError(f"rsvg-convert is needed to embed {source.name}",
                               hint="apt-get install librsvg2-bin")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read figure {src or source}: {exc.strerror}", location) from None
    digest = hashlib.sha256(tool.encode() + b"\0" + data).hexdigest()
    cached = cache_dir() / "svg" / f"{digest}.pdf"
    if cached.exists():
        return cached
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        _trim_svg_cache(cached.parent)
    except OSError:  # no writable cache: one temporary folder for this process, removed when it exits
        cached = _scratch_svg_folder() / f"{digest}.pdf"
    tmp = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp.pdf")
    try:
        subprocess.run([tool, "-f", "pdf", "-o", str(tmp), str(source)], check=True, capture_output=True,
                       timeout=60)
    except subprocess.CalledProcessError as exc:
        tmp.unlink(missing_ok=True)
        reason = " ".join(exc.stderr.decode("utf-8", "replace").split())[:300] \
            or f"rsvg-convert exited with status {exc.returncode}"
        raise ContentError(f"cannot convert {src or source}: {reason}", location,
                           hint="check that the file opens in a web browser; export it again if not") from None
    except subprocess.TimeoutExpired:
        tmp.unlink(missing_ok=True)
        raise ContentError(f"cannot convert {src or source}: rsvg-convert took longer than 60 s", location,
                           hint="simplify the drawing or export it as PDF") from None
    tmp.replace(cached)
    return cached


SVG_CACHE_ENTRIES = 500  # converted figures kept; the least recently used go first


def _trim_svg_cache(folder: Path) -> None:
    """Keep the SVG cache bounded: it grows by one PDF per distinct drawing ever built."""
    entries = list(folder.glob("*.pdf"))
    if len(entries) < SVG_CACHE_ENTRIES:
        return
    entries.sort(key=lambda path: path.stat().st_atime)
    for old in entries[:len(entries) - SVG_CACHE_ENTRIES + 1]:
        with contextlib.suppress(OSError):
            old.unlink()


@functools.lru_cache(maxsize=1)
def _scratch_svg_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="notes-svg-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def convert_svg(source: Path, target: Path) -> None:
    """SVG figures become PDF (vector) with rsvg-convert; the renderer has usually converted it already."""
    publish(svg_as_pdf(source), target)
