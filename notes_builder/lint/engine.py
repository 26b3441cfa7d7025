"""Lint a notes document: per-formula checks, document-level notation checks, configuration, suppression.

`lint_document(document)` is what the build stage uses (errors stop it, warnings are printed); `lint_paths` resolves
command-line paths (projects, folders, single Markdown files) and optionally applies fixes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from notes_builder.config import (
    CONFIG_NAME,
    LintConfig,
    NotesConfig,
    load_config,
    load_pyproject_lint,
    macro_arguments,
    read_text,
)
from notes_builder.content import (
    Document,
    MathSpan,
    Section,
    SourceFile,
    adopt_formula_macros,
    parse_section,
    symbol_spans,
)
from notes_builder.errors import ConfigError, ContentError, Location, UsageError
from notes_builder.lint.checker import _TEXT, FormulaChecker, RawFinding, clean_body
from notes_builder.lint.rules import RULES, selected
from notes_builder.tex import macros as M
from notes_builder.tex.safety import FORBIDDEN_COMMANDS


@dataclass(frozen=True)
class Fix:
    """A replacement of source.text[start:end] (which must still read `original`)."""

    start: int
    end: int
    replacement: str
    original: str
    line: int
    column: int
    end_line: int
    end_column: int
    safe: bool = True  # see checker.RawFix

    @property
    def applicability(self) -> str:
        return "safe" if self.safe else "unsafe"

    def to_json(self) -> dict:
        return {"replacement": self.replacement, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column, "applicability": self.applicability}


@dataclass
class Finding:
    """One lint result, located in the user's file (1-based line/column; end is exclusive)."""

    path: Path
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    severity: str  # "error" | "warning"
    message: str
    fix: Fix | None = None

    @property
    def location(self) -> Location:
        return Location(self.path, self.line, self.column)

    def to_json(self, path_text: str) -> dict:
        return {"path": path_text, "line": self.line,
                "column": self.column, "end_line": self.end_line, "end_column": self.end_column,
                "code": self.code, "severity": self.severity, "message": self.message,
                "fix": self.fix.to_json() if self.fix else None}

    def sort_key(self) -> tuple:
        return (str(self.path), self.line, self.column, self.code)


@dataclass
class LintOptions:
    compile: bool = False
    unsafe_fixes: bool = False  # --unsafe-fixes: --fix applies the fixes that may change meaning too
    select: list[str] = field(default_factory=list)  # added to the configuration's select (CLI)
    ignore: list[str] = field(default_factory=list)


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    formulas: int = 0
    compile_seconds: float | None = None
    compiled_formulas: int = 0  # with --compile: those compiled (formulas that already have errors are skipped)
    fixed: int = 0  # fixes applied by --fix

    @property
    def fixable(self) -> list[Finding]:
        return [f for f in self.findings if f.fix is not None]

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0


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

    def keep(self, finding: Finding) -> bool:
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


# ---------------------------------------------------------------------------------------------------
# Turning raw (body-relative) findings into located ones


def _context(span: MathSpan) -> str:
    if span.delimiter == "env":
        return f"env:{span.environment}"
    return "display" if span.display else "inline"


def _locate(span: MathSpan, raw: RawFinding) -> Finding:
    start = span.location(raw.start)
    end = span.location(min(raw.end, len(span.body)))
    if raw.end > len(span.body) or not span.exact:
        end = Location(start.path, start.line, start.column + max(1, raw.end - raw.start))
    fix = None
    if raw.fix is not None and span.exact and span.delimiter != "yaml":
        text = span.source.text
        a, b = span.offset + raw.fix.start, span.offset + raw.fix.end
        if text[span.offset:span.offset + len(span.body)] == span.body:
            fa, fb = span.source.position(a), span.source.position(b)
            fix = Fix(a, b, raw.fix.replacement, text[a:b], fa[0], fa[1], fb[0], fb[1], raw.fix.safe)
    rule = RULES[raw.code]
    return Finding(start.path, start.line, start.column, end.line, end.column, raw.code, rule.severity,
                   raw.message, fix)


_UNCLOSED_DOLLAR = ("unclosed '$'", "unclosed '$$'")  # content.py's message for math never closed


def _section_finding(path: Path, error: ContentError, display: bool = False) -> Finding:
    """`display`: the unclosed `$` opens `$$`, so the message names `$$` (what the user must close)."""
    code = "NB135" if error.message.startswith(_UNCLOSED_DOLLAR) else "NB100"
    location = error.location or Location(path, 1, 1)
    line, column = location.line or 1, location.column or 1
    message = error.message
    if display:
        message = "unclosed '$$': display math started here is never closed (close it with a matching '$$')"
    width = 2 if display else 1
    return Finding(location.path, line, column, line, column + width, code, RULES[code].severity, message)


def parse_lenient(path: Path, text: str | None = None) -> tuple[Section | None, list[Finding]]:
    """Parse a section; an unclosed `$` becomes a finding and the rest of the file is still checked."""
    try:
        original = read_text(path) if text is None else text
    except ConfigError as error:  # not UTF-8: a finding at the byte, and the other files are still linted
        return None, [_section_finding(path, ContentError(error.message, error.location, hint=error.hint))]
    current = original
    errors: list[Finding] = []
    for _ in range(50):
        try:
            section = parse_section(path, current)
        except ContentError as error:
            at = error.location
            if not error.message.startswith(_UNCLOSED_DOLLAR) or at is None or not at.line:
                return None, [*errors, _section_finding(path, error)]
            source = SourceFile(path, current)
            offset = source.line_offset(at.line - 1) + max(0, at.column - 1)
            if current[offset:offset + 1] != "$":
                return None, [*errors, _section_finding(path, error)]
            width = 2 if current[offset:offset + 2] == "$$" else 1  # `$$`: one finding, not one per '$'
            errors.append(_section_finding(path, error, display=width == 2))
            # same length: offsets stay valid
            current = current[:offset] + "\u00a4" * width + current[offset + width:]
            continue
        section.source.text = original
        return section, errors
    return None, errors


def span_findings(span: MathSpan, checker: FormulaChecker) -> list[Finding]:
    return [_locate(span, raw) for raw in checker.check(span.body, _context(span))
            if not (raw.code == "NB134" and _paired_outside(span, raw))
            and not (raw.code == "NB162" and _about_convolution(span))]


_CONVOLUTION_WORDS = re.compile(r"convol|卷积|互相关|cross-correlation", re.I)


def _about_convolution(span: MathSpan) -> bool:
    """`$f * g = g * f$` in a paragraph about convolution: the star is the convolution, as written."""
    start, end = span.source.paragraph(span.offset, span.offset + len(span.body))
    return bool(_CONVOLUTION_WORDS.search(span.source.text, start, end))


_PARTNERS = {"(": ")", "[": "]", ")": "(", "]": "["}
_WIDE = {"(": "（", ")": "）", "[": "［", "]": "］"}


def _paired_outside(span: MathSpan, raw: RawFinding) -> bool:
    """`$(S$、$A$、$R)$` and `（已知 $\\boldsymbol{x})$`: an inline formula's bracket whose partner is on the same
    line, in the prose or in another formula. It prints as written, so it is no defect."""
    if span.display or not span.exact or span.delimiter not in ("$", "\\("):
        return False
    char = span.body[raw.start:raw.start + 1]
    if char not in _PARTNERS:
        return False
    start, end = span.offset, span.offset + len(span.body)
    first, last = span.source.paragraph(start, end)
    # the partner lies after an opening bracket, before a closing one
    rest = span.source.text[end:last] if char in "([" else span.source.text[first:start]
    partner = _PARTNERS[char]
    return rest.count(partner) + rest.count(_WIDE[partner]) > rest.count(char) + rest.count(_WIDE[char])


# ---------------------------------------------------------------------------------------------------
# Document-level rules: notation consistency and the symbols table

_STYLES = {"mathbf": "mathbf", "bm": "bm", "boldsymbol": "bm", "pmb": "bm"}
_SYMBOL = re.compile(
    r"\\(?P<s1>mathbf|bm|boldsymbol)\s*\{\s*(?P<l1>[A-Za-z])\s*\}\s*_\s*(?P<i1>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])"
    r"|\\(?P<s2>mathbf|bm|boldsymbol)\s*\{\s*(?P<l2>[A-Za-z])\s*_\s*(?P<i2>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])\s*\}"
    r"|\\(?P<s3>mathbf|bm|boldsymbol)\s+(?P<l3>[A-Za-z])\s*_\s*(?P<i3>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])"
    r"|(?<![\\A-Za-z{])(?P<l4>[A-Za-z])\s*_\s*(?P<i4>\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])")


def symbol_uses(body: str) -> list[tuple[int, int, str, str, str]]:
    """(start, end, letter, index, style) for each letter-with-subscript in a formula."""
    clean = clean_body(body)
    uses = []
    for match in _SYMBOL.finditer(body):
        if clean[match.start()] == _TEXT:
            continue
        for group in "1234":
            letter = match.group(f"l{group}")
            if letter:
                style = _STYLES.get(match.group(f"s{group}") or "", "plain") if group != "4" else "plain"
                index = re.sub(r"[\s{}]", "", match.group(f"i{group}"))
                uses.append((match.start(), match.end(), letter, index, style))
                break
    return uses


def _style_text(letter: str, index: str, style: str) -> str:
    core = letter if style == "plain" else f"\\{style}{{{letter}}}"
    return f"{core}_{index if len(index) == 1 else '{' + index + '}'}"


def document_findings(document: Document, table: list[MathSpan]) -> list[Finding]:
    findings: list[Finding] = []
    first: dict[tuple[str, str], tuple[str, Location]] = {}
    table_letters: set[str] = set()
    for span in table:
        for letter in re.findall(r"(?<![\\A-Za-z])[A-Za-z]", re.sub(r"\\[A-Za-z]+", " ", span.body)):
            table_letters.add(letter)
    missing_reported: set[str] = set()
    reported: set[tuple[str, str, str]] = set()
    for span in [*table, *document.math]:
        if "_" not in span.body:
            continue
        for start, end, letter, index, style in symbol_uses(span.body):
            key = (letter, index)
            location = span.location(start)
            if span.delimiter == "yaml":
                first.setdefault(key, (style, location))
                continue
            # A bold x_t beside a plain x_t is, in most texts, a vector and its entry: only a symbol the table
            # declares one way is a likely slip when written another way (reported once per form)
            if key in first and first[key][0] != style and (letter, index, style) not in reported:
                reported.add((letter, index, style))
                seen_style, seen_at = first[key]
                raw = RawFinding("NB181", start, end,
                                 f"{span.body[start:end].strip()} is declared {_style_text(letter, index, seen_style)}"
                                 f" in the symbols table ({seen_at})")
                findings.append(_locate(span, raw))
            if span.delimiter != "yaml" and table and letter not in table_letters \
                    and letter not in missing_reported and not index.isdigit():
                missing_reported.add(letter)
                raw = RawFinding("NB182", start, end,
                                 f"{_style_text(letter, index, style)} is not in the symbols table")
                findings.append(_locate(span, raw))
    return findings


# ---------------------------------------------------------------------------------------------------
# Documents


_NUCLEUS = re.compile(r"([A-Za-z]|\\[A-Za-z]+|\})\s*([_^])\s*$")


def declared_symbols(config: NotesConfig) -> frozenset[str]:
    """The symbols table's entries, without spaces (`W_f, W_i` is two)."""
    return frozenset(re.sub(r"\s+", "", part) for symbol in config.symbols for part in symbol.symbol.split(","))


def settled_by_table(finding: Finding, text: str, declared: frozenset[str]) -> Finding:
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
                  parse_errors: list[Finding] | None = None) -> list[Finding]:
    """Every finding of one document, after select/ignore, per-file ignores and inline suppression."""
    config = document.config
    findings = list(parse_errors or [])
    try:
        adopt_formula_macros(config, document.sections)
    except ContentError as error:
        findings.append(_section_finding(error.location.path if error.location else config.source, error))
    lint = effective_config(config)
    checker = checker_for(config, lint)
    keep = _Filter(config, lint, options)
    table = symbol_spans(config) if config.symbols else []
    for section in document.sections:
        keep.suppressed[section.source.path] = suppressions(section.source)
    for span in [*table, *document.math]:
        findings.extend(span_findings(span, checker))
    findings.extend(document_findings(document, table))
    declared = declared_symbols(config)
    if declared:
        texts = {section.source.path: section.source.text for section in document.sections}
        findings = [settled_by_table(f, texts.get(f.path, ""), declared) for f in findings]
    kept = [f for f in findings if keep.keep(f)]
    kept.sort(key=Finding.sort_key)
    return kept


def error_findings(document: Document) -> list[Finding]:
    """Error-level lint findings of a gathered document (the build stops on the same ones, through
    lint_document, before running TeX)."""
    return [f for f in lint_document(document) if f.severity == "error"]


def section_findings(config: NotesConfig, path: Path, text: str, options: LintOptions | None = None
                     ) -> list[Finding]:
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
    return sorted((f for f in found if keep.keep(f)), key=Finding.sort_key)


def gather(config: NotesConfig, only: Sequence[Path] | None = None) -> tuple[Document, list[Finding]]:
    """Parse a project's sections (or just `only`), turning parse failures into findings."""
    sections: list[Section] = []
    errors: list[Finding] = []
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


def resolve_targets(paths: Sequence[str | os.PathLike], broken: list[Finding] | None = None
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
        files = sorted(path.rglob("*.md")) if path.is_dir() else [path]
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
                broken.append(_section_finding(file, error))
    return targets


def lint_paths(paths: Sequence[str | os.PathLike], options: LintOptions | None = None,
               confirm: Callable[[Finding], str] | None = None, fix: bool = False) -> LintReport:
    """Lint the notes at `paths` (default: content/). With fix=True, apply safe fixes first (see fixes.py)."""
    options = options or LintOptions()
    broken: list[Finding] = []
    targets = resolve_targets(paths, broken)
    if fix:
        from notes_builder.lint.fixes import fix_files

        fixed = fix_files(targets, options, confirm)
    report = LintReport(fixed=fixed if fix else 0, findings=broken)
    for config, only in targets:
        document, parse_errors = gather(config, only)
        report.documents.append(document)
        report.formulas += len(document.math)
        report.findings.extend(lint_document(document, options, parse_errors))
    if options.compile:
        from notes_builder.lint.compile_check import compile_documents

        compiled, report.compiled_formulas, report.compile_seconds = compile_documents(report.documents,
                                                                                        report.findings)
        report.findings.extend(compiled)
    report.findings.sort(key=Finding.sort_key)
    return report
