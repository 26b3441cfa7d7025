"""Real-world notes: build every Markdown file of someone else's corpus with notes and with pandoc.

For each `*.md` file under CORPUS_DIR (one by one, from the corpus root, as a user of a book would run it):
`notes build FILE --pdf` and, side by side, `pandoc FILE -o x.pdf` (pdflatex; for `--lang zh` xelatex with
a CJK main font). Prints the number of files, how many each tool built, the median seconds per file for each
and their ratio, the files pandoc built that notes did not, notes' failures grouped by their first error, and the
coverage of MathJax's and KaTeX's commands (tests/render/mathjax_commands.tsv, see mathjax_checklist.py).
Not a test: it only measures and prints. The corpora are other people's text: fetch them outside the
repository and never commit them.

    .venv/bin/python benchmarks/realworld.py ~/corpora/cs231n --lang en [--jobs 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

NOTES = [sys.executable, "-m", "notes_builder"]
CJK_FONT = "AR PL UMing CN"
SKIPPED_FOLDERS = {".git", "node_modules", "_site", "vendor"}


def markdown_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.md")
                  if p.is_file() and not SKIPPED_FOLDERS.intersection(p.relative_to(corpus).parts))


def run(command: list[str], cwd: Path, timeout: float) -> tuple[bool, float, str]:
    started = time.perf_counter()
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "200"})
    except subprocess.TimeoutExpired:
        return False, time.perf_counter() - started, f"timeout after {timeout:.0f} s"
    return result.returncode == 0, time.perf_counter() - started, result.stderr


def first_error(stderr: str) -> str:
    """The first error line, without the file and position, so that failures group by their kind."""
    for line in stderr.splitlines():
        if "error" in line.lower() or "timeout" in line:
            line = re.sub(r"^\S*?:\d+(?::\d+)?:\s*", "", line.strip())
            line = re.sub(r"^error:\s*", "", line)
            line = re.sub(r"'[^']{25,}'", "'…'", line)
            return line[:110]
    lines = [line for line in stderr.splitlines() if line.strip()]
    return (lines[-1] if lines else "failed with no message")[:110]


def build_one(path: Path, corpus: Path, lang: str, timeout: float, pandoc: bool) -> dict:
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        notes_ok, notes_s, notes_err = run([*NOTES, "build", str(path.relative_to(corpus)), "--pdf", "-q",
                                            "--out", str(scratch / "notes")], corpus, timeout)
        row = {"file": str(path.relative_to(corpus)), "notes_ok": notes_ok, "notes_s": notes_s,
               "notes_error": "" if notes_ok else first_error(notes_err),
               "notes_stderr": "" if notes_ok else notes_err[-1500:]}
        if pandoc:
            command = ["pandoc", str(path.resolve()), "-o", str(scratch / "pandoc.pdf"),
                       f"--resource-path={path.parent}:{corpus}"]
            if lang == "zh":
                command += ["--pdf-engine=xelatex", "-V", f"CJKmainfont={CJK_FONT}"]
            else:
                command += ["--pdf-engine=pdflatex"]
            pandoc_ok, pandoc_s, pandoc_err = run(command, path.parent, timeout)
            row.update(pandoc_ok=pandoc_ok, pandoc_s=pandoc_s,
                       pandoc_error="" if pandoc_ok else first_error(pandoc_err))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--lang", choices=["en", "zh"], default="en")
    parser.add_argument("--jobs", type=int, default=1, help="files built at once (1: cleanest timings)")
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--no-pandoc", action="store_true", help="only notes (reuses nothing of pandoc)")
    parser.add_argument("--json", type=Path, help="write every file's result here")
    parser.add_argument("--match", default="", help="only files whose path contains this")
    args = parser.parse_args()
    if not args.no_pandoc and shutil.which("pandoc") is None:
        raise SystemExit("pandoc is not installed (apt-get install pandoc)")
    corpus = args.corpus.resolve()
    files = [p for p in markdown_files(corpus) if args.match in str(p.relative_to(corpus))]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(lambda p: build_one(p, corpus, args.lang, args.timeout, not args.no_pandoc), files))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False))

    notes_built = [r for r in rows if r["notes_ok"]]
    print(f"corpus: {corpus.name} ({args.lang}), {len(rows)} Markdown files, jobs={args.jobs}")
    print(f"built by notes:  {len(notes_built)}")
    notes_median = statistics.median(r["notes_s"] for r in rows) if rows else 0.0
    if not args.no_pandoc:
        pandoc_built = [r for r in rows if r["pandoc_ok"]]
        both = [r for r in rows if r["pandoc_ok"] and r["notes_ok"]]
        print(f"built by pandoc: {len(pandoc_built)}")
        missed = [r for r in rows if r["pandoc_ok"] and not r["notes_ok"]]
        print(f"pandoc built, notes did not: {len(missed)}")
        pandoc_median = statistics.median(r["pandoc_s"] for r in rows) if rows else 0.0
        print(f"median seconds per file: notes {notes_median:.2f}, pandoc {pandoc_median:.2f}, "
              f"ratio {notes_median / pandoc_median if pandoc_median else float('nan'):.2f}")
        if both:
            notes_both = statistics.median(r["notes_s"] for r in both)
            pandoc_both = statistics.median(r["pandoc_s"] for r in both)
            print(f"median over the {len(both)} files both built: notes {notes_both:.2f}, pandoc {pandoc_both:.2f}, "
                  f"ratio {notes_both / pandoc_both:.2f}")
        for row in missed:
            print(f"  {row['file']}: {row['notes_error']}")
        pandoc_failures = Counter(r["pandoc_error"] for r in rows if not r["pandoc_ok"])
        if pandoc_failures:
            print("pandoc's failures by first error:")
            for message, count in pandoc_failures.most_common():
                print(f"  {count:3d}  {message}")
    else:
        print(f"median seconds per file: notes {notes_median:.2f}")
    from mathjax_checklist import coverage, read_table  # benchmarks/, next to this script

    print(coverage(read_table()))
    groups: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if not row["notes_ok"]:
            groups[row["notes_error"]].append(row["file"])
    if groups:
        print("notes' failures by first error:")
        for message, names in sorted(groups.items(), key=lambda item: -len(item[1])):
            print(f"  {len(names):3d}  {message}   [{', '.join(names[:3])}{', ...' if len(names) > 3 else ''}]")


if __name__ == "__main__":
    main()
