"""`notes lint` on notes written by others: reports per code, precision on hand-judged reports, chktex beside it.

For each corpus folder (fetched outside the repository: cs231n course notes, easy-rl and pumpkin-book docs):
every Markdown file is linted (`notes lint FILE --format json`, one process for the folder); the script prints
the number of formulas, the reports per code, and, from the verdict file, how many of the reports were judged
true or false by hand and the share of false ones (target: at most 1 in 10). Safe fixes are judged too: a safe
fix that would change what the formula means counts against the target of zero.

The verdict file (`benchmarks/results/lint_verdicts.tsv`) holds only references and judgements, never the corpus's
text: `corpus<TAB>file:line:col<TAB>code<TAB>true|false<TAB>fix ok|fix changes meaning|-<TAB>reason`.
`--todo` prints the reports that have no verdict yet, with their formula, for judging.

chktex runs on the same formulas (each in its own `$…$` or `\\[…\\]` line of one .tex file); its warnings are
counted, not judged.

    .venv/bin/python benchmarks/lint_realworld.py ~/corpora/cs231n ~/corpora/easy-rl/docs ~/corpora/pumpkin-book/docs
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
VERDICTS = REPO / "benchmarks" / "results" / "lint_verdicts.tsv"

from notes_builder.content import parse_section  # noqa: E402

SKIPPED = {".git", "node_modules", "_site", "vendor"}


def markdown_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.md") if not SKIPPED.intersection(p.relative_to(corpus).parts))


def lint(corpus: Path, files: list[Path]) -> tuple[list[dict], float]:
    started = time.perf_counter()
    # --no-cache: timed as a first lint; a rerun on the same corpus would repeat the record's findings. In its own
    # process: a resident lint process (lint/server.py) would answer all but the first
    result = subprocess.run([sys.executable, "-m", "notes_builder", "lint", "--format", "json", "--no-cache",
                             *[str(f.relative_to(corpus)) for f in files]], cwd=corpus, capture_output=True, text=True,
                            env={**os.environ, "NOTES_LINT_SERVER": "0"})
    return json.loads(result.stdout or "[]"), time.perf_counter() - started


def formulas(files: list[Path]) -> list[tuple[str, bool]]:
    found = []
    for path in files:
        try:
            section = parse_section(path)
        except Exception:  # noqa: BLE001 - a file the gather stage rejects is reported by lint as NB100
            continue
        found.extend((span.body, span.display) for span in section.math)
    return found


def chktex_counts(items: list[tuple[str, bool]]) -> tuple[int, int, float] | None:
    """(warnings, formulas with a warning, seconds) of chktex over the same formulas."""
    if shutil.which("chktex") is None:
        return None
    lines, owner = [], {}
    for index, (body, display) in enumerate(items):
        start = len(lines) + 1
        text = f"\\[{body}\\]" if display else f"${body}$"
        for offset, _ in enumerate(text.split("\n")):
            owner[start + offset] = index
        lines.extend(text.split("\n"))
    with tempfile.TemporaryDirectory() as scratch:
        tex = Path(scratch) / "formulas.tex"
        tex.write_text("\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        result = subprocess.run(["chktex", "-q", "-f", "%l:%n\n", str(tex)], capture_output=True, text=True)
        seconds = time.perf_counter() - started
    hits = [int(m.group(1)) for m in re.finditer(r"^(\d+):\d+$", result.stdout, re.M)]
    return len(hits), len({owner.get(line) for line in hits}), seconds


def read_verdicts() -> dict[tuple[str, str, str], tuple[str, str, str]]:
    verdicts = {}
    if VERDICTS.exists():
        for line in VERDICTS.read_text(encoding="utf-8").splitlines()[1:]:
            if line.strip():
                corpus, where, code, verdict, fix, reason = (line.split("\t") + [""] * 6)[:6]
                verdicts[(corpus, where, code)] = (verdict, fix, reason)
    return verdicts


def source_line(corpus: Path, report: dict) -> str:
    path = corpus / report["path"]
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    line = lines[report["line"] - 1] if 0 < report["line"] <= len(lines) else ""
    start = max(0, report["column"] - 60)
    return line[start:report["column"] + 60]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--todo", action="store_true", help="print reports that have no verdict yet")
    args = parser.parse_args()
    verdicts = read_verdicts()
    judged = Counter()
    fixes = Counter()
    all_reports = 0
    for corpus in (c.resolve() for c in args.corpora):
        name = corpus.name if corpus.name != "docs" else corpus.parent.name.split("+")[-1]
        files = markdown_files(corpus)
        reports, seconds = lint(corpus, files)
        items = formulas(files)
        all_reports += len(reports)
        codes = Counter(r["code"] for r in reports)
        print(f"{name}: {len(files)} files, {len(items)} formulas, notes lint {len(reports)} reports on "
              f"{len({(r['path'], r['line']) for r in reports})} lines in {seconds:.2f} s "
              f"({', '.join(f'{c} {n}' for c, n in sorted(codes.items()))})")
        checked = chktex_counts(items)
        if checked:
            print(f"  chktex on the same formulas: {checked[0]} warnings on {checked[1]} formulas "
                  f"in {checked[2]:.2f} s")
        for report in reports:
            where = f"{report['path']}:{report['line']}:{report['column']}"
            verdict = verdicts.get((name, where, report["code"]))
            if verdict is None:
                if args.todo:
                    fix = report.get("fix") or {}
                    print(f"TODO\t{name}\t{where}\t{report['code']}\t{report['message']}\t"
                          f"fix={fix.get('applicability', '-')}:{fix.get('replacement', '')[:40]!r}\t"
                          f"{source_line(corpus, report)}")
                continue
            judged[verdict[0]] += 1
            if report.get("fix") and report["fix"].get("applicability") == "safe":
                fixes[verdict[1]] += 1
    total = judged["true"] + judged["false"]
    print(f"judged by hand: {total} of {all_reports} reports; true {judged['true']}, false {judged['false']}"
          + (f" ({100 * judged['false'] / total:.1f} % false; target <= 10 %)" if total else ""))
    print(f"safe fixes judged: {sum(fixes.values())}; keep the meaning {fixes['fix ok']}, change it "
          f"{fixes['fix changes meaning']} (target 0)")


if __name__ == "__main__":
    main()
