"""Where notes-builder keeps what outlives a build: the user cache. Its own module, so that the light start of a
command (a no-op build, `notes lint`) can find it without the file helpers' imports."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def cache_dir() -> Path:
    """Caches (processed data, highlighted code, formats, biber runs) live outside the repository and the data
    folder."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "notes-builder"


def keep_newest(folder: Path, pattern: str, keep: int, siblings: tuple[str, ...] = ()) -> None:
    """Trim a cache folder to its `keep` most recently used `pattern` files, each with its files of the `siblings`
    suffixes."""
    with contextlib.suppress(OSError):  # another command trims the same folder: what it removed is gone anyway
        found = sorted(folder.glob(pattern), key=lambda path: path.stat().st_mtime, reverse=True)
        for old in found[keep:]:
            for path in (old, *(old.with_suffix(suffix) for suffix in siblings)):
                path.unlink(missing_ok=True)
