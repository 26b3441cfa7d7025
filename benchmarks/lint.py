"""Benchmark `notes lint`: 10,000 formulas, the checker alone and end to end (the `notes lint` command, text and JSON
output, in its own process and answered by a resident lint process; target >= 15,000 formulas/s), chktex on the
same formulas; one small file (target <= 80 ms) beside chktex on it and `python -c pass`, with and without the
package's bytecode (PYTHONDONTWRITEBYTECODE=1 on a copy with no __pycache__: Python compiles the package at every
run) and answered by a resident lint process (lint/server.py; the other rows run with NOTES_LINT_SERVER=0), and
beside its import floor: `python -c "import ..."` of the modules a `notes lint --no-cache small.md` run adds to a
bare interpreter's sys.modules, less notes_builder* and private `_` names (click, markdown-it, its plugins and the
stdlib they load; no notes code), bytecode cached, with the number of those modules; and `notes lint --compile` on
the default notes (< 3 s).
The command checks 2,000 or more formulas on two CPUs where it may (FormulaChecker.check_all): the JSON run is
timed on one CPU too.

Run: .venv/bin/python benchmarks/lint.py [--count 10000]
Public tools only: time.perf_counter and subprocess.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from notes_builder.lint import lint_paths  # noqa: E402
from notes_builder.lint.checker import FormulaChecker  # noqa: E402
from notes_builder.tex import macros  # noqa: E402
from tests.lint.corpus.broken import BROKEN  # noqa: E402
from tests.lint.corpus.valid import valid_formulas  # noqa: E402


def formulas(count: int) -> list[str]:
    """`count` distinct formulas: the corpus, each varied with a distinct extra term (no cache hits)."""
    base = [f for c, f in valid_formulas() if c == "inline"] + [b[0] for b in BROKEN if b[3] == "inline"]
    base = [f for f in base if "$" not in f]  # a `$` inside `$...$` changes the Markdown, not the formula
    out = []
    for index in range(count):
        formula = base[index % len(base)]
        out.append(f"{formula} + a_{{{index}}}")
    return out


def bench_checker(items: list[str]) -> float:
    checker = FormulaChecker(macros.base_macros())  # fresh: empty cache
    started = time.perf_counter()
    for formula in items:
        checker.check(formula, "inline")
    return time.perf_counter() - started


def bench_end_to_end(items: list[str], folder: Path) -> tuple[float, int]:
    notes = folder / "notes"
    notes.mkdir()
    lines = ["# Benchmark", ""] + [f"Formula {i}: ${f}$." for i, f in enumerate(items)]
    (notes / "bench.md").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    (notes / "notes.yaml").write_text("title: Bench\nsections: [bench.md]\n", encoding="utf-8")
    started = time.perf_counter()
    report = lint_paths([notes])
    return time.perf_counter() - started, report.formulas


def bench_chktex(items: list[str], folder: Path) -> float | None:
    tool = shutil.which("chktex")
    if tool is None:
        return None
    tex = folder / "formulas.tex"
    body = "\n\n".join(f"${f}$" for f in items)
    tex.write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n" + body
                   + "\n\\end{document}\n", encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([tool, "-q", "-n", "all", "-w", "all", str(tex)], capture_output=True, check=False)
    return time.perf_counter() - started


def one_cpu() -> None:
    """Run on one CPU only (subprocess preexec_fn): lint checks many formulas on two CPUs where it may."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def wall(command: list[str], env: dict[str, str | None] | None = None, cwd: Path | None = None,
         cpus: int = 0) -> float:
    """Seconds `command` takes. `env` is added to the environment; a value None removes the variable (a
    PYTHONDONTWRITEBYTECODE=1 inherited from the shell would otherwise make every run compile the package).
    `cwd` must not be the repository for a run that means to import another copy: `-m` puts it first on sys.path.
    `cpus=1`: on one CPU (Linux)."""
    merged = {**os.environ, **(env or {})}
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, cwd=cwd, preexec_fn=one_cpu if cpus == 1 else None,
                   env={name: value for name, value in merged.items() if value is not None})
    return time.perf_counter() - started


# `notes` as a user runs it once its bytecode is written: PYTHONDONTWRITEBYTECODE unset, run once before timing;
# in its own process (no resident lint process, lint/server.py), unless a row says otherwise.
CACHED_BYTECODE: dict[str, str | None] = {"PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": None,
                                          "NOTES_LINT_SERVER": "0"}


def edit(path: Path) -> None:
    """Change the file (a comment at its end, new at each call), so that the run lints it: lint's record
    (lint/record.py) answers a rerun on notes as they were at a run before, without linting."""
    text = path.read_text(encoding="utf-8").split("<!-- edit ")[0]
    path.write_text(f"{text}<!-- edit {time.time_ns()} -->\n", encoding="utf-8")


def bench_commands(notes: Path, count: int, runs: int = 3) -> None:
    """`notes lint` as a user runs it after an edit, text and JSON output, on the 10,000-formula file (alternating
    runs; each after an edit of the file, so that it lints and writes its record)."""
    text, json_, single, served_text, served_json = [], [], [], [], []
    lint_text = [sys.executable, "-m", "notes_builder", "lint", str(notes)]
    wall(lint_text, CACHED_BYTECODE, notes)  # writes bytecode
    lint_json = [*lint_text, "--format", "json"]
    with resident_environment() as resident:
        started_resident(lint_text, resident, notes)
        for _ in range(runs):
            for command, env, values in ((lint_text, CACHED_BYTECODE, text), (lint_json, CACHED_BYTECODE, json_),
                                         (lint_text, resident, served_text), (lint_json, resident, served_json)):
                edit(notes / "bench.md")
                values.append(wall(command, env, notes))
            if hasattr(os, "sched_setaffinity"):
                edit(notes / "bench.md")
                single.append(wall(lint_json, CACHED_BYTECODE, notes, cpus=1))
    figures = [("text", text), ("JSON", json_)] + ([("JSON, one CPU", single)] if single else []) + [
        ("text, resident lint process answers", served_text), ("JSON, resident lint process answers", served_json)]
    for label, values in figures:
        seconds = statistics.median(values)
        print(f"notes lint command, {label} output: {count} formulas in {seconds:.3f} s = {count / seconds:,.0f} "
              f"formulas/s (median of {runs}; target >= 15,000)")


# Prints the modules in sys.modules when it ends, those the import system found (a __spec__): not the ones a module
# puts there itself (typing.io, cython_runtime), which its import brings anyway. With arguments: after a run of
# `notes` with them, as `python -m notes_builder` runs it (runpy, which -m imports too).
_MODULES = """import sys
if sys.argv[1:]:
    import runpy
    sys.argv = ["notes", *sys.argv[1:]]
    try:
        runpy.run_module("notes_builder", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
print(" sys.modules:", *sorted(name for name, module in sys.modules.items() if getattr(module, "__spec__", None)))
"""


def import_floor(small: Path, folder: Path) -> list[str]:
    """The modules `notes lint --no-cache small.md` adds to a bare interpreter's (`python -c pass`) sys.modules,
    less notes_builder* and private top-level `_` names: what its run imports that is no notes code. Checks that
    `python -c "import <them all>"` runs."""
    def output(command: list[str]) -> str:
        env = {name: value for name, value in {**os.environ, **CACHED_BYTECODE}.items() if value is not None}
        return subprocess.run(command, capture_output=True, text=True, check=True, cwd=folder, env=env).stdout

    bare = set(output([sys.executable, "-c", _MODULES]).rsplit(" sys.modules:", 1)[1].split())
    lint = set(output([sys.executable, "-c", _MODULES, "lint", "--no-cache", str(small)])  # after lint's own output
               .rsplit(" sys.modules:", 1)[1].split())
    modules = sorted(name for name in lint - bare if not name.startswith(("notes_builder", "_")))
    output([sys.executable, "-c", "import " + ", ".join(modules)])  # each imports on its own; writes bytecode
    return modules


def bench_small_file(folder: Path, runs: int = 9) -> None:
    """One small file, the start-up a user waits for: notes lint beside chktex and `python -c pass`. `notes lint` on
    the file as it was at the last run (its record answers) and edited before each run (it lints)."""
    small = folder / "small.md"
    small.write_text("---\ntitle: Small\n---\n\n# Gates\n\nThe forget gate $f_t = \\sigma(W_f x_t + b_f)$ and "
                     "$\\tilde{c}_t$.\n\n$$h_t = o_t \\odot \\tanh(c_t)$$\n", encoding="utf-8")
    tex = folder / "small.tex"
    tex.write_text("\\documentclass{article}\n\\begin{document}\nThe forget gate $f_t = \\sigma(W_f x_t + b_f)$."
                   "\n\\end{document}\n", encoding="utf-8")
    bare = folder / "no-bytecode"
    shutil.copytree(REPO / "notes_builder", bare / "notes_builder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", bare / "templates")
    lint_small = [sys.executable, "-m", "notes_builder", "lint", str(small)]
    no_bytecode = {"PYTHONPATH": str(bare), "PYTHONDONTWRITEBYTECODE": "1", "NOTES_LINT_SERVER": "0"}
    commands = {"python -c pass": ([sys.executable, "-c", "pass"], None, False),
                "notes lint small.md, unchanged, bytecode cached": (lint_small, CACHED_BYTECODE, False),
                "notes lint small.md, edited, bytecode cached": (lint_small, CACHED_BYTECODE, True),
                "notes lint small.md, unchanged, PYTHONDONTWRITEBYTECODE=1, none cached": (
                    lint_small, no_bytecode, False),
                "notes lint small.md, edited, PYTHONDONTWRITEBYTECODE=1, none cached": (lint_small, no_bytecode, True)}
    if shutil.which("chktex"):
        commands["chktex small.tex"] = ([shutil.which("chktex"), "-q", str(tex)], None, False)
    wall(lint_small, CACHED_BYTECODE, folder)  # writes the bytecode the cached runs read
    modules = import_floor(small, folder)
    commands["import floor (its third-party modules + their stdlib; no notes code)"] = (
        [sys.executable, "-c", "import " + ", ".join(modules)], CACHED_BYTECODE, False)
    with resident_environment() as resident:
        commands["notes lint small.md, unchanged, resident lint process answers"] = (lint_small, resident, False)
        commands["notes lint small.md, edited, resident lint process answers"] = (lint_small, resident, True)
        started_resident(lint_small, resident, folder)
        times: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(runs):
            for label, (command, env, edited) in commands.items():
                if edited:
                    edit(small)
                elif command is lint_small:
                    wall(command, env, folder)  # the record of the file as it is now (an edited run changed it)
                times[label].append(wall(command, env, folder))  # not the repository: -m would import it first
    width = max(map(len, times))
    for label, values in times.items():
        print(f"one small file: {label:{width}s} {1000 * statistics.median(values):6.1f} ms  "
              f"({1000 * min(values):.0f}-{1000 * max(values):.0f}; target for notes lint <= 80 ms)")
    third_party = sorted({name.split(".")[0] for name in modules} - set(sys.stdlib_module_names))
    print(f"one small file: the import floor is {len(modules)} modules (besides the stdlib: {', '.join(third_party)})")


@contextlib.contextmanager
def resident_environment() -> Iterator[dict[str, str | None]]:
    """The environment of runs that a resident lint process answers, in a runtime folder of their own (a short
    path: a Unix socket's must be), whose removal at the end ends the process within a second."""
    runtime = Path(tempfile.mkdtemp(prefix="nb", dir="/tmp"))
    try:
        yield {**CACHED_BYTECODE, "NOTES_LINT_SERVER": None, "CI": None, "XDG_RUNTIME_DIR": str(runtime)}
    finally:
        shutil.rmtree(runtime)


def started_resident(command: list[str], env: dict[str, str | None], folder: Path) -> None:
    """Run `command` once (which starts a resident lint process) and wait until that process listens (it binds its
    socket once it has imported what a lint needs)."""
    wall(command, env, folder)
    sockets = Path(str(env["XDG_RUNTIME_DIR"])) / "notes-builder"
    deadline = time.monotonic() + 30
    while not list(sockets.glob("*.sock")) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not list(sockets.glob("*.sock")):
        print("no resident lint process started (NOTES_LINT_SERVER, CI?): its rows ran in their own process")


_COMPILED = re.compile(r"compiled (\d+) of \d+ formulas? in ([\d.]+) s")


def bench_compile() -> tuple[float, float, int] | str | None:
    """One `notes lint --compile` run: its wall time, and the pdflatex batch time it reports on stderr
    (`compiled N of M formulas in X s`); a string says why the run gave no such line."""
    content = REPO / "content"
    if not (content / "notes.yaml").exists() or shutil.which("pdflatex") is None:
        return None
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "notes_builder", "lint", "--compile", str(content)], cwd=REPO,
                         capture_output=True, text=True, check=False,
                         env={**os.environ, "NOTES_LINT_SERVER": "0"})  # its own process; none left behind
    wall = time.perf_counter() - started
    found = _COMPILED.search(run.stderr)
    if found is None:
        return f"no 'compiled N of M formulas' line (exit {run.returncode}): {run.stderr.strip()[-300:]}"
    return wall, float(found.group(2)), int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    items = formulas(args.count)
    checker_seconds = bench_checker(items)
    print(f"formula checker: {len(items)} formulas in {checker_seconds:.3f} s = "
          f"{len(items) / checker_seconds:,.0f} formulas/s (target >= 5,000)")
    with tempfile.TemporaryDirectory(prefix="lint-bench-") as folder:
        seconds, count = bench_end_to_end(items, Path(folder))
        print(f"end to end (Markdown parse + all rules + document rules): {count} formulas in {seconds:.3f} s = "
              f"{count / seconds:,.0f} formulas/s")
        bench_commands(Path(folder) / "notes", count)
        bench_small_file(Path(folder))
        chk = bench_chktex(items, Path(folder))
        if chk is None:
            print("chktex: not installed")
        else:
            print(f"chktex on the same formulas (one .tex file): {chk:.3f} s; notes lint takes "
                  f"{checker_seconds / chk:.1f}x chktex's time (formula checker), {seconds / chk:.1f}x (end to end)")
    compiled = bench_compile()
    if compiled is None:
        print("--compile: skipped (no default notes or no pdflatex)")
    elif isinstance(compiled, str):
        print(f"--compile: failed: {compiled}")
    else:
        wall, inner, count = compiled
        print(f"notes lint --compile on the default notes ({count} formulas): {wall:.2f} s wall "
              f"(process start to exit), {inner:.2f} s in the pdflatex batch (target < 3 s)")


if __name__ == "__main__":
    main()
