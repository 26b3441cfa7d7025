"""The one place where notes configuration is declared and validated.

A notes project is either a folder with `notes.yaml` or a single Markdown file whose YAML front matter
holds the same keys. Each section of the configuration is a dataclass below; `_build` checks the YAML
against the dataclass's type hints, so adding an option means adding one typed field with a default.
A plugin's section (e.g. `training:`) is declared by its plugin (plugins.Section) and validated here, by
the same code. Every error names the YAML file, line and column of the offending value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notes_builder import plugins, reads
from notes_builder.errors import ConfigError, Diagnostic, Location, UsageError
from notes_builder.places import cache_dir as cache_dir  # the training code imports it from here (its hash is recorded)
from notes_builder.tex import safety
from notes_builder.tex.chars import tex_safe_stem
from notes_builder.tex.macros import base_macros
from notes_builder.tex.tokens import TOKEN_PATTERN
from notes_builder.yamltext import KEY, YamlPath, parse_yaml

CONFIG_NAME = "notes.yaml"
REPO_ROOT = Path(__file__).resolve().parent.parent



@dataclass
class TemplateOptions:
    """How the PDF looks."""

    code_style: str = "friendly"  # any Pygments style name
    engine: str = "pdflatex"  # pdflatex | xelatex
    paper: str = "a4paper"
    font_size: int = 11
    line_numbers: bool = True
    toc: bool = False
    packages: list[str] = field(default_factory=list)  # extra LaTeX packages, e.g. [siunitx]
    directory: str = ""  # a folder of templates that override the built-in ones (same file names)
    cjk_font: str = "gbsn"  # CJKutf8 family under pdflatex (gbsn, gkai)
    cjk_main_font: str = "AR PL UMing CN"  # xeCJK font under xelatex (Debian: fonts-arphic-uming)


@dataclass
class AllowOptions:
    """Opt-ins for things notes must not do by default."""

    raw_latex: bool = False  # ```{=latex} blocks and raw LaTeX environments in Markdown
    tex_primitives: bool = False  # \def, \input, \write... inside math or raw LaTeX


@dataclass
class LintConfig:
    """`notes lint` settings; also read from `[tool.notes.lint]` in pyproject.toml."""

    select: list[str] = field(default_factory=list)  # empty: every rule
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    extra_macros: dict[str, int] = field(default_factory=dict)  # macro name (no backslash) -> argument count


@dataclass
class Symbol:
    """One row of the notes' symbol table."""

    symbol: str  # LaTeX math, without dollars
    meaning: str
    shape: str = ""
    location: Location | None = None


@dataclass
class NotesConfig:
    """A whole notes project, resolved: absolute paths, validated values."""

    source: Path  # notes.yaml, or the single .md file
    root: Path  # folder that relative paths are resolved against
    title: str = "Notes"
    author: str = ""
    date: str = ""
    language: str = "en"  # en | zh | mixed
    output: str = ""  # PDF file stem; default from the folder or file name
    sections: list[Path] = field(default_factory=list)
    symbols: list[Symbol] = field(default_factory=list)
    macros: dict[str, str] = field(default_factory=dict)  # \name -> body with #1..#9
    results: Path | None = None
    bibliography: list[Path] = field(default_factory=list)  # .bib files the notes cite from (pandoc's key)
    citation_style: str = "author-year"  # author-year | numeric (biblatex's authoryear and numeric styles)
    compile_timeout: float = 120.0
    template: TemplateOptions = field(default_factory=TemplateOptions)
    allow: AllowOptions = field(default_factory=AllowOptions)
    lint: LintConfig = field(default_factory=LintConfig)
    plugin_sections: dict[str, Any] = field(default_factory=dict)  # plugin name -> its validated section
    single_file: bool = False
    positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict, repr=False)
    # The folder that figures, includes, sections and templates must lie in (see find_project_root).
    project_root: Path | None = None
    project_root_named: Path | None = None  # `root:` or --root as written (before links are followed: lint's record)
    title_given: bool = False  # False: the title falls back to the first `#` heading (see render)
    macro_arity: dict[str, int] = field(default_factory=dict)  # `\\newcommand{\\x}[2]{#1}`: more than the body uses
    warnings: list[Diagnostic] = field(default_factory=list)  # accepted, but worth saying (foreign keys)

    def inside_project(self, path: Path) -> bool:
        """Whether a file the notes name (resolved, links followed) lies in the project root."""
        return path.resolve().is_relative_to(self.project_root or self.root.resolve())

    def location_of(self, *path: str | int, key: bool = False) -> Location:
        """Where a value (or, with key=True, its key) was written in the config file."""
        if key and (*path, KEY) in self.positions:
            path = (*path, KEY)
        while path and path not in self.positions:
            path = path[:-1]
        line, column = self.positions.get(path, (1, 0))
        return Location(self.source, line, column)

    @property
    def template_dir(self) -> Path | None:
        return self.root / self.template.directory if self.template.directory else None

    @property
    def results_dir(self) -> Path:
        return self.results or self.root / "results"

    @property
    def pdf_name(self) -> str:
        return f"{self.output}.pdf"


_SECTIONS: dict[str, type] = {
    "template": TemplateOptions,
    "allow": AllowOptions,
    "lint": LintConfig,
}
_CHOICES: dict[str, tuple[str | int, ...]] = {
    "language": ("en", "zh", "mixed"),
    "citation_style": ("author-year", "numeric"),
    "template.engine": ("pdflatex", "xelatex"),
    "template.font_size": (10, 11, 12),  # the sizes LaTeX's article class has
    # pasted into \documentclass[...]: only the sizes the article class knows
    "template.paper": ("a4paper", "a5paper", "b5paper", "letterpaper", "legalpaper", "executivepaper"),
}
# Strings pasted into the LaTeX preamble as they are: key -> (pattern the whole value must match, what it is).
_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "template.cjk_font": (re.compile(r"[A-Za-z0-9]+"), "a CJKutf8 font family: letters and digits"),
    "template.cjk_main_font": (re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]*"),
                               "a font name: letters, digits, spaces and . _ -"),
}
_HINTS: dict[str, str] = {
    "template.paper": "the paper sizes LaTeX's article class knows, e.g. a4paper or letterpaper",
    "template.cjk_font": "a CJKutf8 family such as gbsn (Song) or gkai (Kai)",
    "template.cjk_main_font": "a font name as `fc-list :lang=zh family` prints it, e.g. AR PL UMing CN",
}
# key -> (lowest, highest or None, whether the lowest itself is allowed)
_RANGES: dict[str, tuple[float, float | None, bool]] = {
    "compile_timeout": (0, None, False),
}
_USER_FIELDS = [
    f.name for f in dataclasses.fields(NotesConfig)
    if f.name not in {"source", "root", "single_file", "positions", "project_root", "project_root_named",
                      "title_given", "warnings", "macro_arity", "plugin_sections"}
]



def templates_dir() -> Path:
    """Templates ship inside the wheel; in a source checkout they are at the repository root."""
    packaged = Path(__file__).resolve().parent / "templates"
    return packaged if packaged.is_dir() else REPO_ROOT / "templates"


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint)).replace("typing.", "")


def _coerce(value: Any, hint: Any, where: str, at: Location) -> Any:
    """Check `value` against a type hint (str, int, float, bool, list[...], dict[...], X | None)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        return _coerce(value, next(o for o in options if o is not type(None)), where, at)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"'{where}' must be a list, not {type(value).__name__}", at)
        (item,) = typing.get_args(hint)
        return [_coerce(v, item, f"{where}[{i}]", at) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"'{where}' must be a mapping, not {type(value).__name__}", at)
        key_hint, value_hint = typing.get_args(hint)
        return {_coerce(k, key_hint, where, at): _coerce(v, value_hint, f"{where}.{k}", at) for k, v in value.items()}
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, dt.date | int | float) and not isinstance(value, bool):
        return str(value)
    if hint in (str, int, bool) and isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    points = isinstance(value, str) and re.fullmatch(r"\s*\d+\s*pt\s*", value)
    if hint is int and points and where.endswith("font_size"):
        return int(value.strip()[:-2])  # `font_size: 11pt`, as LaTeX writes it
    raise ConfigError(f"'{where}' must be {_type_name(hint)}, not {type(value).__name__} ({value!r})", at)


def _unknown_key(key: str, known: list[str], where: str, at: Location) -> ConfigError:
    import difflib  # deliberate, for start-up time: only a key that is wrong (or another tool's) needs it

    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(sorted(known))}"
    return ConfigError(f"unknown key '{where}{key}'", at, hint=hint)


def _raise_together(errors: list[ConfigError]) -> None:
    """Raise the first error, carrying the others (and what they carry) as its diagnostics: every mistake of a
    notes.yaml is reported in one run."""
    if not errors:
        return
    first = errors[0]
    first.diagnostics = [*first.diagnostics, *(
        diagnostic for error in errors[1:]
        for diagnostic in [error.to_diagnostic(), *error.diagnostics])]
    raise first


def _build(cls: type, data: Any, prefix: str, config: NotesConfig) -> Any:
    """Instantiate a config dataclass from a YAML mapping, validating every field."""
    at = config.location_of(*prefix.split(".")) if prefix else config.location_of()
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ConfigError(f"'{prefix}' must be a mapping of options", at)
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    values = {}
    errors: list[ConfigError] = []
    for key, value in data.items():
        key = str(key)
        key_at = config.location_of(*prefix.split("."), key, key=True)
        name = key.replace("-", "_")
        try:
            if name not in known:
                raise _unknown_key(key, known, f"{prefix}.", key_at)
            values[name] = _coerce(value, hints[name], f"{prefix}.{key}", key_at)
            _check_allowed(f"{prefix}.{name}", values[name], f"{prefix}.{key}", key_at)
        except ConfigError as error:
            errors.append(error)
    _raise_together(errors)  # every mistake of the section, in one run
    return cls(**values)


def check_settings(section: str, settings: Any) -> None:
    """A section's settings that did not come from notes.yaml (command line, library callers) get the same
    checks as those that did."""
    for item in dataclasses.fields(settings):
        _check_allowed(f"{section}.{item.name}", getattr(settings, item.name), f"{section}.{item.name}", None)


def _declared(name: str) -> tuple[tuple[Any, ...] | None, tuple[float, float | None, bool] | None, str | None]:
    """The choices, range and hint declared for a dotted key: the core's tables, or the owning plugin's."""
    section, _, field_name = name.partition(".")
    rules = plugins.section_of(section) if field_name and section not in _SECTIONS else None
    if rules is not None:
        return rules.choices.get(field_name), rules.ranges.get(field_name), rules.hints.get(field_name)
    return _CHOICES.get(name), _RANGES.get(name), _HINTS.get(name)


def _check_allowed(name: str, value: Any, where: str, at: Location | None) -> None:
    """The value is one of the declared choices and inside the declared range of `name`, if it has them (each
    item, for a list)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_allowed(name, item, f"{where}[{index}]", at)
        return
    choices, declared_range, hint = _declared(name)
    if choices and value not in choices:
        raise ConfigError(f"'{where}' must be one of {', '.join(map(str, choices))}, not {value!r}", at,
                          hint=hint)
    if name in _PATTERNS:
        pattern, what = _PATTERNS[name]
        if not pattern.fullmatch(value):
            raise ConfigError(f"'{where}' must be {what}, not {value!r}", at, hint=hint)
    if declared_range is None:
        return
    lowest, highest, lowest_allowed = declared_range
    if value < lowest or (value == lowest and not lowest_allowed) or (highest is not None and value > highest):
        if highest is not None:
            rule = f"between {lowest} and {highest}"
        else:
            rule = f"at least {lowest}" if lowest_allowed else f"greater than {lowest}"
        raise ConfigError(f"'{where}' must be {rule}, not {value!r}", at)


def _symbols(raw: Any, config: NotesConfig) -> list[Symbol]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError("'symbols' must be a list of {symbol, meaning, shape}", config.location_of("symbols"))
    symbols = []
    for index, entry in enumerate(raw):
        at = config.location_of("symbols", index)
        if not isinstance(entry, dict) or "symbol" not in entry or "meaning" not in entry:
            raise ConfigError("each symbol needs 'symbol' (LaTeX math) and 'meaning'", at)
        extra = set(entry) - {"symbol", "meaning", "shape"}
        if extra:
            raise _unknown_key(sorted(extra)[0], ["symbol", "meaning", "shape"], "symbols[].", at)
        symbols.append(Symbol(
            symbol=str(entry["symbol"]).strip().strip("$"),
            meaning=str(entry["meaning"]),
            shape=str(entry.get("shape", "")),
            location=config.location_of("symbols", index, "symbol"),
        ))
    return symbols


_MACRO_NAME = re.compile(r"\\?[A-Za-z]+")  # a TeX control word, with or without its backslash
# A parameter character that is not #1..#9 (or ## or an escaped \#): TeX's "Illegal parameter number".
# Control sequences and comments are read past (`\\#` is a literal '#', so is one in a comment).
_BAD_PARAMETER = re.compile(TOKEN_PATTERN + r"|##|#[1-9]|(?P<bad>#)", re.S)


def macro_arguments(body: str) -> int:
    """How many arguments a notes.yaml macro takes: the highest #n its body uses."""
    return max((int(n) for n in re.findall(r"#(\d)", body)), default=0)


@functools.lru_cache(maxsize=1)
def _latex_commands() -> frozenset[str]:
    """Names a notes.yaml macro must not take (the template's `\\newcommand` would stop LaTeX on them; this
    says so earlier, at the macro's line).
    The lint table (LaTeX, amsmath, the template's packages and macros), the primitives notes may not use,
    and the template's environments."""
    return base_macros() | set(safety.FORBIDDEN_COMMANDS) | safety.TEMPLATE_COMMANDS


def _macros(raw: Any, config: NotesConfig) -> dict[str, str]:
    """Validate `macros`; called once the whole mapping is read, since `allow` may come after it."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError("'macros' must map macro names to LaTeX bodies", config.location_of("macros"))
    macros: dict[str, str] = {}
    for key, body in raw.items():
        key = str(key)
        name = key.removeprefix("\\")
        at = config.location_of("macros", key, key=True)
        if not _MACRO_NAME.fullmatch(key):
            raise ConfigError(f"macro name {key!r} must be letters only (e.g. R or \\R)", at)
        check_macro(name, body, at, config.location_of("macros", key), config.allow.tex_primitives, macros)
        macros[name] = body
    return macros


def check_macro(name: str, body: Any, at: Location, body_at: Location, allow_primitives: bool,
                defined: dict[str, str]) -> None:
    """One macro of notes.yaml, or one `\\newcommand` written in a formula (as MathJax allows): the same checks."""
    if name in _latex_commands():
        raise ConfigError(f"macro \\{name} would replace a LaTeX command", at,
                          hint=f"pick another name (e.g. \\my{name}); notes.yaml macros add commands, "
                               "they do not change LaTeX's own")
    if name.startswith("end"):  # \newcommand refuses these: `\endfoo` closes an environment `foo`
        raise ConfigError(f"macro name \\{name} may not start with 'end' (LaTeX keeps those for ending "
                          "environments)", at, hint=f"pick another name, e.g. \\my{name}")
    if name in defined:
        raise ConfigError(f"macro \\{name} is defined twice", at)
    if not isinstance(body, str):
        raise ConfigError(f"macro '{name}' must have a string body", at)
    _check_macro_body(name, body, body_at, allow_primitives)


def _check_tex(what: str, tex: str, at: Location, allow_primitives: bool) -> None:
    """The TeX safety policy (tex.safety: no forbidden primitives unless notes.yaml opts in, balanced braces),
    for LaTeX that notes.yaml pastes into the document: reported at its notes.yaml line, since a problem would
    otherwise surface in TeX's log with no location, or run."""
    problems = safety.check(tex, allow_primitives)
    if problems:
        raise ConfigError(f"{what}: {problems[0].message}", at, hint=problems[0].hint)


def _check_macro_body(name: str, body: str, at: Location, allow_primitives: bool) -> None:
    """A body is pasted into every formula that uses it: the math checks, at the macro's own line."""
    _check_tex(f"macro \\{name}", body, at, allow_primitives)
    for match in _BAD_PARAMETER.finditer(body):
        if match.group("bad"):
            raise ConfigError(f"macro \\{name}: '#' must be followed by an argument number 1-9", at,
                              hint="arguments are #1..#9; write \\# for a literal '#'")


def _check_symbols(config: NotesConfig) -> None:
    """`symbol` and `shape` are math that `::: symbols` pastes into the document as written (`meaning` is
    escaped as prose): the math checks, at each value's line; run once `allow` is read, whatever the key order."""
    for index, symbol in enumerate(config.symbols):
        for field_name in ("symbol", "shape"):
            tex = getattr(symbol, field_name)
            at = config.location_of("symbols", index, field_name)
            _check_tex(f"symbols[{index}].{field_name}", tex, at, config.allow.tex_primitives)


def from_mapping(data: Any, source: Path, root: Path, positions: dict[YamlPath, tuple[int, int]],
                 single_file: bool = False, root_option: str | os.PathLike | None = None) -> NotesConfig:
    """Validate a parsed notes.yaml (or front matter) mapping into a NotesConfig. `root_option` is
    `--root DIR` (relative to the current folder); it beats a `root:` key."""
    config = NotesConfig(source=source, root=root, positions=positions, single_file=single_file)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a YAML mapping (key: value lines)", config.location_of())
    hints = typing.get_type_hints(NotesConfig)
    raw_macros = None
    foreign: list[str] = []
    results_at = config.location_of()
    explicit_root: Path | None = None
    errors: list[ConfigError] = []  # every key is checked: all mistakes in one run, not one per run
    for key, value in data.items():
        try:
            key = str(key)
            name = key.replace("-", "_")
            at = config.location_of(key)
            if name == "authors" and single_file and "author" not in data:
                name = "author"  # pandoc's, Quarto's and JOSS's word for the list of authors
            if name == "root":
                if single_file:  # the file itself must not choose which files it may read
                    raise ConfigError("'root' is only for notes.yaml; for a single file use --root DIR", at)
                config.project_root_named = root / _coerce(value, str, "root", at)
                explicit_root = _explicit_root(config.project_root_named, at)
                continue
            declared = plugins.section_of(name) if name not in _USER_FIELDS else None
            if declared is not None:  # a plugin's section, by its own declaration
                config.plugin_sections[name] = _build(declared.settings, value, name, config)
                continue
            if name not in _USER_FIELDS:
                # front matter written for another tool (Jekyll, Hugo, Obsidian): its keys are ignored with one
                # warning; in notes.yaml, or close to one of ours, an unknown key is most likely a typo
                known = _USER_FIELDS + [p.name for p in plugins.installed_plugins() if p.section is not None]
                import difflib  # deliberate, for start-up time: see _unknown_key

                if single_file and not difflib.get_close_matches(name, known, n=1, cutoff=0.8):
                    foreign.append(key)
                    continue
                unknown = _unknown_key(key, known, "", config.location_of(key, key=True))
                if not unknown.hint.startswith("did you mean"):
                    unknown.hint += "; a plugin's section needs the plugin installed (`notes doctor` lists plugins)"
                raise unknown
            if name in _SECTIONS:
                setattr(config, name, _build(_SECTIONS[name], value, name, config))
            elif name == "symbols":
                config.symbols = _symbols(value, config)
            elif name == "macros":
                raw_macros = value
            elif name == "sections":
                if single_file:
                    raise ConfigError("'sections' is only for notes.yaml; a single file is its own section", at)
                paths = _coerce(value, list[str], "sections", at)
                if not paths:
                    raise ConfigError("'sections' must list at least one Markdown file", at)
                config.sections = [root / p for p in paths]
            elif name == "results":
                config.results = root / _coerce(value, str, "results", at)
                results_at = at
            elif name == "bibliography":  # one file or a list, as pandoc takes it
                paths = _coerce([value] if isinstance(value, str) else value, list[str], "bibliography", at)
                config.bibliography = [root / path for path in paths]
            else:
                if name == "author" and isinstance(value, list):  # Hugo, pandoc: a list of authors
                    value = ", ".join(_author_name(item) for item in value)
                setattr(config, name, _coerce(value, hints[name], key, at))
                _check_allowed(name, getattr(config, name), key, at)
        except ConfigError as error:
            errors.append(error)
    _raise_together(errors)
    config.title_given = "title" in data
    if root_option is not None:
        config.project_root_named = Path(root_option)
        explicit_root = _explicit_root(Path(root_option), None)
    config.project_root = explicit_root or find_project_root(source)
    if foreign:
        config.warnings.append(Diagnostic(
            config.location_of(foreign[0], key=True), "warning",
            f"front matter keys for other tools ignored: {', '.join(foreign)}",
            "notes reads title, author, date, language and the keys of notes.yaml"))
    _check_sections(config)
    if config.results is not None and not config.inside_project(config.results):
        raise ConfigError(f"results folder {config.results} is outside the notes project ({config.project_root})",
                          results_at, hint=_ROOT_HINT)
    _check_bibliography(config)
    config.macros = _macros(raw_macros, config)
    _check_symbols(config)
    for index, package in enumerate(config.template.packages):
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", package):
            raise ConfigError(f"'{package}' is not a LaTeX package name",
                              config.location_of("template", "packages", index))
    if config.template_dir and not config.inside_project(config.template_dir):
        raise ConfigError(f"template folder {config.template.directory} is outside the notes project "
                          f"({config.project_root})", config.location_of("template", "directory"),
                          hint=_ROOT_HINT)
    if config.template_dir and not config.template_dir.is_dir():
        raise ConfigError(f"template folder not found: {config.template.directory}",
                          config.location_of("template", "directory"))
    if not single_file and not config.sections:
        raise ConfigError("notes.yaml has no 'sections': list the Markdown files in reading order",
                          config.location_of())
    if not config.output:
        stem = source.stem if single_file else root.name
        config.output = tex_safe_stem(stem, "notes")
    elif not re.fullmatch(r"[A-Za-z0-9._-]+", config.output):
        raise ConfigError("'output' must be a plain file stem (letters, digits, . _ -)", config.location_of("output"))
    if single_file:
        config.sections = [source]
    return config


def _author_name(item: object) -> str:
    """One author of a front matter list: a name, or pandoc's and JOSS's `{name: ..., affiliation: ...}`."""
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return item["name"]
    return str(item)


def _check_bibliography(config: NotesConfig) -> None:
    """Each `.bib` file is there, is a `.bib`, and lies in the project (TeX reads only copies of project files)."""
    errors = []
    for index, path in enumerate(config.bibliography):
        at = config.location_of("bibliography", index)  # one file, not a list: location_of falls back to the key's
        shown = path.relative_to(config.root) if path.is_relative_to(config.root) else path
        if path.suffix.lower() != ".bib":
            errors.append(ConfigError(f"bibliography {shown} is not a .bib file", at,
                                      hint="name BibTeX files (.bib), as biber and pandoc read them"))
        elif not config.inside_project(path):
            errors.append(ConfigError(f"bibliography {shown} is outside the notes project ({config.project_root})",
                                      at, hint=_ROOT_HINT))
        elif not path.is_file():
            errors.append(ConfigError(f"bibliography file not found: {shown}", at,
                                      hint="the path is relative to the notes' folder"))
    _raise_together(errors)


_ROOT_HINT = "files of the notes must lie in the project root; set `root:` in notes.yaml or `--root DIR` to widen it"


def _explicit_root(path: Path, at: Location | None) -> Path:
    try:
        path = path.expanduser().resolve()
    except RuntimeError:  # `~nosuchuser`
        raise UsageError(f"--root {path}: no such user's home folder") from None
    if at is not None and path in (Path(path.anchor), Path.home().resolve()):
        # a downloaded notes.yaml must not open the whole disk or the home folder (SSH keys) to its includes
        raise ConfigError(f"project root {path} is too wide: notes would read any file under it", at,
                          hint="name the folder of the notes' project; `--root DIR` on the command line may go wider")
    if not path.is_dir():
        raise ConfigError(f"project root {path} is not a folder", at) if at else UsageError(
            f"--root {path} is not a folder")
    return path


def find_project_root(source: Path, cwd: Path | None = None) -> Path:
    """The folder a notes project may read files from, when neither `root:` nor `--root` names it: the nearest
    folder at or above the notes holding `.git` or a notes.yaml (a notes.yaml project's own file does not count:
    its repository does); else the current folder when the notes lie under it (`notes build chapter/page.md`
    from a book's root); else the notes' own folder."""
    folder = source.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
        if (candidate / CONFIG_NAME).is_file() and (candidate / CONFIG_NAME) != source.resolve():
            return candidate
    here = (cwd or Path.cwd()).resolve()
    # not the home folder nor the disk's root: notes downloaded into ~/Downloads must not reach ~/.ssh
    if folder.is_relative_to(here) and here not in (Path(here.anchor), Path.home().resolve()):
        return here
    return folder


def _check_sections(config: NotesConfig) -> None:
    seen: dict[Path, int] = {}
    for index, section in enumerate(config.sections if not config.single_file else []):
        first = seen.setdefault(section.resolve(), index)
        at = config.location_of("sections", index)
        if first != index:  # its text would be set twice (and its labels clash at the file, not here)
            raise ConfigError(f"section {section.name} is listed twice (first as entry {first + 1})", at,
                              hint="list each Markdown file once")
        written = section.relative_to(config.root) if section.is_relative_to(config.root) else section
        if not config.inside_project(section):
            raise ConfigError(f"section {written} is outside the notes project ({config.project_root})", at,
                              hint=_ROOT_HINT)
        if not section.is_file():
            raise ConfigError(f"section file not found: {written} (looked for {section})", at)


_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)(?:^|\n)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


_FRONT_MATTER_OPENING = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n")


def split_front_matter(text: str, path: Path | None = None) -> tuple[str, int]:
    """Return (front matter YAML, number of lines it spans including fences); ('', 0) when absent. With `path`,
    a `---` first line that is never closed is an error there (it would make the whole file YAML, or text)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        if path is not None and _FRONT_MATTER_OPENING.match(text):
            raise ConfigError("front matter opened here is never closed", Location(path, 1, 1),
                              hint="end the front matter with a line '---' (or start the file with something "
                                   "else than '---' if it is a horizontal rule)")
        return "", 0
    return match.group(1), match.group(0).count("\n")


def read_text(path: Path) -> str:
    """Read a user's file as UTF-8, naming the file and the byte position when it is not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reads.note_unreadable(path)  # what lint finds depends on that too (lint/record.py)
        if isinstance(exc, FileNotFoundError):
            raise UsageError(f"no such file: {path}") from None
        if isinstance(exc, IsADirectoryError):
            raise UsageError(f"{path} is a folder, expected a file") from None
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    reads.note(path, raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", Location(path, line, column),
                          hint="save the file as UTF-8") from None
    return text.removeprefix("\ufeff")


def default_notes() -> Path:
    """The notes a command without PATH works on: the current folder when it holds notes.yaml (a project made by
    `notes new`), else `content/` (this repository's default notes)."""
    return Path(".") if Path(CONFIG_NAME).is_file() else Path("content")


def load_config(target: str | os.PathLike | None = None, root: str | os.PathLike | None = None) -> NotesConfig:
    """Find and validate the configuration for a notes folder, a notes.yaml, or a single .md file. `root` is
    `--root DIR`: the project root that files may come from (see find_project_root)."""
    path = Path(target) if target else default_notes()
    if not path.exists():
        raise UsageError(f"no notes at {path}: expected a folder with {CONFIG_NAME} or a .md file")
    path = path.resolve()
    if path.is_dir():
        path = path / CONFIG_NAME
        if not path.exists():
            raise UsageError(f"{path.parent} has no {CONFIG_NAME}")
    if path.suffix.lower() in {".md", ".markdown"}:
        text = read_text(path)
        front, _ = split_front_matter(text, path)
        data, positions = parse_yaml(front, path, first_line=2) if front else ({}, {})
        return from_mapping(data, path, path.parent, positions, single_file=True, root_option=root)
    data, positions = parse_yaml(read_text(path), path)
    return from_mapping(data, path, path.parent, positions, root_option=root)


def load_pyproject_lint(start: str | os.PathLike) -> tuple[LintConfig, Path] | None:
    """`[tool.notes.lint]` from the nearest pyproject.toml at or above `start`, validated like notes.yaml."""
    folder = Path(start).resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if not path.is_file():
            continue
        import tomllib  # deliberate, for start-up time: only a pyproject.toml above the notes needs it (2 ms)

        try:
            data = tomllib.loads(read_text(path))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML: {exc}", Location(path)) from None
        section = data.get("tool", {}).get("notes", {}).get("lint")
        if section is None:
            return None
        holder = NotesConfig(source=path, root=path.parent)
        return _build(LintConfig, section, "tool.notes.lint", holder), path
    return None
