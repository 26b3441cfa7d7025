"""Record the TeX logs the texlog tests read: compile each case's doc.tex as a build does, keep doc.log.

Run after a TeX Live upgrade changes what pdflatex prints, then check each case's expected.txt by eye:
    .venv/bin/python tests/texlog/record.py
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from notes_builder.compile import ENGINE_FLAGS, safe_tex_environment

CASES = Path(__file__).resolve().parent / "cases"


def record(case: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for source in case.iterdir():
            if source.suffix in (".tex", ".sty"):
                shutil.copy(source, scratch)
        subprocess.run(["pdflatex", *ENGINE_FLAGS, "doc.tex"], cwd=scratch, capture_output=True, timeout=60,
                       env=safe_tex_environment())
        shutil.copy(Path(scratch) / "doc.log", case / "doc.log")


if __name__ == "__main__":
    for case in sorted(CASES.iterdir()):
        record(case)
        print(f"recorded {case.name}/doc.log")
