"""Lint a notes document: the formula rules per span, the document rules, configuration and suppression.

`lint_document(document)` gives a document's diagnostics; `check_document` is what the build stage uses (errors
raise LintFailure, warnings are returned with advice); `section_findings` checks one file between fix rounds.
`resolve_targets` turns command-line paths (projects, folders, single Markdown files) into what to lint.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import os
import re
from collections.abc import Sequence
from pathlib import Path

from notes_builder.config import (
    CONFIG_NAME,
    LintConfig,
    NotesConfig,
    load_config,
    load_pyproject_lint,
    macro_arguments,
)
from notes_builder.content import (
    Document,
    MathSpan,
    Section,
    SourceFile,
    adopt_formula_macros,
    symbol_spans,
)
from notes_builder.errors import ConfigError, ContentError, Diagnostic, LintFailure, UsageError
from notes_builder.lint.checker import FormulaChecker
from notes_builder.lint.located import locate
from notes_builder.lint.registry import CHECKS, SPAN_FILTERS, selected
from notes_builder.lint.results import LintOptions
from notes_builder.lint.rules.parse import parse_error, parse_lenient
from notes_builder.tex import macros as M
from notes_builder.tex.safety import FORBIDDEN_COMMANDS

# ---------------------------------------------------------------------------------------------------
# Configuration


def effective_config(config: NotesConfig) -> LintConfig:
    """notes.yaml `lint:` on top of `[tool.notes.lint]` from the nearest pyproject.toml."""
    found = load_pyproject_lint(config.root)
    own = config.lint
    if not found:
        return own
    base, _ = found
    return LintConfig(
        select=own.select or base.select,
        ignore=[*base.ignore, *own.ignore],
        per_file_ignores={**base.per_file_ignores, **own.per_file_ignores},
        extra_macros={**base.extra_macros, **own.extra_macros},
    )


def _checker(config: NotesConfig, lint: LintConfig) -> FormulaChecker:
    known = set(M.base_macros()) | set(config.macros) | {name.lstrip("\\") for name in lint.extra_macros}
    if config.allow.tex_primitives:
        known |= set(FORBIDDEN_COMMANDS)
    arguments = {name: macro_arguments(body) for name, body in config.macros.items()}
    arguments.update({name.lstrip("\\"): count for name, count in lint.extra_macros.items()})
    return FormulaChecker(frozenset(known), allow_primitives=config.allow.tex_primitives,
                          argument_macros=arguments, template_packages=_has_packages(config))


def _has_packages(config: NotesConfig) -> bool:
    """Whether the template loads macros lint cannot know (template.packages or a template folder)."""
    return bool(config.template.packages or config.template.directory)


_CHECKERS: dict[tuple, FormulaChecker] = {}


def checker_for(config: NotesConfig, lint: LintConfig) -> FormulaChecker:
    key = (tuple(sorted(config.macros.items())), tuple(sorted(lint.extra_macros.items())),
           config.allow.tex_primitives, _has_packages(config))
    if key not in _CHECKERS:
        _CHECKERS[key] = _checker(config, lint)
    return _CHECKERS[key]


_SUPPRESS = re.compile(r"<!--\s*notes-lint:\s*ignore\b(?P<codes>[^>]*?)-->")


def suppressions(source: SourceFile) -> dict[int, set[str] | None]:
    """line -> suppressed codes (None: all) from `<!-- notes-lint: ignore NB103 -->` on the line before."""
    found: dict[int, set[str] | None] = {}
    if "notes-lint" not in source.text:
        return found
    for match in _SUPPRESS.finditer(source.text):
        line, _ = source.position(match.end())
        codes = {c.upper() for c in re.findall(r"[A-Za-z]+\d+", match.group("codes"))}
        previous = found.get(line + 1, set())
        found[line + 1] = None if (not codes or previous is None) else (previous | codes)
    return found


# Forbidden primitives: with allow.tex_primitives they are not reported at all, so ignoring them is never needed.
UNFILTERED = frozenset({"NB171"})


class _Filter:
    def __init__(self, config: NotesConfig, lint: LintConfig, options: LintOptions | None):
        self.select = [*lint.select, *(options.select if options else [])]
        self.ignore = [*lint.ignore, *(options.ignore if options else [])]
        self.per_file = lint.per_file_ignores
        self.root = config.root
        self.cache: dict[Path, list[str]] = {}
        self.suppressed: dict[Path, dict[int, set[str] | None]] = {}

    def file_ignores(self, path: Path) -> list[str]:
        if path not in self.cache:
            names = {path.name, str(path)}
            for base in (self.root, Path.cwd()):
                with contextlib.suppress(ValueError):
                    names.add(path.resolve().relative_to(base.resolve()).as_posix())
            codes: list[str] = []
            for pattern, ignored in self.per_file.items():
                if any(fnmatch.fnmatch(name, pattern) for name in names):
                    codes.extend(ignored)
            self.cache[path] = codes
        return self.cache[path]

    def keep(self, finding: Diagnostic) -> bool:
        if finding.code in UNFILTERED:
            return True  # defence in depth (render refuses them too): no setting or comment may hide them
        if not selected(finding.code, self.select, [*self.ignore, *self.file_ignores(finding.path)]):
            return False
        lines = self.suppressed.get(finding.path)
        if lines:
            codes = lines.get(finding.line, set())
            if codes is None or finding.code in codes:
                return False
        return True


def span_findings(span: MathSpan, checker: FormulaChecker) -> list[Diagnostic]:
    """The formula rules' findings of one span, located, less those its place shows to be no defect."""
    return [locate(span, raw) for raw in checker.check(span.body, _context(span))
            if not (raw.code in SPAN_FILTERS and SPAN_FILTERS[raw.code](span, raw))]


def _context(span: MathSpan) -> str:
    if span.delimiter == "env":
        return f"env:{span.environment}"
    return "display" if span.display else "inline"


# ---------------------------------------------------------------------------------------------------
# Documents


_NUCLEUS = re.compile(r"([A-Za-z]|\\[A-Za-z]+|\})\s*([_^])\s*$")


def declared_symbols(config: NotesConfig) -> frozenset[str]:
    """The symbols table's entries, without spaces (`W_f, W_i` is two)."""
    return frozenset(re.sub(r"\s+", "", part) for symbol in config.symbols for part in symbol.symbol.split(","))


def settled_by_table(finding: Diagnostic, text: str, declared: frozenset[str]) -> Diagnostic:
    """An unsafe script fix (`h_t-1` -> `h_{t-1}`) is safe where the symbols table declares the result: the notes
    say t-1 is an index of h. `text` is the finding's file as linted."""
    fix = finding.fix
    if fix is None or fix.safe or finding.code != "NB111" or not declared:
        return finding
    nucleus = _NUCLEUS.search(text[max(0, fix.start - 40):fix.start])
    if nucleus and re.sub(r"\s+", "", nucleus.group(1) + nucleus.group(2) + fix.replacement) in declared:
        return dataclasses.replace(finding, fix=dataclasses.replace(fix, safe=True))
    return finding


def lint_document(document: Document, options: LintOptions | None = None,
                  parse_errors: list[Diagnostic] | None = None) -> list[Diagnostic]:
    """Every finding of one document, after select/ignore, per-file ignores and inline suppression."""
    config = document.config
    findings = list(parse_errors or [])
    try:
        adopt_formula_macros(config, document.sections)
    except ContentError as error:
        findings.append(parse_error(error.location.path if error.location else config.source, error))
    lint = effective_config(config)
    checker = checker_for(config, lint)
    keep = _Filter(config, lint, options)
    table = symbol_spans(config) if config.symbols else []
    for section in document.sections:
        keep.suppressed[section.source.path] = suppressions(section.source)
    spans = [*table, *document.math]
    checker.check_all([(span.body, _context(span)) for span in spans])
    for span in spans:
        findings.extend(span_findings(span, checker))
    for check in CHECKS["document"]:
        findings.extend(check(document, table))
    declared = declared_symbols(config)
    if declared:
        texts = {section.source.path: section.source.text for section in document.sections}
        findings = [settled_by_table(f, texts.get(f.path, ""), declared) for f in findings]
    kept = [f for f in findings if keep.keep(f)]
    kept.sort(key=Diagnostic.sort_key)
    return kept


def error_findings(document: Document) -> list[Diagnostic]:
    """Error-level lint findings of a gathered document (the build stops on the same ones, through
    check_document, before running TeX)."""
    return [f for f in lint_document(document) if f.severity == "error"]


def check_document(document: Document) -> list[Diagnostic]:
    """For the build: raise LintFailure on error-level findings (most math errors never reach TeX); return the
    warnings (`h_t-1`, `sigma(`), which compile but render wrong, each with advice on what to run."""
    found = lint_document(document)
    errors = [f for f in found if f.severity == "error"]
    if errors:
        raise LintFailure(errors)
    return [dataclasses.replace(f, hint="`notes lint --fix` repairs it" if f.fix else
                                f"`notes lint --explain {f.code}`") for f in found if f.severity == "warning"]


def section_findings(config: NotesConfig, path: Path, text: str, options: LintOptions | None = None
                     ) -> list[Diagnostic]:
    """Findings of one file's formulas (no document-level rules): used between fix rounds."""
    lint = effective_config(config)
    checker = checker_for(config, lint)
    keep = _Filter(config, lint, options)
    section, found = parse_lenient(path, text)
    if section is None:
        return [f for f in found if keep.keep(f)]
    keep.suppressed[path] = suppressions(section.source)
    declared = declared_symbols(config)
    found += [settled_by_table(f, section.source.text, declared) for span in section.math
              for f in span_findings(span, checker)]
    return sorted((f for f in found if keep.keep(f)), key=Diagnostic.sort_key)


def gather(config: NotesConfig, only: Sequence[Path] | None = None) -> tuple[Document, list[Diagnostic]]:
    """Parse a project's sections (or just `only`), turning parse failures into findings."""
    sections: list[Section] = []
    errors: list[Diagnostic] = []
    for path in (only if only is not None else config.sections):
        section, found = parse_lenient(path)
        errors.extend(found)
        if section is not None:
            sections.append(section)
    return Document(config, sections), errors


_Projects = dict[Path, tuple[NotesConfig, frozenset[Path]]]  # notes.yaml -> its config and resolved sections


def _project(candidate: Path, projects: _Projects) -> tuple[NotesConfig, frozenset[Path]]:
    """The configuration of one notes.yaml, parsed once per lint run."""
    if candidate not in projects:
        config = load_config(candidate)
        projects[candidate] = (config, frozenset(p.resolve() for p in config.sections))
    return projects[candidate]


def _project_of(path: Path, projects: _Projects) -> NotesConfig | None:
    """The project listing `path` as a section, from the nearest notes.yaml."""
    for folder in path.parents:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            config, sections = _project(candidate, projects)
            return config if path in sections else None
    return None


def resolve_targets(paths: Sequence[str | os.PathLike], broken: list[Diagnostic] | None = None
                    ) -> list[tuple[NotesConfig, list[Path] | None]]:
    """(config, sections to lint or None for all) for each command-line path. With `broken`, a single file whose
    front matter cannot be read becomes a finding there, and the other files are still linted."""
    if not paths:
        return [(load_config(None), None)]
    targets: list[tuple[NotesConfig, list[Path] | None]] = []
    projects: _Projects = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"no such file or folder: {raw}")
        path = path.resolve()
        if path.is_dir() and (path / CONFIG_NAME).is_file() or path.name == CONFIG_NAME:
            targets.append((_project(path / CONFIG_NAME if path.is_dir() else path, projects)[0], None))
            continue
        files = sorted(p for p in path.rglob("*.md") if p.is_file()) if path.is_dir() else [path]  # not a folder x.md
        if path.is_dir() and not files:
            raise UsageError(f"{raw} has no {CONFIG_NAME} and no Markdown files")
        for file in files:
            config = _project_of(file, projects)
            if config:
                targets.append((config, [file]))
                continue
            try:
                targets.append((load_config(file), None))
            except (ConfigError, ContentError) as error:
                if broken is None:
                    raise
                broken.append(parse_error(file, error))
    return targets
