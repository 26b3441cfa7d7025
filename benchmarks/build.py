"""Build speed of the default notes, side by side with pandoc on the same Markdown.

Prints: cold build (fresh build folder, empty cache; until the command returns with the PDF, and until the dump
of its precompiled preamble, which goes on after it, is done) vs `pandoc ... --pdf-engine=pdflatex` (with
--citeproc when the notes cite) and their ratio (target <= 1.0); the same first build with a warm user cache
(the precompiled preamble of earlier builds; target <= 0.75x pandoc);
a no-op rebuild (no LaTeX run, target <= 0.08 s); a rebuild after a one-line prose edit (target <= 0.7 s);
the floor of a first build that keeps the notes' look: one pdflatex pass of the cold build's own final .tex (in a
copy of its work folder, .bbl and figures present, no precompiled preamble) beside one pass of pandoc's standalone
.tex of the same Markdown (`pandoc ... -s -o x.tex`, same options), and the ratios of our one pass to pandoc's whole
run (Markdown -> PDF) and to pandoc's one pass;
and start-up: `python -c pass` beside `notes --version` and the no-op build, each with the package's bytecode cached
(a normal install) and without it (a copy of the package with no __pycache__, run with PYTHONDONTWRITEBYTECODE=1, as
some environments do: Python then compiles the package at every run). Runs alternate between the tools; medians
over --runs runs. Not a test: it only measures and prints.

    .venv/bin/python benchmarks/build.py [--runs 5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _timing import settle, timed  # benchmarks/, beside this script

REPO = Path(__file__).resolve().parent.parent
NOTES = [sys.executable, "-m", "notes_builder"]


def median(values: list[float]) -> float:
    return statistics.median(values)


def startup(content: Path, out: Path, scratch: Path, runs: int) -> None:
    """Start-up figures, with and without the package's bytecode, runs alternating between the commands."""
    bare = scratch / "no-bytecode"
    shutil.copytree(REPO / "notes_builder", bare / "notes_builder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", bare / "templates")
    modes = {"bytecode cached": {"PYTHONPATH": str(REPO)},
             "PYTHONDONTWRITEBYTECODE=1, none cached": {"PYTHONPATH": str(bare), "PYTHONDONTWRITEBYTECODE": "1"}}
    # -P: the package comes from PYTHONPATH, not from the folder the benchmark was started in
    notes = [sys.executable, "-P", "-m", "notes_builder"]
    commands = {"python -c pass (reference)": [sys.executable, "-c", "pass"],
                "notes --version": [*notes, "--version"],
                "notes build (no-op)": [*notes, "build", str(content), "--pdf", "--out", str(out)]}
    times: dict[tuple[str, str], list[float]] = {(m, c): [] for m in modes for c in commands}
    for _ in range(max(runs, 7)):
        for mode, env in modes.items():
            for label, command in commands.items():
                times[mode, label].append(timed(command, env=env))
    print("start-up, medians (min-max):")
    for mode in modes:
        for label in commands:
            values = times[mode, label]
            print(f"  {label:28s} {mode:38s} {median(values):6.3f} s  ({min(values):.3f}-{max(values):.3f})")


def one_pass(folder: Path, tex: str) -> float:
    """Seconds of one pdflatex pass of `tex` in `folder`: the LaTeX floor of a build that keeps that .tex."""
    return timed(["pdflatex", "-interaction=batchmode", "-halt-on-error", "-no-shell-escape", tex], cwd=folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("pandoc") is None:
        raise SystemExit("pandoc is not installed (apt-get install pandoc)")

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        # A private copy of the repository's notes, so that the edit benchmark can change a file.
        shutil.copytree(REPO / "content", scratch / "content")
        (scratch / "notes_builder" / "train").mkdir(parents=True)
        shutil.copy(REPO / "notes_builder" / "train" / "model.py", scratch / "notes_builder" / "train")
        (scratch / ".git").mkdir()  # the include of the model file is allowed within a repository
        content = scratch / "content"
        sections = sorted(p.name for p in content.glob("0*.md"))

        # the default notes cite (bibliography: in notes.yaml): pandoc does the same work with --citeproc
        bib = re.search(r"^bibliography:\s*(\S+)", (content / "notes.yaml").read_text(), re.M)
        citeproc = ["--citeproc", "--bibliography", bib.group(1)] if bib else []
        cold, dumped, pandoc, noop, edit, fresh_folder = [], [], [], [], [], []
        our_pass, pandoc_pass = [], []  # the floor: one pdflatex pass of our .tex, of pandoc's .tex
        pandoc_tex = scratch / "pandoc-tex"  # pandoc's .tex names the figures relative to the notes: results/...
        shutil.copytree(content / "results", pandoc_tex / "results")
        for run in range(args.runs):
            out = scratch / f"build-{run}"
            # cold: a fresh build folder and an empty user cache (highlighted code)
            cache = {"XDG_CACHE_HOME": str(scratch / f"cache-{run}")}
            started = time.perf_counter()
            cold.append(timed([*NOTES, "build", str(content), "--pdf", "--out", str(out)], env=cache))
            # the preamble's dump goes on after the build (preamble.py): done before anything else is timed
            settle(Path(cache["XDG_CACHE_HOME"]))
            dumped.append(time.perf_counter() - started)
            pandoc.append(timed(["pandoc", "-f", "markdown", *sections, *citeproc, "-o",
                                 str(scratch / f"pandoc-{run}.pdf"), "--pdf-engine=pdflatex"], cwd=content))
            # the floor: one pass of the cold build's final .tex, in a copy of its work folder (.work-<name>/:
            # the .bbl, figures/ and bibliography/ it names), with the standard format (no precompiled preamble)
            work = next(out.glob(".work-*"))
            ours = scratch / f"floor-{run}"
            shutil.copytree(work, ours)
            our_pass.append(one_pass(ours, work.name.removeprefix(".work-") + ".tex"))
            timed(["pandoc", "-f", "markdown", *sections, *citeproc, "-s", "-o", str(pandoc_tex / "pandoc.tex")],
                  cwd=content)
            pandoc_pass.append(one_pass(pandoc_tex, "pandoc.tex"))
            noop.append(timed([*NOTES, "build", str(content), "--pdf", "--out", str(out)], env=cache))
            takeaways = content / "06-takeaways.md"
            takeaways.write_text(takeaways.read_text() + f"\nEdit number {run}.\n")
            edit.append(timed([*NOTES, "build", str(content), "--pdf", "--out", str(out)], env=cache))
            # a first build in a new folder, with the user cache of earlier builds (precompiled preamble)
            fresh_folder.append(timed([*NOTES, "build", str(content), "--pdf", "--out", str(out) + "-new"],
                                      env=cache))

        startup(content, scratch / f"build-{args.runs - 1}", scratch, args.runs)  # up to date after the loop

    print(f"default notes, {args.runs} runs each, medians (min-max)")
    rows = [("cold build, notes build --pdf", cold), ("  and its preamble dump, done after it", dumped),
            ("pandoc -> pdflatex, same Markdown", pandoc),
            ("no-op rebuild (no LaTeX run)", noop), ("rebuild after a one-line edit", edit),
            ("first build in a new folder, warm cache", fresh_folder),
            ("floor: 1 pdflatex pass, our .tex", our_pass), ("floor: 1 pdflatex pass, pandoc's .tex", pandoc_pass)]
    for label, values in rows:
        print(f"  {label:38s} {median(values):6.2f} s  ({min(values):.2f}-{max(values):.2f})")
    print(f"  ratio cold / pandoc                    {median(cold) / median(pandoc):6.2f}   (target <= 1.0)")
    print(f"  ratio new folder (warm cache) / pandoc {median(fresh_folder) / median(pandoc):6.2f}   (target <= 0.75)")
    print(f"  no-op rebuild                          {median(noop):6.3f} s (target <= 0.08 s)")
    print(f"  one-line edit -> PDF                   {median(edit):6.2f} s (target <= 0.7 s)")
    print(f"  ratio one-line edit / cold             {median(edit) / median(cold):6.2f}")
    floors = [("floor: one pass of our .tex / pandoc whole run (Markdown -> PDF)", median(pandoc)),
              ("floor: one pass of our .tex / one pass of pandoc's .tex", median(pandoc_pass))]
    for label, other in floors:
        print(f"  {label:64s} {median(our_pass) / other:6.2f}")


if __name__ == "__main__":
    main()
