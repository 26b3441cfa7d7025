"""The one answer to "which files does a build read?", for the build's manifest, `notes watch` and the tests.

* `config_inputs(config)`: known from notes.yaml alone: notes.yaml, the sections, every template (shipped and
  `template.directory`), and the results contract files (metrics.json, freeze.json) that placeholders read;
* `build_inputs(config, rendered)`: those plus what rendering read (figures, `<img>` of HTML blocks, code
  includes): the manifest of a successful build, so a change to any of them rebuilds;
* `section_inputs(config, path)`: the local files one section names, read from its Markdown without rendering
  (a section that does not render yet, or names a file still missing, is watched all the same);
* `watched_paths(target)`: what `notes watch` polls: all of the above, plus the results folder and, in the
  notes' folder, notes.yaml and Markdown files not listed yet.

tests/inventory checks the list against TeX's own `-recorder` record of the files a compile read.
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

from notes_builder.config import CONFIG_NAME, NotesConfig, default_notes, load_config, templates_dir
from notes_builder.content import parse_section
from notes_builder.errors import NotesError
from notes_builder.files import files_below
from notes_builder.plugins import plugin_inputs
from notes_builder.render.assets import REMOTE, fence_attributes
from notes_builder.render.resolve import HTML_IMAGE

RESULT_FILES = ("metrics.json", "freeze.json")  # what placeholders and the freshness check read
_MAX_FILES = 2000  # a runaway results or template folder must not make every poll slow


def config_inputs(config: NotesConfig) -> set[Path]:
    """What a build reads that notes.yaml alone names."""
    files = {config.source, *config.sections, *config.bibliography, *files_below(templates_dir(), _MAX_FILES)}
    if config.template_dir is not None and config.template_dir.is_dir():  # a template added there counts too
        override = files_below(config.template_dir, _MAX_FILES)
        files.update({config.template_dir, *override, *(path.parent for path in override)})
    files.update(p for p in (config.results_dir / name for name in RESULT_FILES) if p.exists())
    files.update(plugin_inputs(config))  # what plugins check before a build (the training data and code)
    return files


def build_inputs(config: NotesConfig, rendered: Iterable[Path]) -> set[Path]:
    """Everything a successful build read: `rendered` is what resolve read (RenderResult.inputs)."""
    return config_inputs(config) | set(rendered)


def section_inputs(config: NotesConfig | None, path: Path) -> list[Path]:
    """Local files a section names (included code, Markdown images, `<img>` of HTML blocks), resolved as the
    renderer resolves them; nothing when the section cannot be read."""
    try:
        section = parse_section(path)
    except (NotesError, OSError):
        return []
    base = path.parent
    site_root = (config.project_root or config.root) if config is not None else base
    found = []
    for token in section.tokens:
        include = fence_attributes(token.info or "")[1].get("include") if token.type == "fence" else None
        if include:
            found.append(base / include)
        sources = [str(child.attrs.get("src") or "") for child in token.children or [] if child.type == "image"]
        if token.type == "html_block":
            sources += [html.unescape(match.group("src")) for match in HTML_IMAGE.finditer(token.content)]
            for src in sources:  # in HTML, `/x` is read from the project root, as a site serves it
                if src.startswith("/"):
                    found.append(site_root / urllib.parse.unquote(src).lstrip("/"))
            sources = [src for src in sources if not src.startswith("/")]
        found += [base / urllib.parse.unquote(src) for src in sources if src and not REMOTE.match(src)]
    return found


def watched_paths(target: str | Path | None) -> list[Path]:
    """Everything a build of `target` reads; with a broken config, what can still be found."""
    paths: list[Path] = []
    root = Path(target) if target else default_notes()
    try:
        config = load_config(target)
    except NotesError:
        config = None
    if config is not None:
        paths += sorted(config_inputs(config))
        for section in config.sections:
            paths += section_inputs(config, section)
        paths += files_below(config.results_dir, _MAX_FILES)
        root = config.root
    else:  # the shipped templates (config_inputs lists them when the config reads)
        paths += files_below(templates_dir(), _MAX_FILES)
        if root.is_file():
            paths.append(root)
            root = root.parent
    if root.is_dir():  # also sections not listed yet, and notes.yaml while it does not parse
        paths.append(root / CONFIG_NAME)
        paths += sorted(root.glob("*.md"))
    return list(dict.fromkeys(p.resolve() for p in paths))
