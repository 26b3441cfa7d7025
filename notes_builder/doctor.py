"""`notes doctor`: is everything a build needs installed? Each missing piece comes with its install command.

Checks, in order: the TeX programs (pdflatex, kpsewhich; xelatex, rsvg-convert and pdftotext are
optional), every LaTeX package the templates load (parsed from `templates/*.tex.j2`, both engine branches,
looked up with one `kpsewhich` call; the notes' own packages take a second), the CJK setup for Chinese notes
(CJKutf8 and the gbsn font), the
Python dependencies of the installed package, what the notes themselves ask for: their
`template.packages` and their CJK font (c70<font>.fd under pdflatex, the fontconfig font under xelatex), and
the plugins found, each plugin's optional extra and what the plugin checks itself (training: the notes'
training data).
Install commands use Debian package names (the ones the README's setup command installs).
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from notes_builder import plugins
from notes_builder.config import NotesConfig, TemplateOptions, load_config, templates_dir
from notes_builder.errors import NotesError, UsageError
from notes_builder.plugins import Check
from notes_builder.texlog import PACKAGE_HINTS

try:  # packaging is not a dependency; without it only a package's presence is checked
    from packaging.specifiers import SpecifierSet
except ImportError:
    SpecifierSet = None

DIST_NAME = "notes-builder"


@dataclass
class DoctorReport:
    checks: list[Check]

    @property
    def missing_required(self) -> list[Check]:
        return [c for c in self.checks if not c.ok and c.required]

    @property
    def ok(self) -> bool:
        return not self.missing_required

    def apt_packages(self, required_only: bool = True) -> list[str]:
        """Debian packages that would install what is missing, in first-seen order."""
        packages: dict[str, None] = {}
        for check in self.checks:
            if check.ok or (required_only and not check.required):
                continue
            if check.fix.startswith("apt-get install "):
                for name in check.fix.removeprefix("apt-get install ").split():
                    packages[name] = None
        return list(packages)


# Program -> (Debian package, required, what it is for).
PROGRAMS: list[tuple[str, str, bool, str]] = [
    ("pdflatex", "texlive-latex-base", True, "the default LaTeX engine"),
    ("kpsewhich", "texlive-binaries", True, "finds LaTeX packages (used by this check too)"),
    ("xelatex", "texlive-xetex", False, "optional engine (template.engine: xelatex)"),
    ("rsvg-convert", "librsvg2-bin", False, "SVG figures"),
    ("biber", "biber", False, "citations (bibliography: in notes.yaml), with biblatex"),
    ("pdftotext", "poppler-utils", False, "reading PDFs back in tests"),
]

# The CJK setup under pdflatex: CJKutf8 with the Arphic "gbsn" (song) font, as Debian packages it.
CJK_FILES: list[tuple[str, str, str]] = [
    ("CJKutf8.sty", PACKAGE_HINTS.get("CJKutf8.sty", "latex-cjk-chinese"), "CJK text under pdflatex"),
    ("c70gbsn.fd", PACKAGE_HINTS.get("c70gbsn.fd", "latex-cjk-chinese-arphic-gbsn00lp"),
     "the gbsn font definition (cjk_font: gbsn)"),
    ("gbsnu.map", PACKAGE_HINTS.get("c70gbsn.fd", "latex-cjk-chinese-arphic-gbsn00lp"), "the gbsn font map"),
]

# Optional TeX files: what they are for when present. Missing, the build works (slower, or without citations).
OPTIONAL_FILES: list[tuple[str, str, str]] = [
    ("mylatexformat.ltx", "texlive-latex-extra", "precompiled preamble: a one-line edit rebuilds in one short pass"),
    ("biblatex.sty", "texlive-bibtex-extra", "citations and the reference list (bibliography: in notes.yaml)"),
]

_USEPACKAGE = re.compile(r"\\(?:usepackage|RequirePackage)\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}")
_JINJA_BLOCK = re.compile(r"\(\(\*-?\s*(if|elif|else|endif)\b(.*?)-?\*\)\)", re.S)
_XELATEX_ONLY = {"fontspec", "xeCJK", "polyglossia", "unicode-math"}


def _branch_engines(condition: str, negate: bool) -> set[str] | None:
    """Which engines a Jinja condition admits; None when it does not test the engine."""
    match = re.search(r"engine\s*(==|!=)\s*['\"](\w+)['\"]", condition)
    if not match:
        return None
    engines = {"pdflatex", "xelatex"}
    named = {match.group(2)}
    admitted = named if match.group(1) == "==" else engines - named
    return engines - admitted if negate else admitted


def template_packages(folder: Path | None = None) -> dict[str, set[str]]:
    """Every package `\\usepackage`d by the templates, in both branches, with the engines that load it."""
    folder = folder or templates_dir()
    found: dict[str, set[str]] = {}
    for template in sorted(folder.glob("*.tex.j2")):
        text = template.read_text(encoding="utf-8")
        # Walk the text, keeping a stack of the engine sets the enclosing if/else branches admit.
        stack: list[tuple[str, set[str] | None]] = []  # (condition, engines of the current branch)
        position = 0
        tokens = list(_JINJA_BLOCK.finditer(text))
        for token in [*tokens, None]:
            end = token.start() if token else len(text)
            engines = {"pdflatex", "xelatex"}
            for _, admitted in stack:
                if admitted is not None:
                    engines &= admitted
            for match in _USEPACKAGE.finditer(text, position, end):
                for name in match.group(1).split(","):
                    name = name.strip()
                    if name and not name.startswith("((("):
                        wanted = {"xelatex"} if name in _XELATEX_ONLY else engines
                        found.setdefault(name, set()).update(wanted)
            if token is None:
                break
            position = token.end()
            keyword, condition = token.group(1), token.group(2)
            if keyword == "if":
                stack.append((condition, _branch_engines(condition, negate=False)))
            elif keyword in {"elif", "else"} and stack:
                first_condition, _ = stack[-1]
                admitted = _branch_engines(first_condition, negate=True)
                if keyword == "elif":
                    admitted = _branch_engines(condition, negate=False) or admitted
                stack[-1] = (first_condition, admitted)
            elif keyword == "endif" and stack:
                stack.pop()
    return found


_LOOKED_UP: dict[str, str | None] = {}  # kpsewhich's answers in this process: a second check asks nothing again


def _which_tex_files(names: list[str], kpsewhich: str | None) -> dict[str, str]:
    """Look every file not looked up yet with ONE kpsewhich call; returns name -> path for those found."""
    if not kpsewhich or not names:
        return {}
    unknown = [name for name in names if name not in _LOOKED_UP]
    if unknown:
        try:
            result = subprocess.run([kpsewhich, *unknown], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return {}
        found = {}
        for line in result.stdout.splitlines():
            line = line.strip()
            if line:
                found.setdefault(Path(line).name, line)
        _LOOKED_UP.update({name: found.get(name) for name in unknown})
    return {name: _LOOKED_UP[name] for name in names if _LOOKED_UP.get(name)}


def _apt(package: str) -> str:
    return f"apt-get install {package}"


def check_programs() -> list[Check]:
    checks = []
    for program, package, required, purpose in PROGRAMS:
        path = shutil.which(program)
        checks.append(Check("program", program, path is not None, required,
                            path or f"not on PATH ({purpose})", "" if path else _apt(package)))
    return checks


def check_tex_files(folder: Path | None = None, override: Path | None = None, also: list[str] = ()) -> list[Check]:
    """LaTeX packages of the templates (with the notes' template.directory `override`), the CJK files and the
    optional speed-ups, and the files in `also` (what the notes ask for), in one kpsewhich call."""
    packages = template_packages(folder)
    if override is not None and override.is_dir():
        for name, engines in template_packages(override).items():
            packages.setdefault(name, set()).update(engines)
    sty_names = [f"{name}.sty" for name in sorted(packages, key=str.lower)]
    cjk_names = [name for name, _, _ in CJK_FILES if name not in sty_names]
    kpsewhich = shutil.which("kpsewhich")
    optional_names = [name for name, _, _ in OPTIONAL_FILES]
    paths = _which_tex_files([*sty_names, *cjk_names, *optional_names, *also], kpsewhich)
    why_missing = "not found by kpsewhich" if kpsewhich else "cannot look up: kpsewhich is not installed"
    checks = []
    cjk_set = {name for name, _, _ in CJK_FILES}
    for name in sty_names:
        if name in cjk_set:  # reported with the CJK setup below
            continue
        engines = packages[name.removesuffix(".sty")]
        required = "pdflatex" in engines
        detail = paths.get(name) or why_missing
        if not required:
            detail += " (xelatex engine only)"
        package = PACKAGE_HINTS.get(name, "texlive-latex-extra")
        checks.append(Check("LaTeX package", name, name in paths, required, detail,
                            "" if name in paths else _apt(package)))
    for name, package, purpose in CJK_FILES:
        found = paths.get(name)
        checks.append(Check("CJK", name, found is not None, True, found or f"{why_missing} ({purpose})",
                            "" if found else _apt(package)))
    for name, package, purpose in OPTIONAL_FILES:
        found = paths.get(name)
        checks.append(Check("LaTeX package", name, found is not None, False,
                            found or f"{why_missing} (optional: {purpose})", "" if found else _apt(package)))
    return checks


def _requirement_name(requirement: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)", requirement)
    return (match.group(1), match.group(2).strip()) if match else (requirement, "")


def check_python(extra: str | None = None) -> list[Check]:
    """The installed package's own dependencies (from its metadata, i.e. pyproject's `dependencies`); with
    `extra`, those of that optional extra instead (optional checks: the core works without them)."""
    try:
        requirements = metadata.requires(DIST_NAME) or []
    except metadata.PackageNotFoundError:
        return [Check("Python", DIST_NAME, False, True, "the package is not installed", "pip install -e .")]
    checks = []
    for requirement in requirements:
        marker = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", requirement)
        if (marker.group(1) if marker else None) != extra:
            continue
        name, spec = _requirement_name(requirement)
        fix = (f"pip install '{name}{spec}' --index-url https://download.pytorch.org/whl/cpu" if name == "torch"
               else f"pip install '{name}{spec}'")
        if extra:
            fix = f"pip install '{DIST_NAME}[{extra}]'" + (" (torch's CPU build first: " + fix + ")"
                                                          if name == "torch" else "")
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            checks.append(Check("Python", name, False, extra is None,
                                f"not installed (needs {spec or 'any version'})", fix))
            continue
        ok, detail = True, version
        if spec and SpecifierSet is not None and not SpecifierSet(spec).contains(version, prereleases=True):
            ok, detail = False, f"{version} installed, needs {spec}"
        checks.append(Check("Python", name, ok, extra is None, detail, "" if ok else fix))
    return checks


def _font_families() -> set[str] | None:
    """Every font family fontconfig knows (what xelatex's fontspec can find by name); None without fc-list."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {family.strip() for line in out.splitlines() for family in line.split(",") if family.strip()}


def check_notes_tex(config: NotesConfig) -> list[Check]:
    """What these notes ask for beyond the templates: `template.packages`, the CJK font of their engine."""
    template = config.template
    wanted = {f"{name}.sty": "template.packages in notes.yaml" for name in template.packages}
    if config.bibliography:  # the notes cite: biblatex and biber are no longer optional for them
        wanted["biblatex.sty"] = "bibliography: in notes.yaml"
    if template.engine == "pdflatex" and template.cjk_font != "gbsn" and config.language in ("zh", "mixed"):
        wanted[f"c70{template.cjk_font}.fd"] = f"template.cjk_font: {template.cjk_font}"
    paths = _which_tex_files(list(wanted), shutil.which("kpsewhich"))
    checks = []
    for name, why in wanted.items():
        found = paths.get(name)
        package = PACKAGE_HINTS.get(name)
        fix = _apt(package) if package else f"find its Debian package: apt-file search {name}"
        checks.append(Check("notes", name, found is not None, True, found or f"not found by kpsewhich ({why})",
                            "" if found else fix))
    if config.bibliography:
        biber = shutil.which("biber")
        checks.append(Check("notes", "biber", biber is not None, True, biber or "not on PATH (bibliography: in "
                            "notes.yaml needs it to sort and format the references)", "" if biber else _apt("biber")))
    # The CJK font is loaded for Chinese text only; English notes with Chinese in a section are told by the build.
    chinese = config.language in ("zh", "mixed")
    if template.engine == "xelatex":
        families = _font_families()
        font = template.cjk_main_font
        if families is None:
            checks.append(Check("notes", font, False, False, "cannot check fonts: fc-list is not installed",
                                _apt("fontconfig")))
        else:
            ok = font in families
            checks.append(Check("notes", font, ok, chinese, "font found by fontconfig" if ok else
                                "fontconfig has no such font (template.cjk_main_font in notes.yaml); "
                                "`fc-list : family` lists those it has",
                                "" if ok or font != TemplateOptions().cjk_main_font else _apt("fonts-arphic-uming")))
    return checks


def run_doctor(target: str | os.PathLike | None = None, templates: Path | None = None) -> DoctorReport:
    config, problem = None, None
    try:
        config = load_config(target)
    except UsageError as error:  # no notes here: the tools can still be checked
        problem = Check("notes", "notes.yaml", False, False, f"no notes read: {error.message}", "")
    except NotesError as error:  # notes that cannot be read will not build either
        problem = Check("notes", "notes.yaml", False, True, f"unreadable: {error}",
                        "fix it (`notes build` reports the same error)")
    # the notes' own template folder and packages are looked up in the same kpsewhich call as the templates'
    override = config.template_dir if config else None
    also = [f"{name}.sty" for name in config.template.packages] if config else []
    checks = [*check_programs(), *check_tex_files(templates, override, also), *check_python()]
    if problem is not None:
        checks.append(problem)
    else:
        assert config is not None
        checks += check_notes_tex(config)
    known = {(c.group, c.name) for c in checks}  # an older install's metadata may list an extra's package as core
    checks += [Check("plugin", plugin.name, True, False, f"{type(plugin).__module__}.{type(plugin).__name__}"
                     + (f" (its command needs the `{plugin.extra}` extra)" if plugin.extra else ""))
               for plugin in plugins.installed_plugins()]
    extras = [check for plugin in plugins.installed_plugins() if plugin.extra for check in check_python(plugin.extra)]
    checks += [c for c in [*extras, *plugins.doctor_checks(config)] if (c.group, c.name) not in known]
    return DoctorReport(checks)


def print_report(report: DoctorReport) -> None:
    stdout = Console(highlight=False, soft_wrap=True, emoji=False)
    if not stdout.is_terminal:  # piped or captured: do not squeeze paths into 80 columns
        stdout = Console(highlight=False, soft_wrap=False, width=160)
    table = Table(title="notes doctor", show_lines=False)
    for column in ("check", "name", "status", "found / why", "install with"):
        table.add_column(column, overflow="fold")
    colour = {"ok": "green", "missing": "red", "optional, missing": "yellow"}
    for check in report.checks:
        status = f"[{colour[check.status]}]{check.status}[/]"
        table.add_row(check.group, escape(check.name), status, escape(check.detail), escape(check.fix))
    stdout.print(table)
    missing = report.missing_required
    if missing:
        names = ", ".join(c.name for c in missing)
        stdout.print(f"[red]{len(missing)} required item(s) missing:[/red] {escape(names)}")
        apt = report.apt_packages()
        if apt:
            stdout.print(f"  sudo apt-get install {' '.join(apt)}")
        for check in missing:
            if check.fix and not check.fix.startswith("apt-get "):
                stdout.print(f"  {escape(check.fix)}")
    else:
        optional = [c.name for c in report.checks if not c.ok]
        extra = f" ({len(optional)} optional item(s) missing: {', '.join(optional)})" if optional else ""
        stdout.print(f"[green]everything required is installed[/green]{escape(extra)}")
