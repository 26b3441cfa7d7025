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
