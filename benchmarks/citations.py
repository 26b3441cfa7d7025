"""What citations cost: the default notes (which cite four works) beside the same notes without citations, and
beside pandoc --citeproc on the same Markdown, side by side in one run.

For each variant: a cold build (fresh build folder, empty user cache), a no-op rebuild, a rebuild after a one-line
prose edit (biber must not rerun: the cited keys did not change) and a rebuild after a new citation (biber reruns).
pandoc runs `--citeproc --bibliography references.bib` (and without either for the variant without citations),
with pdflatex. Medians over --runs runs. Not a test: it only measures and prints.

    .venv/bin/python benchmarks/citations.py [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _timing import settle, timed  # benchmarks/, beside this script

REPO = Path(__file__).resolve().parent.parent
NOTES = [sys.executable, "-m", "notes_builder"]
CITATION = re.compile(r" ?\[-?@[^\]]*\]|@(?=[a-z]+\d{4})")  # `[@a; see @b]` groups, and the `@` of `@key`


def copy_notes(target: Path, cite: bool) -> Path:
    """A private copy of the default notes (and what they include), with or without their citations."""
    shutil.copytree(REPO / "content", target / "content")
    (target / "notes_builder" / "train").mkdir(parents=True)
    shutil.copy(REPO / "notes_builder" / "train" / "model.py", target / "notes_builder" / "train")
    (target / ".git").mkdir()  # the include of the model file is allowed within a repository
    content = target / "content"
    if not cite:
        config = content / "notes.yaml"
        config.write_text(re.sub(r"^bibliography:.*\n", "", config.read_text(), flags=re.M))
        for section in content.glob("0*.md"):
            section.write_text(CITATION.sub("", section.read_text()))
    return content


def measure(content: Path, runs: int, scratch: Path, name: str) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"cold": [], "no-op": [], "prose edit": [], "new citation": []}
    last = content / "06-takeaways.md"
    original = last.read_text()
    for run in range(runs):
        out = scratch / f"{name}-build-{run}"
        cache = {"XDG_CACHE_HOME": str(scratch / f"{name}-cache-{run}")}
        build = [*NOTES, "build", str(content), "--pdf", "--out", str(out)]
        times["cold"].append(timed(build, env=cache))
        settle(Path(cache["XDG_CACHE_HOME"]))  # the preamble's dump, which the build left running
        times["no-op"].append(timed(build, env=cache))
        last.write_text(original + f"\nEdit number {run}.\n")
        times["prose edit"].append(timed(build, env=cache))
        if "bibliography:" in (content / "notes.yaml").read_text():
            last.write_text(original + f"\nEdit number {run}, as in [@gers2000].\n")
            times["new citation"].append(timed(build, env=cache))
        last.write_text(original)
    return times


def pandoc(content: Path, runs: int, scratch: Path, cite: bool) -> list[float]:
    sections = sorted(path.name for path in content.glob("0*.md"))
    extra = ["--citeproc", "--bibliography", "references.bib"] if cite else []
    return [timed(["pandoc", "-f", "markdown", *sections, *extra, "-o", str(scratch / f"pandoc-{cite}-{run}.pdf"),
                   "--pdf-engine=pdflatex"], cwd=content) for run in range(runs)]


def row(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:44s}      -"
    return f"  {label:44s} {statistics.median(values):6.2f} s  ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for tool in ("pandoc", "biber"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (scripts/setup installs it)")
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        with_citations = copy_notes(scratch / "cite", cite=True)
        without = copy_notes(scratch / "plain", cite=False)
        cited = measure(with_citations, args.runs, scratch, "cite")
        plain = measure(without, args.runs, scratch, "plain")
        citeproc = pandoc(with_citations, args.runs, scratch, cite=True)
        plain_pandoc = pandoc(without, args.runs, scratch, cite=False)
    print(f"default notes, {args.runs} runs each, medians (min-max)")
    for what in ("cold", "no-op", "prose edit", "new citation"):
        print(row(f"{what}, with citations", cited[what]))
        print(row(f"{what}, without citations", plain[what]))
    print(row("pandoc --citeproc -> pdflatex", citeproc))
    print(row("pandoc -> pdflatex, without citations", plain_pandoc))
    ratio = statistics.median(cited["cold"]) / statistics.median(citeproc)
    print(f"  cold with citations / pandoc --citeproc        {ratio:6.2f}")
    cost = statistics.median(cited["cold"]) - statistics.median(plain["cold"])
    print(f"  cost of citations, cold                        {cost:+6.2f} s")
    print(f"  cost of citations, prose edit                  "
          f"{statistics.median(cited['prose edit']) - statistics.median(plain['prose edit']):+6.2f} s "
          f"(target: a no-op stays under 0.3 s, a prose edit reruns no biber)")


if __name__ == "__main__":
    main()
