"""Where a build of the notes writes, read from their configuration: the part of `notes build` that needs
notes.yaml (and YAML) but not yet the renderer, Markdown parser or TeX driver (build.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from notes_builder import plugins
from notes_builder.config import NotesConfig, load_config
from notes_builder.errors import OutputError
from notes_builder.manifest import BuildOptions, BuildResult, output_folder, reuse_unchanged


@dataclass
class BuildPlan:
    """The configuration and where a build of it writes."""

    config: NotesConfig
    work: Path  # .work-<output>/: where LaTeX runs, with the manifest
    tex_path: Path
    pdf_path: Path


def build_dir(options: BuildOptions) -> Path:
    """The output folder, made if missing: a file, an unwritable or impossible place is one clear error."""
    out = output_folder(options)
    shown = options.out_dir or "build/"
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {shown} is a file, not a folder", hint="name a folder (it is made if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot make the output folder {shown}: {exc.strerror}") from None
    if not os.access(out, os.W_OK):
        raise OutputError(f"the output folder {shown} is not writable", hint="choose another with --out DIR")
    return out


def plan_build(target: str | Path | None, options: BuildOptions) -> BuildPlan:
    """Read the configuration, make the output folder and run the plugins' pre-build checks (the training plugin's:
    are the recorded results still those of the data, code and settings?)."""
    config = load_config(target, root=options.root)
    out = build_dir(options)
    plan = BuildPlan(config, out / f".work-{config.output}", out / f"{config.output}.tex", out / config.pdf_name)
    plugins.pre_build(config, options)
    return plan


def reuse_last_build(plan: BuildPlan, options: BuildOptions) -> BuildResult | None:
    """The last build's result when nothing it read changed (a PDF build only, not forced); None otherwise."""
    return reuse_unchanged(options, str(plan.config.source), plan.work, plan.tex_path, plan.pdf_path)


def plan_and_reuse(target: str | Path | None, options: BuildOptions) -> tuple[BuildPlan, BuildResult | None]:
    """The plan, and the last build's result if nothing changed since (else None: build.build_stale builds)."""
    plan = plan_build(target, options)
    return plan, reuse_last_build(plan, options)
