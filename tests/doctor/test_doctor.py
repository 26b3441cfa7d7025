"""`notes doctor` on this machine (everything installed) and with TeX taken off PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from notes_builder.doctor import run_doctor, template_packages

REPO = Path(__file__).resolve().parents[2]


def run_doctor_cli(env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "notes_builder", "doctor"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_template_packages_parsed_from_both_branches():
    packages = template_packages()
    for name in ("tcolorbox", "fvextra", "enumitem", "ulem", "amsmath", "amssymb", "hyperref", "CJKutf8"):
        assert "pdflatex" in packages[name], name
    # The xelatex branch of the preamble is read too, and its packages are not needed under pdflatex.
    assert packages["fontspec"] == {"xelatex"}
    assert packages["xeCJK"] == {"xelatex"}


def test_template_packages_follow_jinja_branches(tmp_path):
    (tmp_path / "a.tex.j2").write_text(
        '((* if engine == "xelatex" *))\n\\usepackage{onlyxe}\n((* else *))\n\\usepackage[x]{onlypdf,both2}\n'
        '((* endif *))\n((* if cjk *))\\usepackage{cjkish}((* endif *))\n\\usepackage{amsmath, amssymb}\n')
    packages = template_packages(tmp_path)
    assert packages == {"onlyxe": {"xelatex"}, "onlypdf": {"pdflatex"}, "both2": {"pdflatex"},
                        "cjkish": {"pdflatex", "xelatex"}, "amsmath": {"pdflatex", "xelatex"},
                        "amssymb": {"pdflatex", "xelatex"}}


def test_doctor_passes_on_this_machine():
    report = run_doctor(REPO / "content")
    assert report.ok, [(c.name, c.detail) for c in report.missing_required]
    names = {c.name for c in report.checks}
    assert {"pdflatex", "kpsewhich", "tcolorbox.sty", "CJKutf8.sty", "c70gbsn.fd", "torch",
            "mylatexformat.ltx"} <= names
    result = run_doctor_cli()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "everything required is installed" in result.stdout


def test_doctor_without_tex_on_path_says_what_to_install(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    result = run_doctor_cli(env)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "pdflatex" in out and "apt-get install texlive-latex-base" in out
    assert "apt-get install texlive-latex-extra" in out  # tcolorbox, fvextra, enumitem (kpsewhich is gone too)
    assert "apt-get install latex-cjk-chinese" in out
    summary = [line for line in out.splitlines() if line.strip().startswith("sudo apt-get install")]
    assert summary and "texlive-latex-base" in summary[0] and "texlive-binaries" in summary[0]
    # Optional tools are reported, but do not by themselves fail the check.
    assert "librsvg2-bin" in out and "texlive-xetex" in out and "mylatexformat.ltx" in out


def test_doctor_checks_what_the_notes_ask_for(tmp_path):
    """template.packages and the xelatex CJK font of *these* notes: the build needs them, so doctor names them."""
    (tmp_path / "a.md").write_text("x\n")
    (tmp_path / "notes.yaml").write_text("title: T\nlanguage: zh\nsections: [a.md]\ntemplate:\n"
                                         "  engine: xelatex\n  packages: [amsthm, nosuchpackagexyz]\n"
                                         "  cjk_main_font: No Such Font\n")
    report = run_doctor(tmp_path)
    notes = {c.name: c for c in report.checks if c.group == "notes"}
    assert notes["amsthm.sty"].ok
    assert not notes["nosuchpackagexyz.sty"].ok and notes["nosuchpackagexyz.sty"].required
    assert not notes["No Such Font"].ok and "template.cjk_main_font" in notes["No Such Font"].detail
    assert not report.ok
    assert {c.name for c in report.missing_required} == {"nosuchpackagexyz.sty", "No Such Font"}

    (tmp_path / "notes.yaml").write_text("title: T\nlanguage: zh\nsections: [a.md]\ntemplate:\n  engine: xelatex\n")
    assert run_doctor(tmp_path).ok  # the default font is installed by scripts/setup
    # English notes do not load the CJK font: a missing one is reported, but not required
    (tmp_path / "notes.yaml").write_text("title: T\nsections: [a.md]\ntemplate:\n  engine: xelatex\n"
                                         "  cjk_main_font: No Such Font\n")
    assert run_doctor(tmp_path).ok


def test_doctor_fails_on_notes_that_cannot_be_read(tmp_path):
    """Invalid notes.yaml will not build, so doctor must not say 'everything required is installed'."""
    (tmp_path / "a.md").write_text("x\n")
    (tmp_path / "notes.yaml").write_text("title: T\nsections: [a.md]\ntemplate:\n  engin: xelatex\n")
    report = run_doctor(tmp_path)
    assert [c.name for c in report.missing_required] == ["notes.yaml"]
    assert "notes.yaml:4:3: error: unknown key 'template.engin'" in report.missing_required[0].detail
    result = subprocess.run([sys.executable, "-m", "notes_builder", "doctor", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "everything required is installed" not in result.stdout


def test_doctor_reads_the_notes_template_folder_and_asks_kpsewhich_once(tmp_path, monkeypatch):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "preamble.tex.j2").write_text("\\usepackage{nosuchpackagexyz}\n")
    (tmp_path / "notes.yaml").write_text("title: T\nsections: [a.md]\n"
                                         "template: {directory: tpl, packages: [booktabs]}\n")
    (tmp_path / "a.md").write_text("Text.\n")
    from notes_builder import doctor

    calls = []
    real_run = subprocess.run

    def counting_run(command, *args, **kwargs):
        if Path(str(command[0])).name == "kpsewhich":
            calls.append(command)
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(doctor.subprocess, "run", counting_run)
    doctor._LOOKED_UP.clear()
    report = run_doctor(tmp_path)
    names = {check.name: check for check in report.checks}
    assert "nosuchpackagexyz.sty" in names and not names["nosuchpackagexyz.sty"].ok  # the override's package
    assert names["booktabs.sty"].ok
    assert len(calls) == 1


def test_doctor_checks_what_citations_need():
    report = run_doctor()
    names = {check.name: check for check in report.checks if check.group != "notes"}  # the tools, not the notes'
    assert {"biber", "biblatex.sty"} <= set(names)
    assert not names["biber"].required and not names["biblatex.sty"].required
    assert names["biber"].ok == (shutil.which("biber") is not None)


def test_notes_that_cite_require_biber_and_biblatex():
    report = run_doctor(REPO / "content")  # the default notes cite (bibliography: references.bib)
    notes = {check.name: check for check in report.checks if check.group == "notes"}
    assert notes["biber"].required and notes["biblatex.sty"].required
    assert notes["biber"].ok == (shutil.which("biber") is not None)
