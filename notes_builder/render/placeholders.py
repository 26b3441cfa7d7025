"""Placeholders: `{{ expression }}` in prose, evaluated in a Jinja sandbox over the run's results and the notes'
settings. Notes are data, not programs: the sandbox refuses calls, underscore attributes and the operators that build
big values. Part of the resolve stage: the model holds a placeholder's value as text."""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
from typing import Any

import jinja2
from jinja2.environment import TemplateExpression
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from notes_builder import plugins
from notes_builder.config import NotesConfig, read_text
from notes_builder.content import SourceFile
from notes_builder.errors import ContentError, Location, PlaceholderError
from notes_builder.render.sandbox import BoundedOperators

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
# What markdown-it may read as bold or italic inside `{{ ... }}`: `9**9**9`, `x.__class__`, `2*n*3`.
_EMPHASIS_MARK = re.compile(r"\*|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


KNOWN_NAMES_SHOWN = 30  # an unknown metric's hint lists this many names (a results file may have hundreds)
MAX_PLACEHOLDER_CHARS = 10_000  # one placeholder's text: a number or a phrase, never a page
MAX_DIGITS = 20  # percent(n) / fixed(n): a float has about 17 significant digits


def _digits(digits: Any) -> int:
    """The decimals of percent/fixed, bounded: `fixed(1000000000)` would print a gigabyte of zeros."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be a whole number from 0 to {MAX_DIGITS}, not {digits!r}")
    return digits


def _finite(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _spread(value: Any) -> tuple[Any, Any]:
    """A summary over runs (`{mean, std}`, e.g. metrics.test_accuracy over seeds) is written "mean ± std"; std
    is None when there was one run, and then only the mean is written."""
    if isinstance(value, dict) and "mean" in value:
        return value["mean"], value.get("std")
    return value, None


def _percent(value: Any, digits: int = 1) -> str:
    mean, std = _spread(value)
    shown = f"{_finite(mean) * 100:.{_digits(digits)}f}"
    if std is not None:
        shown += f" ± {_finite(std) * 100:.{digits}f}"
    return shown + "\u202f%"  # thin space, escaped to \\, later


def _fixed(value: Any, digits: int = 2) -> str:
    mean, std = _spread(value)
    shown = f"{_finite(mean):.{_digits(digits)}f}"
    return shown + (f" ± {_finite(std):.{digits}f}" if std is not None else "")


def _thousands(value: Any) -> str:
    return f"{int(value):,}"


class _PlaceholderSandbox(BoundedOperators, ImmutableSandboxedEnvironment):
    """Placeholders are data lookups plus filters. Notes are data, not programs: the sandbox refuses
    underscore attributes, and this class refuses every call, method values, and the operators that build
    big values, so `{{ ... }}` cannot reach Python nor exhaust the machine."""

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        raise SecurityError("placeholders cannot call functions")

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:  # `metrics.items` is the key 'items', not dict.items
            return obj[attribute]
        return self._data(super().getattr(obj, attribute), attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._data(super().getitem(obj, argument), argument)

    @staticmethod
    def _data(value: Any, name: Any) -> Any:
        """A method would print as `<built-in method items of dict object at 0x...>`."""
        if callable(value) and not isinstance(value, jinja2.Undefined):
            raise SecurityError(f"'{name}' is a method: placeholders cannot call functions; they look up data, "
                                "not methods")
        return value


_SANDBOX_HINT = ("a placeholder looks a value up (metrics.NAME, notes.title), may compute with numbers and may "
                 "apply the filters percent, fixed and thousands (percent and fixed write a {mean, std} summary "
                 "as mean ± std)")


def _shown(expression: str) -> str:
    """`{{ expression }}` for a message: on one line, and shortened, since it is user input of any length."""
    text = " ".join(expression.split())
    return "{{ " + (text if len(text) <= 80 else text[:77] + "...") + " }}"


def placeholder_environment() -> jinja2.Environment:
    # optimized=False: no constant folding, which would compute `'x' * 10**9` while compiling and write
    # `'nan'|float` into the generated code as the undefined name `nan`.
    env = _PlaceholderSandbox(undefined=jinja2.StrictUndefined, autoescape=False, optimized=False)
    env.globals.clear()  # no range, lipsum, cycler, joiner, namespace, dict
    # The README's three filters only: Jinja's own (center, indent, format, map...) build big text or reach
    # attributes by name.
    env.filters = {"percent": _percent, "fixed": _fixed, "thousands": _thousands}
    return env


@functools.cache
def _shared_environment() -> jinja2.Environment:
    return placeholder_environment()


@functools.lru_cache(maxsize=4096)
def _compiled(expression: str) -> TemplateExpression:
    """An expression compiled once per process: Jinja's compiler is most of a placeholder's cost, and `notes watch`
    fills the same placeholders on every rebuild. A failed compile raises each time (lru_cache keeps no errors)."""
    return _shared_environment().compile_expression(expression, undefined_to_none=False)


def placeholder_values(config: NotesConfig) -> dict[str, Any]:
    """What `notes.` offers placeholders: plain values only, never the config object and its paths."""
    return {"title": config.title, "author": config.author, "date": config.date, "language": config.language,
            **plugins.placeholder_values(config)}


def load_metrics(config: NotesConfig) -> tuple[dict | None, str | None]:
    """The run's numbers for placeholders: results/metrics.json, or why it is not there."""
    path = config.results_dir / "metrics.json"
    if not path.is_file():
        return None, f"{path} does not exist"
    try:
        return json.loads(read_text(path)), None
    except json.JSONDecodeError as exc:
        raise ContentError(f"results file is not valid JSON: {exc.msg}", Location(path, exc.lineno, exc.colno),
                           hint="rerun `notes train-figures` to rewrite it") from None


class Placeholders:
    """Evaluates `{{ expression }}` against the results (`metrics.`) and the notes' settings (`notes.`)."""

    def __init__(self, metrics: dict | None, results_error: str | None, notes_values: dict[str, Any]):
        self.metrics = metrics
        self.results_error = results_error
        self.notes_values = notes_values

    def value(self, expression: str, location: Location) -> str:
        """The text of one `{{ expression }}`. The expression and the results are both user input, so whatever
        goes wrong is the user's error at `location`, never a traceback."""
        shown = _shown(expression)
        if self.metrics is None and "metrics" in expression:
            raise PlaceholderError(f"placeholder '{shown}' needs results, but {self.results_error}",
                                   location, hint="run `notes train-figures` to record the results")
        try:
            result = _compiled(expression)(metrics=self.metrics or {}, notes=self.notes_values)
            if isinstance(result, dict | list | tuple):
                raise PlaceholderError(f"placeholder '{shown}' is a {'mapping' if isinstance(result, dict) else 'list'}"
                                       ", not a value", location, hint=_SANDBOX_HINT + "; name one entry, e.g. "
                                       "notes.title or metrics.test_accuracy")
            value = str(result)
        except PlaceholderError:
            raise
        except SecurityError as exc:
            raise PlaceholderError(f"placeholder '{shown}' is not allowed: {exc}", location,
                                   hint=_SANDBOX_HINT) from None
        except jinja2.UndefinedError as exc:
            raise PlaceholderError(f"unknown placeholder '{shown}': {exc.message}", location,
                                   hint=self._known_names_hint(expression)) from None
        except jinja2.TemplateError as exc:
            unknown = re.match(r"No (filter|test) named '([^']*)'", exc.message or "")
            if unknown:  # Jinja's other filters are left out on purpose: center, indent, format build big text
                raise PlaceholderError(f"placeholder '{shown}': {unknown[1]} '{unknown[2]}' is not allowed in "
                                       "placeholders", location, hint=_SANDBOX_HINT) from None
            raise PlaceholderError(f"invalid placeholder '{shown}': {exc}", location) from None
        except Exception as exc:  # ZeroDivisionError, OverflowError, MemoryError, RecursionError...
            raise PlaceholderError(f"placeholder '{shown}' failed: {str(exc) or type(exc).__name__}",
                                   location) from None
        if len(value) > MAX_PLACEHOLDER_CHARS:
            raise PlaceholderError(f"placeholder '{shown}' gives {len(value):,} characters, more than "
                                   f"{MAX_PLACEHOLDER_CHARS:,} characters", location,
                                   hint="a placeholder quotes a number or a phrase from the results")
        return value

    def _known_names_hint(self, expression: str) -> str | None:
        """Did-you-mean for an unknown `notes.NAME` or the first unknown `metrics.NAME`, else every name there is."""
        notes = self.notes_values
        asked_notes = re.search(r"\bnotes\.(\w+)", expression)
        if asked_notes and asked_notes.group(1) not in notes:
            close = difflib.get_close_matches(asked_notes.group(1), list(notes), n=1)
            return f"did you mean notes.{close[0]}?" if close else "notes offers " + ", ".join(
                f"notes.{name}" for name in notes)
        names = sorted(self.metrics or {})
        if not names:
            return None
        asked = re.search(r"metrics\.(\w+)", expression)
        close = difflib.get_close_matches(asked.group(1), names, n=3) if asked else []
        if close:
            return "did you mean " + " or ".join(f"metrics.{name}" for name in close) + "?"
        shown = ", ".join(names[:KNOWN_NAMES_SHOWN]) + (", ..." if len(names) > KNOWN_NAMES_SHOWN else "")
        return f"known metrics ({len(names)}): {shown}"

    def unclosed(self, source: SourceFile, location: Location) -> PlaceholderError:
        """The error for a `{{` whose text has no `}}`. markdown-it reads `**`, `__` and `*` inside
        `{{ 9**9**9 }}` or `{{ x.__class__ }}` as bold or italic and splits the text there, so the placeholder
        is looked for as typed in the source: its own error, or the Markdown reason, says what to change."""
        typed = typed_placeholder(source, location)
        if typed is not None and _EMPHASIS_MARK.search(typed):
            note = ("Markdown reads '**', '__' and '*' inside a placeholder as bold or italic markup: put spaces "
                    "around the operator (`a ** b`, `a * b`)")
            try:
                self.value(typed, location)
            except PlaceholderError as exc:
                return PlaceholderError(exc.message, location, hint=f"{exc.hint}; {note}" if exc.hint else note)
            return PlaceholderError(f"placeholder '{_shown(typed)}' is split by Markdown's bold or italic markup",
                                    location, hint=note)
        return PlaceholderError("placeholder '{{' is never closed with '}}'", location,
                                hint="close it in the same paragraph; in a table cell a '|' ends the cell, "
                                     "so write a filter as '\\|'")


def typed_placeholder(source: SourceFile, location: Location) -> str | None:
    """The expression of the placeholder opened at `location`, as typed up to its `}}` in the paragraph."""
    line_start = source.line_offset(location.line - 1)
    start = line_start + max(location.column - 1, 0)
    if not source.text.startswith("{{", start):  # a column off inside a list or a quote: the line's first
        start = source.text.find("{{", line_start, source.line_offset(location.line))
        if start < 0:
            return None
    close = source.text.find("}}", start + 2, source.paragraph(start)[1])
    return None if close < 0 else source.text[start + 2:close].replace("\\|", "|").strip()

