"""Helpers for build tests: run the real `notes` CLI, read PDFs back with poppler's tools."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from notes_builder.config import load_config
from notes_builder.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"


def run_notes(*args: str | os.PathLike, cwd: Path | None = None, timeout: float = 300,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI exactly as a user runs it, in a fresh process."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "notes_builder", *map(str, args)], cwd=cwd, text=True,
                          capture_output=True, timeout=timeout, env=full_env)


def pdftotext(pdf: Path, layout: bool = False) -> str:
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdfinfo(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())}


_WORD_BOX = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def word_boxes_by_page(pdf: Path) -> list[list[tuple[str, float, float, float, float]]]:
    """Per page, (word, xMin, yMin, xMax, yMax) of every word, in points from the page's top left
    (`pdftotext -bbox`)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [[(m.group(5), *(float(m.group(i)) for i in range(1, 5))) for m in _WORD_BOX.finditer(page)]
            for page in out.split("<page")[1:]]


def word_boxes(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """word_boxes_by_page, all pages in one list."""
    return [box for page in word_boxes_by_page(pdf) for box in page]


def pdffonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout


def squash(text: str) -> str:
    """pdftotext output with whitespace collapsed, for phrase searches across line breaks."""
    return re.sub(r"\s+", " ", text)


def write_project(folder: Path, files: dict[str, str]) -> Path:
    """Write a small notes project (or a single file) and return the folder."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def config_error(folder: Path) -> ConfigError:
    """The ConfigError that loading `folder`'s notes raises (the test fails if none is raised)."""
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    return caught.value


def where(error: ConfigError) -> str:
    """`notes.yaml:LINE:COL` of an error, as the CLI prints it (file name only)."""
    assert error.location is not None
    return f"{error.location.path.name}:{error.location.line}:{error.location.column}"


def dumped_formats(cache: Path, timeout: float = 30.0) -> list[Path]:
    """The precompiled preambles in the user cache `cache` (XDG_CACHE_HOME), once the dumps a build left running
    are done (preamble.py: a build does not wait for its dump)."""
    import time

    from notes_builder.preamble import dumps_running

    formats = cache / "notes-builder" / "formats"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (not list(formats.glob("*.fmt")) or dumps_running(formats)):
        time.sleep(0.02)
    return sorted(formats.glob("*.fmt"))
