"""The resident lint process (lint/server.py): a command it answers prints what the command prints in its own
process, byte for byte, with the same exit code; changed code is never served; Ctrl-C reaches the command; a
resident process that does not answer is passed by without running the command twice.

Each test has its own runtime folder (so its own resident processes), ended at teardown by removing their sockets.
`probe.py` is the client alone: with NOTES_LINT_SERVER=0 it runs the command in its own process (the reference),
otherwise it exits 99 where no resident process answered (after starting one): the tests know which ran it."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from notes_builder.lint import server

REPO = Path(__file__).resolve().parents[2]
NOT_SERVED = 99
PROBE = f"""
import os, sys
sys.path.insert(1, {str(REPO)!r})
from notes_builder.lint import server
if os.environ.get("NOTES_LINT_SERVER") == "0":
    from notes_builder.launch import main
    main()
code = server.answer(sys.argv)
if not isinstance(code, int):
    if code != "declined":
        server.start()
    sys.exit({NOT_SERVED})
sys.exit(code)
"""
SMALL = "# Gates\n\nThe forget gate $f_t = \\sigma(W_f x_t + b_f)$ and $h_t-1$, $sigma(x)$.\n"


@pytest.fixture
def runtime(tmp_path):
    """An environment whose resident processes live in a folder of their own (a short path: a Unix socket's must
    be), ended at teardown."""
    folder = Path(tempfile.mkdtemp(prefix="nb", dir="/tmp"))
    environment = {**os.environ, "XDG_RUNTIME_DIR": str(folder), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for name in ("NOTES_LINT_SERVER", "CI"):
        environment.pop(name, None)
    (tmp_path / "probe.py").write_text(PROBE, encoding="utf-8")
    yield environment
    end_resident_processes(folder / "notes-builder")
    shutil.rmtree(folder)


def end_resident_processes(sockets: Path) -> None:
    """Remove their sockets (each ends within a second) and wait for their end; kill one that lingers."""
    pids = {int(lock.read_text(encoding="utf-8") or 0) for lock in sockets.glob("*.lock")} - {0}
    for socket in sockets.glob("*.sock"):
        socket.unlink()
    deadline = time.monotonic() + 10
    for pid in pids:
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def probe(tmp_path: Path, environment: dict[str, str], *args: str, served: bool = True,
          **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(tmp_path / "probe.py"), "lint", *args], cwd=tmp_path,
                          env=environment if served else {**environment, "NOTES_LINT_SERVER": "0"},
                          capture_output=True, **kwargs)


def until_served(tmp_path: Path, environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run the probe until a resident process answers (the first run starts one; it imports for a moment)."""
    deadline = time.monotonic() + 30
    while True:
        result = probe(tmp_path, environment, *args)
        if result.returncode != NOT_SERVED or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_a_served_command_prints_what_its_own_process_prints(tmp_path, runtime):
    (tmp_path / "small.md").write_text(SMALL, encoding="utf-8")
    (tmp_path / "clean.md").write_text("# Clean\n\n$a + b$\n", encoding="utf-8")
    command_lines = [["small.md"], ["--format", "json", "small.md"], ["clean.md"], ["missing.md"],
                     ["--explain", "NB111"], ["--select", "NB1", "--ignore", "NB111", "small.md"], ["--help"],
                     ["--diff", "small.md"], ["--no-cache", str(tmp_path / "small.md")], ["--bogus"]]
    assert until_served(tmp_path, runtime, "clean.md").returncode == 0
    for arguments in command_lines:
        own = probe(tmp_path, runtime, *arguments, served=False)
        served = probe(tmp_path, runtime, *arguments)
        assert served.returncode != NOT_SERVED, arguments
        assert (served.returncode, served.stdout, served.stderr) == (own.returncode, own.stdout, own.stderr), \
            arguments
    assert b"NB111" in probe(tmp_path, runtime, "small.md").stdout  # the findings, not an empty run


def test_the_served_command_runs_in_the_clients_folder_with_its_environment(tmp_path, runtime):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "gates.md").write_text(SMALL, encoding="utf-8")
    copy = tmp_path / "copy"
    shutil.copytree(notes, copy)
    assert until_served(tmp_path, runtime, "--help").returncode == 0
    served = probe(tmp_path, runtime, "--fix", "notes/gates.md")
    own = probe(tmp_path, runtime, "--fix", "copy/gates.md", served=False)
    assert served.returncode == own.returncode
    assert (notes / "gates.md").read_text(encoding="utf-8") == (copy / "gates.md").read_text(encoding="utf-8")
    assert (notes / "gates.md").read_text(encoding="utf-8") != SMALL
    # the client's environment, not the one the resident process began with: the record goes to its cache
    other_cache = tmp_path / "other-cache"
    assert probe(tmp_path, {**runtime, "XDG_CACHE_HOME": str(other_cache)}, "notes/gates.md").returncode == 1
    assert list((other_cache / "notes-builder" / "lint").glob("*.marshal"))


def test_changed_code_is_never_served_and_ends_the_resident_process(tmp_path, runtime):
    package = tmp_path / "installed"
    shutil.copytree(REPO / "notes_builder", package / "notes_builder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    environment = {**runtime, "PYTHONPATH": str(package)}
    probe_file = tmp_path / "probe.py"
    probe_file.write_text(PROBE.replace(f"sys.path.insert(1, {str(REPO)!r})", ""), encoding="utf-8")
    (tmp_path / "small.md").write_text(SMALL, encoding="utf-8")
    assert until_served(tmp_path, environment, "small.md").returncode == 1
    folder = Path(runtime["XDG_RUNTIME_DIR"]) / "notes-builder"
    (socket,) = folder.glob("*.sock")
    first = int(next(folder.glob("*.lock")).read_text(encoding="utf-8"))
    rules = package / "notes_builder" / "lint" / "rules" / "scripts.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert probe(tmp_path, environment, "small.md").returncode == NOT_SERVED
    deadline = time.monotonic() + 10
    while alive(first) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(first)  # the stale one ended
    # and the one the probe started serves the code as it is now
    assert until_served(tmp_path, environment, "small.md").returncode == 1
    assert int(next(folder.glob("*.lock")).read_text(encoding="utf-8")) != first


def test_ctrl_c_reaches_the_served_command(tmp_path, runtime):
    lines = [f"Formula {index}: $\\alpha_{{{index}}} + \\beta^{{{index}}} = h_t-1$." for index in range(40_000)]
    (tmp_path / "big.md").write_text("# Big\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
    assert until_served(tmp_path, runtime, "--help").returncode == 0
    client = subprocess.Popen([sys.executable, str(tmp_path / "probe.py"), "lint", "--no-cache", "big.md"],
                              cwd=tmp_path, env=runtime, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)  # the served command is parsing by now
    client.send_signal(signal.SIGINT)
    stdout, stderr = client.communicate(timeout=60)
    assert client.returncode == 130, stderr
    assert b"interrupted" in stderr
    assert b"NB111" not in stdout  # it stopped before printing its findings


def test_a_resident_process_that_does_not_answer_is_passed_by(tmp_path, runtime):
    (tmp_path / "small.md").write_text(SMALL, encoding="utf-8")
    assert until_served(tmp_path, runtime, "small.md").returncode == 1
    lock = next((Path(runtime["XDG_RUNTIME_DIR"]) / "notes-builder").glob("*.lock"))
    owner = int(lock.read_text(encoding="utf-8"))  # the resident process writes its pid there
    os.kill(owner, signal.SIGSTOP)
    try:
        started = time.monotonic()
        passed = probe(tmp_path, runtime, "small.md")
        assert passed.returncode == NOT_SERVED and passed.stdout == b""
        assert time.monotonic() - started < 10
    finally:
        os.kill(owner, signal.SIGCONT)
    time.sleep(0.5)  # it forks a child for the client that gave up: that child must not run the command
    served = probe(tmp_path, runtime, "small.md")
    assert served.returncode == 1 and served.stdout.count(b"NB111") == 1


def test_where_no_resident_process_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("NOTES_LINT_SERVER", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, "/venv/bin/notes", "lint", "a.md"])
    monkeypatch.setattr(sys, "argv", ["/venv/bin/notes", "lint", "a.md"])
    assert server.usable(["notes", "lint", "a.md"])
    assert not server.usable(["notes", "build", "a.md"])
    for interactive in (["--fix", "-i"], ["--fix", "--interactive"], ["-hi"]):
        assert not server.usable(["notes", "lint", *interactive, "a.md"])
    monkeypatch.setenv("CI", "true")  # a one-off run would leave it waiting
    assert not server.usable(["notes", "lint", "a.md"])
    monkeypatch.delenv("CI")
    monkeypatch.setenv("NOTES_LINT_SERVER", "0")
    assert not server.usable(["notes", "lint", "a.md"])
    monkeypatch.delenv("NOTES_LINT_SERVER")
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, "-X", "dev", "-m", "notes_builder", "lint", "a.md"])
    assert not server.usable(["notes", "lint", "a.md"])  # interpreter options the resident one would lack


def test_the_socket_lies_only_in_a_folder_of_the_users_own(tmp_path, monkeypatch):
    runtime = Path(tempfile.mkdtemp(prefix="nb", dir="/tmp"))
    try:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
        key = server._key()
        path = server.socket_path(key)
        assert path is not None and Path(path).parent == runtime / "notes-builder"
        assert stat.S_IMODE(os.stat(runtime / "notes-builder").st_mode) == 0o700
        os.chmod(runtime / "notes-builder", 0o755)  # others could reach it
        assert server.socket_path(key) is None
        (runtime / "notes-builder").rmdir()
        (runtime / "notes-builder").symlink_to(tmp_path)
        assert server.socket_path(key) is None
        deep = tmp_path / ("x" * 120)
        deep.mkdir()
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))  # too long a path for a Unix socket
        assert server.socket_path(key) is None
    finally:
        shutil.rmtree(runtime)


def big_notes(folder: Path) -> None:
    lines = [f"Formula {index}: $\\alpha_{{{index}}} + \\beta^{{{index}}} = h_t-1$." for index in range(40_000)]
    (folder / "big.md").write_text("# Big\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")


def test_a_client_killed_outright_ends_its_served_command(tmp_path, runtime):
    big_notes(tmp_path)
    assert until_served(tmp_path, runtime, "--help").returncode == 0
    client = subprocess.Popen([sys.executable, str(tmp_path / "probe.py"), "lint", "--no-cache", "big.md"],
                              cwd=tmp_path, env=runtime, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    client.kill()  # SIGKILL: nothing to forward; the child sees their connection close
    started = time.monotonic()
    stdout, _ = client.communicate(timeout=60)  # returns once no process holds the pipe
    assert stdout == b""
    assert time.monotonic() - started < 1.0  # not after the whole lint (2 to 3 s here)


def test_a_signal_that_ends_the_command_ends_the_client_alike(tmp_path, runtime):
    big_notes(tmp_path)
    assert until_served(tmp_path, runtime, "--help").returncode == 0
    codes = []
    for served in (True, False):
        environment = runtime if served else {**runtime, "NOTES_LINT_SERVER": "0"}
        client = subprocess.Popen([sys.executable, str(tmp_path / "probe.py"), "lint", "--no-cache", "big.md"],
                                  cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        client.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        stdout, stderr = client.communicate(timeout=60)
        codes.append((client.returncode, stdout, stderr))
        # at once: the resident process lets go of the connection when the child ends, not at its next tick (1 s)
        assert time.monotonic() - signalled < 0.6, served
    assert codes[0] == codes[1] == (-signal.SIGTERM, b"", b"")


def test_a_client_that_ignores_ctrl_c_is_not_served_by_one_that_does_not(tmp_path, runtime):
    (tmp_path / "small.md").write_text(SMALL, encoding="utf-8")
    assert until_served(tmp_path, runtime, "small.md").returncode == 1

    def ignore_ctrl_c() -> None:  # a background job of a script: SIGINT ignored, and so in its resident process
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    ignoring = probe(tmp_path, runtime, "small.md", preexec_fn=ignore_ctrl_c)
    assert ignoring.returncode == NOT_SERVED  # another setting: it starts a resident process of its own
    sockets = Path(runtime["XDG_RUNTIME_DIR"]) / "notes-builder"
    deadline = time.monotonic() + 15
    while len(list(sockets.glob("*.sock"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(list(sockets.glob("*.sock"))) == 2


def test_a_module_that_would_shadow_a_loaded_one_ends_the_resident_process(tmp_path, runtime):
    (tmp_path / "small.md").write_text(SMALL, encoding="utf-8")
    assert until_served(tmp_path, runtime, "small.md").returncode == 1
    (tmp_path / "notes.txt").write_text("a file saved beside: nothing imports it", encoding="utf-8")
    assert probe(tmp_path, runtime, "small.md").returncode == 1  # still served
    (tmp_path / "click.py").write_text("raise SystemExit('the shadow was imported')\n", encoding="utf-8")
    assert probe(tmp_path, runtime, "small.md").returncode == NOT_SERVED  # a fresh process would import it


def test_the_lint_record_is_the_same_served_or_not(monkeypatch):
    from notes_builder.lint import record
    from notes_builder.lint.results import LintOptions

    monkeypatch.setenv("NOTES_LINT_SERVER", "0")
    off = record._key(["a.md"], LintOptions())
    monkeypatch.delenv("NOTES_LINT_SERVER")
    assert record._key(["a.md"], LintOptions()) == off


def test_notes_lint_starts_a_resident_process_and_prints_the_same_next_time(tmp_path, runtime):
    """The entry point (launch.py) as a user runs it: the first `notes lint` starts one; a later one prints the
    same (that the resident process answers it, the probe's tests show)."""
    (tmp_path / "small.md").write_text(SMALL, encoding="utf-8")
    command = [sys.executable, "-m", "notes_builder", "lint", "small.md"]
    first = subprocess.run(command, cwd=tmp_path, env=runtime, capture_output=True)
    sockets = Path(runtime["XDG_RUNTIME_DIR"]) / "notes-builder"
    deadline = time.monotonic() + 30
    while not list(sockets.glob("*.sock")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(sockets.glob("*.sock"))
    later = subprocess.run(command, cwd=tmp_path, env=runtime, capture_output=True)
    assert (later.returncode, later.stdout, later.stderr) == (first.returncode, first.stdout, first.stderr)
    assert first.returncode == 1 and b"NB111" in first.stdout
