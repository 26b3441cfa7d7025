"""Incremental builds: what changed decides what runs; the precompiled preamble makes edits one pass."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from pdfcheck import REPO, dumped_formats, pdftotext, run_notes, squash, write_project

YAML = "title: Incremental\noutput: inc\nsections: [a.md]\ntemplate:\n  directory: tpl\n"
BODY = "# Start\n\nFirst version of the text.\n\n```python {include=\"code.py\"}\n```\n"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, {"notes.yaml": YAML, "a.md": BODY, "code.py": "value = 1\n"})
    (tmp_path / "tpl").mkdir()
    shutil.copy(REPO / "templates" / "elements.tex.j2", tmp_path / "tpl" / "elements.tex.j2")
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out", env=cache_of(tmp_path))
    assert result.returncode == 0, result.stderr
    return tmp_path


def cache_of(project: Path) -> dict[str, str]:
    """Each test gets its own user cache (highlighted code, precompiled preambles)."""
    return {"XDG_CACHE_HOME": str(project / "cache")}


def rebuild(project: Path) -> tuple[bool, str]:
    result = run_notes("build", project, "--pdf", "--out", project / "out", env=cache_of(project))
    assert result.returncode == 0, result.stderr
    return "up to date" not in result.stderr, squash(pdftotext(project / "out" / "inc.pdf"))


def test_unchanged_save_runs_nothing(project):
    tex = project / "out" / "inc.tex"
    before = tex.stat().st_mtime_ns
    (project / "a.md").write_text(BODY)  # same bytes, new modification time
    compiled, _ = rebuild(project)
    assert not compiled
    assert tex.stat().st_mtime_ns == before  # the input manifest answered: nothing was even rendered


def test_prose_edit_is_one_pass_on_the_precompiled_preamble(project):
    work = project / "out" / ".work-inc"
    formats = dumped_formats(project / "cache")
    assert formats, "the first build dumps the preamble format into the user cache (and does not wait for it)"
    (project / "a.md").write_text(BODY.replace("First", "Second"))
    compiled, text = rebuild(project)
    assert compiled and "Second version of the text." in text
    log = (work / "inc.log").read_text(errors="replace").splitlines()[0]
    assert "preloaded format=nbpreamble-" in log


@pytest.mark.parametrize("changed", ["code.py", "tpl/elements.tex.j2"])
def test_included_code_and_templates_are_inputs(project, changed):
    path = project / changed
    if changed == "code.py":
        path.write_text("value = 2\n")
    else:
        path.write_text(path.read_text().replace("{((( text )))}", "{((( text ))) (restyled)}", 1))
    compiled, text = rebuild(project)
    assert compiled
    assert ("value = 2" if changed == "code.py" else "Start (restyled)") in text


def test_a_new_build_folder_starts_with_the_cached_preamble(project):
    result = run_notes("build", project, "--pdf", "--out", project / "elsewhere", env=cache_of(project))
    assert result.returncode == 0, result.stderr
    log = (project / "elsewhere" / ".work-inc" / "inc.log").read_text(errors="replace").splitlines()[0]
    assert "preloaded format=nbpreamble-" in log


def test_force_rebuilds_anyway(project):
    result = run_notes("build", project, "--pdf", "--out", project / "out", "--force", env=cache_of(project))
    assert result.returncode == 0 and "up to date" not in result.stderr


def png(rgb: tuple[int, int, int], size: int = 8) -> tuple[bytes, bytes]:
    """A plain RGB PNG of one colour, and its compressed pixel data (pdfTeX copies it into the PDF as is)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress(b"".join(b"\0" + bytes(rgb) * size for _ in range(size)))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""), pixels


def test_a_figure_replaced_by_an_older_file_is_used(tmp_path):
    """`cp -p` / `rsync -t` can put a different figure in place with an older modification time."""
    write_project(tmp_path, {"notes.yaml": "title: Figures\noutput: fig\nsections: [a.md]\n",
                             "a.md": "# Figure\n\n![A square.](square.png)\n"})
    figure, out = tmp_path / "square.png", tmp_path / "out"
    red, red_pixels = png((255, 0, 0))
    figure.write_bytes(red)
    result = run_notes("build", tmp_path, "--pdf", "--out", out, env=cache_of(tmp_path))
    assert result.returncode == 0, result.stderr
    (staged,) = (out / ".work-fig" / "figures").glob("square-*.png")
    assert staged.read_bytes() == red and red_pixels in (out / "fig.pdf").read_bytes()

    blue, blue_pixels = png((0, 0, 255))
    older = figure.stat().st_mtime_ns - 3600 * 10**9
    figure.write_bytes(blue)
    os.utime(figure, ns=(older, older))
    result = run_notes("build", tmp_path, "--pdf", "--out", out, env=cache_of(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "up to date" not in result.stderr
    assert staged.read_bytes() == blue
    pdf = (out / "fig.pdf").read_bytes()
    assert blue_pixels in pdf and red_pixels not in pdf


def test_an_unchanged_rebuild_repeats_the_render_warnings(tmp_path):
    """Identical inputs give identical warnings, whichever cache answers (watch reads them from the result)."""
    write_project(tmp_path, {"notes.yaml": "title: W\noutput: w\nsections: [a.md]\n", "a.md": "```foo\nx = 1\n```\n"})
    for _ in range(2):
        result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out", env=cache_of(tmp_path))
        assert result.returncode == 0, result.stderr
        assert "a.md:1:1: warning: unknown code language 'foo'" in result.stderr, result.stderr
    assert "up to date" in result.stderr  # the second build was answered by the input manifest


def test_lint_warnings_are_printed_by_every_build(tmp_path):
    """Math that compiles but renders wrong (`h_t-1`) is a warning at the user's line, also on a no-op rebuild."""
    write_project(tmp_path, {"notes.yaml": "title: W\nsections: [a.md]\n", "a.md": "# T\n\nGate $h_t-1$ here.\n"})
    for attempt in ("first", "unchanged"):
        result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out", env=cache_of(tmp_path))
        assert result.returncode == 0, result.stderr
        assert "a.md:3:8: warning: NB111 subscript 't-1' needs braces" in result.stderr, (attempt, result.stderr)
        assert "`notes lint --fix` repairs it" in result.stderr
    assert "up to date" in result.stderr
    # the lint settings of notes.yaml apply to the build too
    (tmp_path / "notes.yaml").write_text("title: W\nsections: [a.md]\nlint:\n  ignore: [NB111]\n")
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out", env=cache_of(tmp_path))
    assert result.returncode == 0 and "NB111" not in result.stderr, result.stderr


def test_a_broken_precompiled_preamble_in_the_cache_is_not_fatal(tmp_path):
    # another build may trim the cache under this one, or a format may be cut short: the engine then stops before
    # reading the document, and the build compiles without the format and drops it for the next build to remake
    notes = write_project(tmp_path, {"a.md": "# T\n\nHello.\n"})
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out", env=env).returncode == 0
    [fmt] = dumped_formats(tmp_path / "cache")
    fmt.write_text("not a format")
    (notes / "a.md").write_text("# T\n\nHello again.\n")
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out", env=env)
    assert result.returncode == 0, result.stderr
    assert "Hello again." in pdftotext(tmp_path / "out" / "a.pdf")
    assert not fmt.exists() or fmt.read_bytes() != b"not a format"


def test_a_no_op_reads_neither_notes_yaml_nor_yaml(project):
    """The output folder remembers this command line's last build: nothing changed, nothing is even parsed."""
    probe = ("import sys\nfrom notes_builder.cli import main\nsys.argv = ['notes', 'build', sys.argv[1], '--pdf', "
             "'--out', sys.argv[2]]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('LOADED', sorted(m for m in ('yaml', 'notes_builder.config', 'markdown_it') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe, str(project), str(project / "out")], capture_output=True,
                            text=True, env={**os.environ, **cache_of(project)}, timeout=60)
    assert "up to date" in result.stderr, result.stderr
    assert "LOADED []" in result.stdout


def test_a_changed_notes_yaml_or_another_command_line_is_no_no_op(project):
    (project / "notes.yaml").write_text(YAML.replace("title: Incremental", "title: Retitled"))
    compiled, text = rebuild(project)
    assert compiled and "Retitled" in text
    other = project / "other.md"
    other.write_text("---\ntitle: Other notes\noutput: inc\n---\n\nOther text.\n")
    result = run_notes("build", other, "--pdf", "--out", project / "out", env=cache_of(project))
    assert result.returncode == 0 and "Other text." in pdftotext(project / "out" / "inc.pdf")
    compiled, text = rebuild(project)  # same output name, other notes in between: built again, not reused
    assert compiled and "Retitled" in text


def test_a_template_added_to_the_template_folder_rebuilds(project):
    (project / "tpl" / "notes.tex.j2").write_text((REPO / "templates" / "notes.tex.j2").read_text()
                                                  .replace("\\maketitle", "\\maketitle\nADDED-TEMPLATE-MARK"))
    compiled, text = rebuild(project)
    assert compiled and "ADDED-TEMPLATE-MARK" in text


def test_a_file_saved_while_the_build_ran_is_built_again(tmp_path):
    """The manifest is written after the build: a section saved meanwhile (its new text not in this PDF) must not
    be recorded as built, or the next build would call the old PDF up to date."""
    from notes_builder.manifest import read_unchanged, write_manifest

    section = tmp_path / "a.md"
    section.write_text("Old text.\n", encoding="utf-8")
    began = time.time_ns()
    time.sleep(0.02)
    section.write_text("New text, saved while the build ran.\n", encoding="utf-8")
    manifest = tmp_path / "inputs.json"
    write_manifest(manifest, section, {section}, [], began)
    assert read_unchanged(manifest, str(section)) is None
    write_manifest(manifest, section, {section}, [], time.time_ns())  # the next build, which read the new text
    assert read_unchanged(manifest, str(section)) is not None


def test_notes_yaml_saved_after_the_build_read_it_is_built_again(tmp_path, monkeypatch):
    """notes.yaml saved between its reading and the end of the build (while the build waited for another one's
    lock, say): that build's PDF has the old settings, so the next build must not call it up to date."""
    from notes_builder.build import build_notes, build_stale
    from notes_builder.manifest import BuildOptions, run_build
    from notes_builder.plan import plan_and_reuse

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_project(tmp_path, {"notes.yaml": "title: Title ONE\noutput: notes\nsections: [a.md]\n",
                             "a.md": "Some text.\n"})
    options = BuildOptions(pdf=True, out_dir=tmp_path / "out")

    def plan_then_save(target, options):
        planned = plan_and_reuse(target, options)
        time.sleep(0.02)
        (tmp_path / "notes.yaml").write_text("title: Title TWO\noutput: notes\nsections: [a.md]\n", encoding="utf-8")
        return planned

    run_build(tmp_path, options, plan_then_save, build_stale)
    assert "Title ONE" in pdftotext(tmp_path / "out" / "notes.pdf")
    again = build_notes(tmp_path, options)
    assert not again.up_to_date and "Title TWO" in pdftotext(tmp_path / "out" / "notes.pdf")
