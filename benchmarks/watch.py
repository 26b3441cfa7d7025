"""Watch latency: time from saving a notes file to the new PDF being in place (printed, not a test).

Starts `notes watch` (default --interval 0.25 s, --debounce 0.3 s) on a fresh `notes new` project in a
temporary folder, waits for the first build, then edits one prose line N times. For each edit it measures,
with time.perf_counter, the time from the write to the moment the PDF has been replaced and pdftotext
shows the edit. Usage: python benchmarks/watch.py [--edits N] [--interval S] [--debounce S]
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
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--debounce", type=float, default=0.3)
    args = parser.parse_args()
    notes = [sys.executable, "-m", "notes_builder"]
    with tempfile.TemporaryDirectory(prefix="notes-watch-bench-") as tmp:
        tmp_path = Path(tmp)
        project = tmp_path / "notes"
        subprocess.run([*notes, "new", "Watch benchmark", "--dir", str(project)], check=True, capture_output=True)
        out = tmp_path / "out"
        pdf = out / "watch-benchmark.pdf"
        process = subprocess.Popen([*notes, "watch", str(project), "--out", str(out), "--interval",
                                    str(args.interval), "--debounce", str(args.debounce)],
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
            print(f"watch latency, save to new PDF ({args.edits} edits, interval {args.interval} s, debounce "
                  f"{args.debounce} s): median {statistics.median(latencies):.2f} s, min {min(latencies):.2f} s, "
                  f"max {max(latencies):.2f} s")
        finally:
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
        print(f"notes watch exited with {code} after SIGINT")
    return 0


if __name__ == "__main__":
    sys.exit(main())
