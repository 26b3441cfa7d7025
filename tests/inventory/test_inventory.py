"""One inventory of a build's inputs (notes_builder/inventory.py), checked against TeX's own record of what it read
(`-recorder`), against the build's manifest, and against what `notes watch` watches."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

from pdfcheck import REPO, write_project

from notes_builder.build import BuildOptions, build_notes
from notes_builder.compile import ENGINE_FLAGS, safe_tex_environment
from notes_builder.config import load_config, templates_dir
from notes_builder.content import load_document, parse_section
from notes_builder.inventory import config_inputs, section_inputs, watched_paths
from notes_builder.manifest import MANIFEST
from notes_builder.render import render_document

YAML = ("title: Inventory\noutput: inv\nsections: [a.md, part/b.md]\ntemplate:\n  directory: tpl\n"
        "results: results\n")
A = ("# Figures\n\n![A plot.](fig.png)\n\n"
     "<div><img src=\"/site/pic.png\" alt=\"x\"><div>A site picture.</div></div>\n\n"
     "Accuracy {{ metrics.test_accuracy | percent(1) }}.\n\n"
     "```python {include=\"code.py\" lines=\"1-1\"}\n```\n")
B = "# More\n\n![Another.](<../my fig.png>)\n\n$$x^2$$\n"


def png(rgb: tuple[int, int, int], size: int = 8) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    pixels = zlib.compress((b"\x00" + bytes(rgb) * size) * size)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def project(tmp_path: Path) -> Path:
    notes = write_project(tmp_path / "notes", {"notes.yaml": YAML, "a.md": A, "part/b.md": B,
                                                "code.py": "value = 1\nother = 2\n",
                                                "results/metrics.json": '{"test_accuracy": 0.9}'})
    (notes / ".git").mkdir()  # the project root: `/site/pic.png` is read from here
    for name, colour in (("fig.png", (200, 0, 0)), ("site/pic.png", (0, 200, 0)), ("my fig.png", (0, 0, 200))):
        (notes / name).parent.mkdir(parents=True, exist_ok=True)
        (notes / name).write_bytes(png(colour))
    (notes / "tpl").mkdir()
    shutil.copy(REPO / "templates" / "elements.tex.j2", notes / "tpl" / "elements.tex.j2")
    return notes


def files_tex_read(work: Path, tex: Path) -> set[str]:
    """The files below `work` that pdflatex opened for reading, from its `-recorder` record (.fls)."""
    subprocess.run(["pdflatex", *ENGINE_FLAGS, "-recorder", tex.name], cwd=work, env=safe_tex_environment(),
                   check=True, capture_output=True, timeout=120)
    read = set()
    for line in (work / f"{tex.stem}.fls").read_text(encoding="utf-8").splitlines():
        if not line.startswith("INPUT "):
            continue
        path = Path(line[len("INPUT "):])
        path = path if path.is_absolute() else work / path
        if path.resolve().is_relative_to(work.resolve()):
            read.add(str(path.resolve().relative_to(work.resolve())))
    return read


def test_tex_reads_nothing_from_the_build_folder_that_the_inventory_does_not_list(tmp_path):
    notes = project(tmp_path)
    result = build_notes(notes, BuildOptions(pdf=True, out_dir=tmp_path / "out"))
    assert result.compiled
    work = tmp_path / "out" / ".work-inv"
    tex = work / "inv.tex"
    assets = render_document(load_document(config=load_config(notes))).assets  # staged name -> source file

    read = files_tex_read(work, tex)
    own = {tex.name} | {tex.with_suffix(suffix).name for suffix in (".aux", ".log", ".out", ".toc", ".fls")}
    staged = {name for name in read - own if not name.endswith(".fmt")}
    assert len(staged) == 3 and staged <= set(assets)  # the three figures, each a staged input...
    inputs = {path.resolve() for path in result.inputs}
    assert {assets[name].resolve() for name in staged} <= inputs  # ...whose source the inventory lists
    for name in ("fig.png", "site/pic.png", "my fig.png", "code.py", "a.md", "part/b.md", "notes.yaml",
                 "results/metrics.json", "tpl/elements.tex.j2"):
        assert (notes / name).resolve() in inputs, name
    assert (templates_dir() / "notes.tex.j2").resolve() in inputs

    manifest = json.loads((work / MANIFEST).read_text())["files"]  # the cache records the same list
    assert {Path(name).resolve() for name in manifest} == inputs

    watched = set(watched_paths(notes))  # and watch sees every file of it, before any build too
    assert inputs <= watched, sorted(inputs - watched)
    assert (notes / "results").resolve() not in watched and (notes / "results/metrics.json").resolve() in watched


def test_an_up_to_date_build_reports_the_same_inventory(tmp_path):
    notes = project(tmp_path)
    first = build_notes(notes, BuildOptions(pdf=True, out_dir=tmp_path / "out"))
    again = build_notes(notes, BuildOptions(pdf=True, out_dir=tmp_path / "out"))
    assert again.up_to_date and not again.compiled
    assert again.inputs == first.inputs


def test_watch_sees_what_a_section_names_before_it_renders(tmp_path):
    """A figure still missing (the build fails) is watched, so creating it rebuilds."""
    notes = project(tmp_path)
    (notes / "fig.png").unlink()
    config = load_config(notes)
    assert (notes / "fig.png") in section_inputs(config, notes / "a.md")
    assert (notes / "site" / "pic.png") in section_inputs(config, notes / "a.md")
    assert (notes / "fig.png").resolve() in watched_paths(notes)
    assert config.source in config_inputs(config)


def test_watch_sees_figures_whose_names_markdown_encodes(tmp_path):
    """`notes watch` rebuilds on a change to each file a section names: `my fig.png`, not `my%20fig.png`."""
    section = tmp_path / "a.md"
    section.write_text("![c](<my fig.png>)\n\n![d](图1.png)\n")
    assert section_inputs(None, section) == [tmp_path / "my fig.png", tmp_path / "图1.png"]
    assert parse_section(section).tokens  # read as the renderer reads it
