"""Where notes-builder keeps what outlives a build: the user cache. Its own module, so that the light start of a
command (a no-op build, `notes lint`) can find it without the file helpers' imports."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Caches (processed data, highlighted code, formats, biber runs) live outside the repository and the data
    folder."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "notes-builder"
