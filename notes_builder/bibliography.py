"""`.bib` files read with bibtexparser and checked before TeX runs, at the `.bib` line: entries biber or BibTeX
would reject or print badly (syntax, duplicate keys, missing required fields), and cited keys the files lack.

Required fields follow biblatex's data model (what biber validates), with the BibTeX names as alternatives
(`journal` for `journaltitle`, `year` for `date`, `school` for `institution`), so both back ends are served.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
from bibtexparser import model

from notes_builder import reads
from notes_builder.errors import Diagnostic, Location

logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)  # its findings come back as diagnostics instead

# entry type -> required fields; "a|b" is satisfied by either (biblatex manual §2.1.1, BibTeX's standard styles)
REQUIRED: dict[str, tuple[str, ...]] = {
    "article": ("author", "title", "journal|journaltitle", "year|date"),
    "book": ("author|editor", "title", "year|date"),
    "mvbook": ("author|editor", "title", "year|date"),
    "inbook": ("author", "title", "booktitle|chapter|pages", "year|date"),
    "booklet": ("author|editor", "title", "year|date"),
    "collection": ("editor", "title", "year|date"),
    "incollection": ("author", "title", "booktitle", "year|date"),
    "inproceedings": ("author", "title", "booktitle", "year|date"),
    "conference": ("author", "title", "booktitle", "year|date"),
    "proceedings": ("title", "year|date"),
    "manual": ("author|editor|organization", "title", "year|date"),
    "online": ("author|editor|organization|title", "title", "year|date|urldate", "url"),
    "electronic": ("title", "url"),
    "www": ("title", "url"),
    "patent": ("author", "title", "number", "year|date"),
    "report": ("author", "title", "type", "institution|school", "year|date"),
    "techreport": ("author", "title", "institution|school", "year|date"),
    "thesis": ("author", "title", "type", "institution|school", "year|date"),
    "phdthesis": ("author", "title", "institution|school", "year|date"),
    "mastersthesis": ("author", "title", "institution|school", "year|date"),
    "unpublished": ("author", "title"),
    "dataset": ("author|editor|organization", "title", "year|date"),
    "software": ("author|editor|organization", "title", "year|date"),
    "misc": (),
}
_TEX_SPECIAL = re.compile(r"(?<!\\)[&#%]")
_VERBATIM_FIELDS = {"url", "doi", "eprint", "file", "urldate", "verba", "verbb", "verbc", "pdf", "urlraw"}
_KNOWN_FIELDS_AS_TYPES = {"set", "xdata", "reference", "periodical", "suppbook", "suppcollection", "suppperiodical",
                          "mvcollection", "mvproceedings", "mvreference", "inreference", "bookinbook", "artwork",
                          "audio", "image", "movie", "music", "performance", "video", "letter", "review", "standard"}


@dataclass
class BibEntry:
    key: str
    entry_type: str
    fields: dict[str, str]
    location: Location


@dataclass
class Bibliography:
    """Every entry of the notes' `.bib` files by key, and what was wrong with them."""

    files: list[Path]
    entries: dict[str, BibEntry] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unread: list[Path] = field(default_factory=list)  # files that could not be read: their keys are unknown

    def suggest(self, key: str) -> str | None:
        close = difflib.get_close_matches(key, list(self.entries), n=1, cutoff=0.6)
        return close[0] if close else None


def _problem(location: Location, message: str, code: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(location, "error", message, hint, code)


def _reason(block: model.ParsingFailedBlock) -> str:
    """bibtexparser's own words for why the entry stops, e.g. "Unexpected block start: `@article`"."""
    reason = getattr(block.error, "abort_reason", "") or str(block.error)
    return " ".join(reason.split()).rstrip(". ") or "the entry does not parse"


def load_bibliography(paths: list[Path]) -> Bibliography:
    """Parse each file; a syntax error, a duplicate key or a missing required field is a diagnostic at its line."""
    bibliography = Bibliography(list(paths))
    for path in paths:
        try:
            raw = path.read_bytes()
            reads.note(path, raw)
            text = raw.decode("utf-8")
        except OSError as exc:
            reads.note_unreadable(path)
            bibliography.diagnostics.append(_problem(Location(path), f"cannot read this bibliography: "
                                                     f"{exc.strerror or exc}", "NB201"))
            bibliography.unread.append(path)
            continue
        except UnicodeDecodeError as exc:  # biber reads UTF-8: say where the first other byte is
            line_start = raw.rfind(b"\n", 0, exc.start) + 1
            where = Location(path, raw.count(b"\n", 0, exc.start) + 1,
                             len(raw[line_start:exc.start].decode("utf-8", "replace")) + 1)
            bibliography.diagnostics.append(_problem(
                where, f"this bibliography is not UTF-8 (byte 0x{raw[exc.start]:02x})", "NB201",
                "save the file as UTF-8 (biber reads UTF-8; an editor's 'save with encoding' does it)"))
            bibliography.unread.append(path)
            continue
        library = bibtexparser.parse_string(text)
        for block in library.blocks:
            where = Location(path, (block.start_line or 0) + 1, 1)
            if isinstance(block, model.DuplicateBlockKeyBlock):
                first = bibliography.entries.get(block.key)
                bibliography.diagnostics.append(_problem(
                    where, f"duplicate key '{block.key}'", "NB202",
                    f"the first is at {first.location}" if first else "another entry in this file has it"))
            elif isinstance(block, model.DuplicateFieldKeyBlock) and block.ignore_error_block is not None:
                entry = block.ignore_error_block  # biber and pandoc take such an entry (with one of the values)
                repeated = ", ".join(sorted(block.duplicate_keys))
                bibliography.diagnostics.append(Diagnostic(
                    where, "warning", f"entry '{entry.key}' gives the field{'s' if ',' in repeated else ''} "
                    f"{repeated} twice: only one value is used", "remove the one you do not mean", "NB201"))
                _add_entry(bibliography, entry, where)
            elif isinstance(block, model.ParsingFailedBlock):
                bibliography.diagnostics.append(_problem(
                    where, f"this entry is not valid BibTeX: {_reason(block)}", "NB201",
                    "look for an unbalanced '{' or a missing ',' between fields"))
            elif isinstance(block, model.Entry):
                _add_entry(bibliography, block, where)
    return bibliography


def _add_entry(bibliography: Bibliography, block: model.Entry, where: Location) -> None:
    entry_type = block.entry_type.lower()
    fields = {item.key.lower(): str(item.value) for item in block.fields}
    if block.key in bibliography.entries:  # the same key in two files
        first = bibliography.entries[block.key]
        bibliography.diagnostics.append(_problem(where, f"duplicate key '{block.key}'", "NB202",
                                                 f"the first is at {first.location}"))
        return
    bibliography.entries[block.key] = BibEntry(block.key, entry_type, fields, where)
    if entry_type not in REQUIRED and entry_type not in _KNOWN_FIELDS_AS_TYPES:
        bibliography.diagnostics.append(Diagnostic(
            where, "warning", f"unknown entry type @{entry_type} (biber sets it as @misc)",
            "BibTeX's and biblatex's types: @article, @book, @inproceedings, @incollection, @misc, @online, "
            "@thesis, @report ...", "NB206"))
    for name, value in fields.items():  # TeX reads these fields as text: a bare &, # or % stops it in the .bbl
        bare = _TEX_SPECIAL.search(value) if name not in _VERBATIM_FIELDS else None
        if bare:
            bibliography.diagnostics.append(_problem(
                where, f"field '{name}' of '{block.key}' has a bare '{bare.group()}', which stops LaTeX in the "
                       "reference list", "NB201", f"write \\{bare.group()}"))


def missing_fields(bibliography: Bibliography, entry: BibEntry) -> Diagnostic | None:
    """A cited entry without a field its type requires, counting what it inherits (`crossref`, `xdata`) as biber
    does. Only cited entries are printed, so only they are checked (a shared .bib may hold stubs)."""
    required = REQUIRED.get(entry.entry_type)
    if not required:
        return None
    fields = dict(entry.fields)
    for link in ("crossref", "xdata"):
        for parent_key in filter(None, (key.strip() for key in fields.get(link, "").split(","))):
            parent = bibliography.entries.get(parent_key)
            if parent is not None:
                fields = {**parent.fields, **fields}
                if "title" in parent.fields and "booktitle" not in fields:
                    fields["booktitle"] = parent.fields["title"]  # a proceedings' title is its papers' booktitle
    missing = [need.split("|")[0] for need in required
               if not any(fields.get(name, "").strip() for name in need.split("|"))]
    if not missing:
        return None
    others = {need.split("|")[0]: " or ".join(need.split("|")[1:]) for need in required if "|" in need}
    others = {name: alternatives for name, alternatives in others.items() if name in missing}
    if len(others) == 1 and len(missing) == 1:
        hint = f"add {missing[0]} (or {others[missing[0]]})"
    else:
        hint = "add " + ", ".join(missing) + (" (or " + "; ".join(f"{alt} for {name}" for name, alt in
                                                                    others.items()) + ")" if others else "")
    return _problem(entry.location, f"@{entry.entry_type}{{{entry.key}}} lacks the required "
                    f"field{'s' if len(missing) > 1 else ''} {', '.join(missing)}", "NB203", hint)


def check_cited(bibliography: Bibliography | None, cited: list[tuple[str, Location]]) -> list[Diagnostic]:
    """A cited key the `.bib` files lack (with the closest key), or citations with no bibliography at all."""
    if not cited:
        return []
    if bibliography is None:
        key, where = cited[0]
        return [Diagnostic(where, "warning", f"citation @{key} but the notes name no bibliography: it prints as "
                           "written", "add `bibliography: references.bib` to notes.yaml (or the front matter)",
                           "NB205")]
    problems = []
    checked: set[str] = set()
    for key, where in cited:
        entry = bibliography.entries.get(key)
        if entry is not None and key not in checked:
            checked.add(key)
            if (lacking := missing_fields(bibliography, entry)) is not None:
                problems.append(lacking)
        if key not in bibliography.entries and not bibliography.unread:  # else it may be in an unread file
            close = bibliography.suggest(key)
            files = ", ".join(path.name for path in bibliography.files)
            problems.append(_problem(where, f"unknown citation key '{key}'" + (
                f"; did you mean '{close}'?" if close else ""), "NB204", f"the keys are those of {files}"))
    return problems


def check_document(files: list[Path], cited: list[tuple[str, Location]]) -> list[Diagnostic]:
    """What lint reports about a document's citations (lint/rules/citations.py): the `.bib` files' own problems,
    then each cited key they lack."""
    if not files:
        return check_cited(None, cited)
    bibliography = load_bibliography(files)
    return [*bibliography.diagnostics, *check_cited(bibliography, cited)]
