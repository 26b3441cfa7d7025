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


def write_entry(path: Path, data: bytes, keep: int) -> None:
    """Put a cache entry in place atomically (a temporary file renamed over it) and trim its folder to its `keep`
    newest entries; without a writable cache, keep nothing (the next command computes it again)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        return
    keep_newest(path.parent, f"*{path.suffix}", keep)
