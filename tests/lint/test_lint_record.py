"""lint/record.py: a rerun of `notes lint` whose inputs are as they were repeats the findings without parsing, and
any change its findings could depend on makes it lint again."""

from __future__ import annotations

import importlib.util
import marshal
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notes_builder.errors import NotesError
from notes_builder.lint import record
from notes_builder.lint.output import format_text, to_json
from notes_builder.lint.record import lint_recorded, replayed
from notes_builder.lint.results import LintOptions
from notes_builder.lint.run import lint_paths

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "lint" / "fixtures"
CITING = "# Cell\n\nAs shown by [@hochreiter97], the cell keeps $c_t$ and $h_t-1$.\n"
BIB = "@article{hochreiter1997, author = {S. Hochreiter}, title = {LSTM}, journal = {NC}, year = {1997}}\n"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def settle(folder: Path) -> None:
    """Date the folder and those below it a minute back: a run records nothing about a folder that changes under
    it, and these were just made."""
    past = time.time() - 60
    for current, _, _ in os.walk(folder):
        os.utime(current, (past, past))


def outputs(report) -> tuple[str, str]:
    return format_text(report), to_json(report.findings)


def linted(run, *args, **kwargs) -> tuple[str, str] | str:
    """What a run prints, or the error that stops it (a `.bib` gone is a configuration error, not a finding)."""
    try:
        return outputs(run(*args, **kwargs))
    except NotesError as error:
        return str(error)


def notes_project(tmp_path: Path, body: str = CITING, bib: str = BIB) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.yaml").write_text("title: T\nsections: [a.md]\nbibliography: refs.bib\n", encoding="utf-8")
    (notes / "a.md").write_text(body, encoding="utf-8")
    (notes / "refs.bib").write_text(bib, encoding="utf-8")
    settle(tmp_path)
    return notes


def test_a_rerun_repeats_every_finding_as_the_run_printed_it(tmp_path):
    """All the fixtures (every rule, fixes safe and unsafe, parse errors), as one folder: the replayed report prints
    the same text and JSON as linting them afresh. Less the one whose front matter is never closed: a run with notes
    whose settings could not be loaded records nothing (test_single_file_notes_whose_settings_fail_...)."""
    shutil.copytree(FIXTURES, tmp_path / "fixtures", ignore=shutil.ignore_patterns("NB100.md"))
    settle(tmp_path)
    options = LintOptions(select=["NB"])
    first = lint_recorded(["fixtures"], options)
    again = replayed(["fixtures"], options)
    assert again is not None and again.documents == []  # nothing parsed
    assert len(again.findings) == len(first.findings) > 30 and len(again.fixable) == len(first.fixable) > 10
    assert outputs(again) == outputs(first) == outputs(lint_paths(["fixtures"], options))
    assert [f.fix for f in again.findings] == [f.fix for f in first.findings]  # offsets too: --fix could use them


def test_a_rerun_imports_neither_parser_nor_rules(tmp_path):
    (tmp_path / "small.md").write_text("# Gates\n\nThe forget gate $f_t = sigma(W_f x_t)$.\n", encoding="utf-8")
    settle(tmp_path)
    probe = ("import sys\nfrom notes_builder.cli import main\nsys.argv = ['notes', 'lint', 'small.md']\n"
             "try:\n    main()\nexcept SystemExit as end:\n"
             "    print('exit', end.code, 'markdown_it' in sys.modules, 'notes_builder.lint.rules' in sys.modules)")
    environment = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=environment, capture_output=True,
                           text=True, check=False) for _ in range(2)]
    assert runs[0].stdout.splitlines()[-1] == "exit 1 True True", runs[0].stderr
    assert runs[1].stdout.splitlines()[-1] == "exit 1 False False", runs[1].stderr
    printed = [run.stdout.rsplit("exit", 1)[0] for run in runs]
    assert printed[1] == printed[0] and "NB122" in printed[0]


def _same_size_edit(notes: Path) -> None:
    path = notes / "a.md"
    before = path.stat()
    path.write_text(CITING.replace("$h_t-1$", "$h_{t1}$"), encoding="utf-8")  # as many bytes
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same time


def _lint_config_above(notes: Path) -> None:
    (notes.parent / "pyproject.toml").write_text("[tool.notes.lint]\nignore = ['NB111']\n", encoding="utf-8")


def _bib_fixed(notes: Path) -> None:
    (notes / "refs.bib").write_text(BIB.replace("hochreiter1997", "hochreiter97"), encoding="utf-8")


def _bib_removed(notes: Path) -> None:
    (notes / "refs.bib").unlink()


def _repository_above(notes: Path) -> None:
    (notes.parent / ".git").mkdir()  # the project root moves up (find_project_root)


CHANGES = {"same-size edit at the same time": _same_size_edit, "pyproject.toml above": _lint_config_above,
           ".bib fixed": _bib_fixed, ".bib removed": _bib_removed, "a repository above": _repository_above}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_what_the_findings_depend_on_ends_the_record(tmp_path, change):
    notes = notes_project(tmp_path)
    first = lint_recorded([str(notes)], LintOptions())
    assert {f.code for f in first.findings} >= {"NB111", "NB204"}
    assert replayed([str(notes)], LintOptions()) is not None
    change(notes)
    assert replayed([str(notes)], LintOptions()) is None
    assert linted(lint_recorded, [str(notes)], LintOptions()) == linted(lint_paths, [str(notes)], LintOptions())


def test_a_markdown_file_added_below_a_folder_path_ends_the_record(tmp_path):
    (tmp_path / "book" / "part").mkdir(parents=True)
    (tmp_path / "book" / "part" / "one.md").write_text("# One\n\nClean $x$.\n", encoding="utf-8")
    settle(tmp_path)
    assert lint_recorded(["book"], LintOptions()).findings == []
    (tmp_path / "book" / "part" / "two.md").write_text("# Two\n\n$\\tilde<c>_t$\n", encoding="utf-8")
    assert replayed(["book"], LintOptions()) is None
    assert [f.code for f in lint_recorded(["book"], LintOptions()).findings] == ["NB101"]


@pytest.mark.parametrize("other", [LintOptions(select=["NB1"]), LintOptions(ignore=["NB111"]),
                                   LintOptions(unsafe_fixes=True)], ids=["select", "ignore", "unsafe-fixes"])
def test_another_command_line_has_its_own_record(tmp_path, other):
    notes = notes_project(tmp_path)
    lint_recorded([str(notes)], LintOptions())
    assert replayed([str(notes)], other) is None
    assert replayed([str(notes)], LintOptions()) is not None


def test_settings_and_code_are_part_of_the_record(tmp_path, monkeypatch):
    notes = notes_project(tmp_path)
    lint_recorded([str(notes)], LintOptions())
    monkeypatch.setenv("NOTES_DATA", str(tmp_path))
    assert replayed([str(notes)], LintOptions()) is None
    monkeypatch.delenv("NOTES_DATA")
    assert replayed([str(notes)], LintOptions()) is not None
    stamp = record._stamp()
    monkeypatch.setattr(record, "_stamp", lambda: [*stamp[:2], stamp[2] + 1, stamp[3]])  # a module edited
    assert replayed([str(notes)], LintOptions()) is None


def test_fixing_and_compiling_runs_are_neither_recorded_nor_replayed(tmp_path):
    notes = notes_project(tmp_path)
    records = tmp_path / "cache" / "notes-builder" / "lint"
    unsafe = LintOptions(unsafe_fixes=True)
    lint_recorded([str(notes)], LintOptions(compile=True))
    lint_recorded([str(notes)], LintOptions(), fix=True)
    assert not records.exists()
    lint_recorded([str(notes)], unsafe)
    assert len(list(records.iterdir())) == 1
    fixed = lint_recorded([str(notes)], unsafe, fix=True)  # not the record's findings: it fixes
    assert fixed.fixed == 1 and "$h_{t-1}$" in (notes / "a.md").read_text(encoding="utf-8")


def test_a_run_while_its_folder_changes_records_nothing(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "one.md").write_text("# One\n\n$x$\n", encoding="utf-8")  # the folder: just now
    lint_recorded(["book"], LintOptions())
    assert replayed(["book"], LintOptions()) is None
    settle(tmp_path)
    lint_recorded(["book"], LintOptions())
    assert replayed(["book"], LintOptions()) is not None


def test_a_damaged_or_unwritable_record_only_costs_a_run(tmp_path):
    notes = notes_project(tmp_path)
    expected = outputs(lint_recorded([str(notes)], LintOptions()))
    (path,) = (tmp_path / "cache" / "notes-builder" / "lint").iterdir()
    for damage in (b"", b"not marshal", marshal.dumps({"key": 1}), path.read_bytes()[:-40]):
        path.write_bytes(damage)
        assert replayed([str(notes)], LintOptions()) is None
        assert outputs(lint_recorded([str(notes)], LintOptions())) == expected
    path.unlink()
    path.parent.chmod(0o500)
    try:
        assert outputs(lint_recorded([str(notes)], LintOptions())) == expected
    finally:
        path.parent.chmod(0o700)


def test_no_cache_lints_afresh_and_records(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from notes_builder.cli import cli

    notes = notes_project(tmp_path)
    first = CliRunner().invoke(cli, ["lint", str(notes)])
    assert first.exit_code == 1 and "NB204" in first.output
    asked = []
    monkeypatch.setattr(record, "replayed", lambda *args: asked.append(args))  # None: no record answers
    fresh = CliRunner().invoke(cli, ["lint", str(notes), "--no-cache"])
    assert asked == [] and fresh.output == first.output
    CliRunner().invoke(cli, ["lint", str(notes)])
    assert len(asked) == 1


def test_single_file_notes_whose_settings_fail_are_not_recorded(tmp_path):
    """The error names a file the run could not look for (it never loaded the settings that name it)."""
    (tmp_path / "a.md").write_text("---\nbibliography: refs.bib\n---\n# A\n\nSee [@k1] $x$.\n", encoding="utf-8")
    settle(tmp_path)
    assert "bibliography file not found" in format_text(lint_recorded(["a.md"], LintOptions()))
    assert replayed(["a.md"], LintOptions()) is None
    (tmp_path / "refs.bib").write_text(BIB.replace("hochreiter1997", "k1"), encoding="utf-8")
    assert lint_recorded(["a.md"], LintOptions()).findings == []


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_link_on_the_command_line_retargeted_ends_the_record(tmp_path, what):
    past = time.time() - 60
    for name, body in (("x", "# X\n\n$h_t-1$\n"), ("y", "# Y\n\n$sigma(x)$\n")):
        if what == "file":
            (tmp_path / f"{name}.md").write_text(body, encoding="utf-8")
        else:
            (tmp_path / name).mkdir()
            (tmp_path / name / "a.md").write_text(body, encoding="utf-8")
            os.utime(tmp_path / name, (past, past))  # both folders as old: only the link tells them apart
    (tmp_path / "current").symlink_to(f"x{'.md' if what == 'file' else ''}")
    settle(tmp_path)
    assert [f.code for f in lint_recorded(["current"], LintOptions()).findings] == ["NB111"]
    (tmp_path / "current").unlink()
    (tmp_path / "current").symlink_to(f"y{'.md' if what == 'file' else ''}")
    assert replayed(["current"], LintOptions()) is None
    assert [f.code for f in lint_recorded(["current"], LintOptions()).findings] == ["NB122"]


def test_a_repository_made_while_the_run_looks_records_nothing(tmp_path):
    from notes_builder import reads
    from notes_builder.lint.record import remember

    notes = notes_project(tmp_path)
    began = time.time_ns()
    with reads.recording() as read:
        report = lint_paths([str(notes)], LintOptions())
    (tmp_path / ".git").mkdir()  # after the run looked for it, before the record is written
    remember([str(notes)], LintOptions(), report, read, began)
    assert replayed([str(notes)], LintOptions()) is None


def test_a_bibliography_that_could_not_be_read_is_read_again(tmp_path, monkeypatch):
    notes = notes_project(tmp_path, body="# A\n\nSee [@hochreiter1997].\n")
    unreadable = notes / "refs.bib"
    read_bytes = Path.read_bytes

    def denied(path):
        if path == unreadable:
            raise PermissionError(13, "Permission denied")  # chmod 000 does not stop root, who may run this
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert "cannot read this bibliography" in format_text(lint_recorded([str(notes)], LintOptions()))
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert replayed([str(notes)], LintOptions()) is None
    assert lint_recorded([str(notes)], LintOptions()).findings == []


def test_another_home_folder_ends_the_record(tmp_path, monkeypatch):
    notes = notes_project(tmp_path)
    lint_recorded([str(notes)], LintOptions())
    monkeypatch.setenv("HOME", str(tmp_path))  # the project root is never the home folder
    assert replayed([str(notes)], LintOptions()) is None


def test_damaged_findings_are_not_repeated(tmp_path):
    notes = notes_project(tmp_path)
    lint_recorded([str(notes)], LintOptions())
    (path,) = (tmp_path / "cache" / "notes-builder" / "lint").iterdir()
    data = bytearray(path.read_bytes())
    data[-30] ^= 0x20  # a letter of the last finding's message, or of its path
    path.write_bytes(bytes(data))
    assert replayed([str(notes)], LintOptions()) is None


def test_a_project_root_through_a_link_retargeted_ends_the_record(tmp_path):
    notes = tmp_path / "A" / "notes"
    notes.mkdir(parents=True)
    (tmp_path / "B").mkdir()
    (notes / "notes.yaml").write_text("title: T\nroot: ../link\nsections: [a.md]\n", encoding="utf-8")
    (notes / "a.md").write_text("# A\n\n$x^2$\n", encoding="utf-8")
    (tmp_path / "A" / "link").symlink_to("../A")
    settle(tmp_path)
    assert lint_recorded([str(notes)], LintOptions()).findings == []
    (tmp_path / "A" / "link").unlink()
    (tmp_path / "A" / "link").symlink_to("../B")  # the sections now lie outside the project root
    assert replayed([str(notes)], LintOptions()) is None
    assert linted(lint_recorded, [str(notes)], LintOptions()) == linted(lint_paths, [str(notes)], LintOptions())


def test_a_markdown_file_found_through_links_retargeted_ends_the_record(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "y.md").write_text("# Y\n\n$h_t-1$\n", encoding="utf-8")
    (tmp_path / "o" / "z.md").write_text("# Z\n\n$sigma(x)$\n", encoding="utf-8")
    (tmp_path / "d" / "x.md").symlink_to("../o/l2")
    (tmp_path / "o" / "l2").symlink_to("y.md")
    settle(tmp_path)
    assert [f.code for f in lint_recorded(["d"], LintOptions()).findings] == ["NB111"]
    (tmp_path / "o" / "l2").unlink()
    (tmp_path / "o" / "l2").symlink_to("z.md")  # outside the folder linted: no time of it changes
    assert replayed(["d"], LintOptions()) is None
    assert [f.code for f in lint_recorded(["d"], LintOptions()).findings] == ["NB122"]


def test_a_folder_that_could_not_be_listed_records_nothing(tmp_path, monkeypatch):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.md").write_text("# A\n\n$x$\n", encoding="utf-8")
    settle(tmp_path)
    walk = os.walk

    def denied(top, onerror=None, **options):  # chmod 000 does not stop root, who may run this
        for entry in walk(top, onerror=onerror, **options):
            if entry[0].endswith("sub") and onerror is not None:
                onerror(PermissionError(13, "Permission denied", entry[0]))
                continue
            yield entry

    monkeypatch.setattr(os, "walk", denied)
    lint_recorded(["d"], LintOptions())
    assert replayed(["d"], LintOptions()) is None


def test_a_loaded_module_edited_in_place_ends_the_record(tmp_path, monkeypatch):
    """A plugin under development (an editable install): no folder's time changes when it is edited."""
    (tmp_path / "plugin").mkdir()
    module = tmp_path / "plugin" / "nb_record_probe.py"
    module.write_text("CHOICES = ('a', 'b')\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("nb_record_probe", module)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    monkeypatch.setitem(sys.modules, "nb_record_probe", loaded)  # loaded by the run, as a plugin is
    notes = notes_project(tmp_path)
    lint_recorded([str(notes)], LintOptions())
    assert replayed([str(notes)], LintOptions()) is not None
    module.write_text("CHOICES = ('a',)\n", encoding="utf-8")
    assert replayed([str(notes)], LintOptions()) is None


def test_a_folder_lint_cannot_look_into_is_a_usage_error(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from notes_builder.cli import cli

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.md").write_text("# A\n\n$x$\n", encoding="utf-8")
    is_file = Path.is_file

    def denied(path):
        if path.name == "notes.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return is_file(path)

    monkeypatch.setattr(Path, "is_file", denied)
    result = CliRunner().invoke(cli, ["lint", "d"])
    assert result.exit_code == 2 and "permission denied" in result.output and "Traceback" not in result.output


def test_what_a_run_looks_for_is_what_the_configuration_looks_for():
    from notes_builder import config

    assert record.CONFIG_NAME == config.CONFIG_NAME  # record.py names it without loading the configuration
