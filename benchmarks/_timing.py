"""What the build benchmarks share: one timed run of a command (build.py, citations.py import it from beside them)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def timed(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Seconds `command` took; a failed run stops the benchmark with its stderr (a failed build times nothing)."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    return elapsed


def settle(cache: Path, timeout: float = 60.0) -> None:
    """Until the precompiled-preamble dumps that builds left running in the user cache `cache` (XDG_CACHE_HOME)
    are done (preamble.py: a build does not wait for its dump), so that they take no CPU from the next timed run."""
    import sys

    repo = str(Path(__file__).resolve().parent.parent)
    if repo not in sys.path:
        sys.path.insert(0, repo)
    from notes_builder.preamble import dumps_running

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and dumps_running(cache / "notes-builder" / "formats"):
        time.sleep(0.01)
