"""File helpers shared by every stage: content hashes and all-or-nothing writes.

Nothing half-written is ever left in place of a user's file or an output: data goes to a temporary
file in the same folder, which is then renamed over the target (atomic on POSIX).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def read_bytes_or_none(path: Path) -> bytes | None:
    """The file's bytes, or None when it cannot be read (missing, say): for "has it changed?" comparisons."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file_cached(path: Path, cache: Path) -> str:
    """sha256_file, remembered by (path, size, mtime) in a small JSON file: a 20 MB data set is then not
    re-read by every build that only needs to know it has not changed."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    if key not in known:
        known = {k: v for k, v in known.items() if not k.startswith(f"{path.resolve()}|")}
        known[key] = sha256_file(path)
        with contextlib.suppress(OSError):  # no writable cache: just slower next time
            write_atomic(cache, json.dumps(known))
    return known[key]


@contextlib.contextmanager
def atomic_file(target: Path, mode: int = 0o644) -> Iterator[BinaryIO]:
    """A binary handle on a temporary file beside `target`, renamed over it only if the block succeeds.
    The data reach the disk before the rename, so a crash leaves the old file or the new one, never a stub."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def replace_bytes(target: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to a temporary file beside `target`, then rename it over `target`."""
    with atomic_file(target, mode) as handle:
        handle.write(data)


def write_atomic(target: Path, text: str) -> None:
    replace_bytes(target, text.encode("utf-8"))


def write_json(target: Path, value: object) -> None:
    write_atomic(target, json.dumps(value, indent=2) + "\n")


def publish(built: Path, target: Path) -> None:
    """Put a finished file (a compiled PDF) in place in one rename."""
    with atomic_file(target) as handle, open(built, "rb") as source:
        shutil.copyfileobj(source, handle)


def files_below(folder: Path, limit: int | None = None) -> list[Path]:
    """The files under `folder`, sorted, skipping hidden ones (editor swap files, .work folders, caches);
    at most `limit` of them."""
    found: list[Path] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.is_file():
            found.append(path)
            if limit is not None and len(found) >= limit:
                break
    return found
