"""Batch work without the cyclic garbage collector's pauses: rendering and linting allocate hundreds of thousands of
short-lived tokens, model nodes and findings, on which its full passes cost a fifth of a large file's render time and
11 % of linting 10,000 formulas (benchmarks/lint.py); what little is left in cycles is collected afterwards."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def no_collection_pauses(*, process_ends: bool = False) -> Iterator[None]:
    """`process_ends`: the caller is a command whose process exits right after. What the work made is then moved out
    of the collector's sight (gc.freeze) instead of being traversed again: re-enabling would start collections
    over all of it at once, and the interpreter collects everything once more at exit (together 50 ms of a
    10,000-formula lint). Never for a process that goes on (watch): frozen cycles are never freed."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if process_ends:
            gc.freeze()
        if was_enabled:
            gc.enable()
