"""Watch latency: time from saving a notes file to the new PDF being in place (printed, not a test).

Starts `notes watch` (its defaults, or --interval/--debounce) on a fresh `notes new` project in a temporary folder,
waits for the first build, then edits one prose line N times. For each edit it measures, with time.perf_counter,
the time from the write to the moment the PDF has been replaced and pdftotext shows the edit (target <= 0.5 s).
The reference, side by side: the same edit followed by `notes build --pdf` (the build alone, process start
included), and the same wait for pdftotext to show it. Usage: python benchmarks/watch.py [--edits N]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def pdf_text(pdf: Path) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--interval", type=float, help="default: notes watch's own")
    parser.add_argument("--debounce", type=float, help="default: notes watch's own")
    args = parser.parse_args()
    notes = [sys.executable, "-m", "notes_builder"]
    with tempfile.TemporaryDirectory(prefix="notes-watch-bench-") as tmp:
        tmp_path = Path(tmp)
        project = tmp_path / "notes"
        subprocess.run([*notes, "new", "Watch benchmark", "--dir", str(project)], check=True, capture_output=True)
        out = tmp_path / "out"
        pdf = out / "watch-benchmark.pdf"
        tuning = [*(["--interval", str(args.interval)] if args.interval is not None else []),
                  *(["--debounce", str(args.debounce)] if args.debounce is not None else [])]
        process = subprocess.Popen([*notes, "watch", str(project), "--out", str(out), *tuning],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        build_lines: list[str] = []

        def pump() -> None:
            for line in process.stdout:
                if line.startswith("built: "):
                    build_lines.append(line.strip())

        threading.Thread(target=pump, daemon=True).start()
        try:
            deadline = time.perf_counter() + 120
            while not build_lines:
                if time.perf_counter() > deadline or process.poll() is not None:
                    raise SystemExit("notes watch did not build the first PDF")
                time.sleep(0.05)
            print(f"first build: {build_lines[0]}")
            section = project / "01-introduction.md"
            original = section.read_text(encoding="utf-8")
            latencies = []
            for edit in range(args.edits):
                marker = f"Benchmarkedit{edit}x"
                before = pdf.stat().st_mtime_ns
                started = time.perf_counter()
                section.write_text(original.replace("These notes were created", f"{marker} notes were created"),
                                   encoding="utf-8")
                deadline = started + 120
                while True:
                    if pdf.exists() and pdf.stat().st_mtime_ns != before and marker in pdf_text(pdf):
                        break
                    if time.perf_counter() > deadline:
                        raise SystemExit(f"edit {edit}: no new PDF within 120 s")
                    time.sleep(0.02)
                latency = time.perf_counter() - started
                latencies.append(latency)
                time.sleep(0.3)  # let the watcher print its line
                shown = build_lines[-1] if build_lines else ""
                print(f"edit {edit + 1}: save -> new PDF {latency:.2f} s   [{shown}]")
            print(f"watch latency, save to new PDF ({args.edits} edits, {' '.join(tuning) or 'default tuning'}): "
                  f"median {statistics.median(latencies):.2f} s, min {min(latencies):.2f} s, "
                  f"max {max(latencies):.2f} s (target <= 0.5 s)")
        finally:
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
        print(f"notes watch exited with {code} after SIGINT")
        builds = []
        for edit in range(args.edits):  # the reference: the same edit, then the build alone
            marker = f"Buildedit{edit}x"
            started = time.perf_counter()
            section.write_text(original.replace("These notes were created", f"{marker} notes were created"),
                               encoding="utf-8")
            subprocess.run([*notes, "build", str(project), "--pdf", "--out", str(out)], check=True,
                           capture_output=True)
            while marker not in pdf_text(pdf):
                time.sleep(0.02)
            builds.append(time.perf_counter() - started)
        print(f"reference, the same edit then `notes build --pdf`: median {statistics.median(builds):.2f} s, "
              f"min {min(builds):.2f} s, max {max(builds):.2f} s; watch adds "
              f"{statistics.median(latencies) - statistics.median(builds):+.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
