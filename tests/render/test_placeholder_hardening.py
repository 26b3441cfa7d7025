"""Placeholders are data lookups in a sandbox, and templates are sandboxed too: an adversarial tester's
findings (memory blow-ups, tracebacks, methods printed as values, `**` read as bold, titles left unfilled,
shell commands from a template folder), each pinned here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pdfcheck import run_notes, write_project

from notes_builder.content import load_document
from notes_builder.errors import PlaceholderError
from notes_builder.render import render_document

YAML = "title: Hard T\noutput: notes\nsections: [a.md]\ntraining:\n  epochs: 7\n"
METRICS = {"acc": 0.9876, "n": 48, "count": 12345, "items": 3, "values": [1, 2], "long": "y" * 20_000,
           "nested": {"k": 1}, "loss": float("nan"), "big": float("inf")}  # json writes NaN and Infinity


def render(folder: Path, body: str, metrics: dict | None = METRICS, yaml: str = YAML) -> str:
    files = {"notes.yaml": yaml, "a.md": body}
    if metrics is not None:
        files["results/metrics.json"] = json.dumps(metrics)
    write_project(folder, files)
    return render_document(load_document(folder)).tex


def error(folder: Path, body: str, metrics: dict | None = METRICS) -> PlaceholderError:
    with pytest.raises(PlaceholderError) as info:
        render(folder, body, metrics)
    return info.value


# -- 1. nothing that builds big strings or numbers --------------------------------------------------

@pytest.mark.parametrize(("expression", "fragment"), [
    ("'x' * 100000", "numbers only"),
    ("[0] * 100000", "numbers only"),
    ("'%99999d' % 1", "numbers only"),
    ("10 ** 100000", "too large"),
    ("9 ** 999999999", "too large"),
    ("'x'|center(100000)", "filter 'center' is not allowed"),
    ("notes.title|center(2**62)", "filter 'center' is not allowed"),
    ("notes.title|indent(100000, true)", "filter 'indent' is not allowed"),
    ("metrics.acc|fixed(100000)", "digits"),
    ("metrics.acc|percent(100000)", "digits"),
    ("metrics.acc|round(2)", "filter 'round' is not allowed"),
    ("metrics.values|map(attribute='x')", "filter 'map' is not allowed"),
    ("metrics.long", "more than 10,000 characters"),
])
def test_big_values_are_refused_at_the_placeholder(tmp_path: Path, expression: str, fragment: str):
    exc = error(tmp_path, f"Text {{{{ {expression} }}}} end.\n")
    assert str(exc.location).endswith("a.md:1:6"), exc
    assert fragment in exc.message, exc.message


def test_the_three_filters_and_arithmetic_still_work(tmp_path: Path):
    body = ("A {{ metrics.acc | percent(1) }} B {{ metrics.acc | fixed(3) }} C {{ metrics.count | thousands }} "
            "D {{ 4 * (metrics.n * 9 + metrics.n ** 2 + 2 * metrics.n) }} E {{ metrics.n % 5 }} "
            "I {{ 'yes' if metrics.n > 3 else 'no' }} J {{ {'a': 'dict lookup'}['a'] }} K {{ 2 ** -1 }} "
            "L {{ metrics.nested.k }} M {{ metrics['acc'] }} N {{ notes.training.epochs }} O {{ metrics.loss }}\n")
    tex = render(tmp_path, body)
    assert ("A 98.8\\,\\% B 0.988 C 12,345 D 11328 E 3 I yes J dict lookup K 0.5 "
            "L 1 M 0.9876 N 7 O nan") in tex


# -- 2. every failure is an error at the placeholder, never a traceback ------------------------------

@pytest.mark.parametrize(("expression", "fragment"), [
    ("1/0", "failed: division by zero"),
    ("metrics.n // 0", "failed: "),
    ("metrics.big|thousands", "failed: cannot convert float infinity to integer"),
    ("metrics.loss|thousands", "failed: cannot convert float NaN to integer"),
    ("'nan'|float|thousands", "filter 'float' is not allowed"),
    ("2.5 ** 10000", "failed: "),
])
def test_evaluation_errors_are_placeholder_errors(tmp_path: Path, expression: str, fragment: str):
    exc = error(tmp_path, f"Text {{{{ {expression} }}}} end.\n")
    assert str(exc.location).endswith("a.md:1:6"), exc
    assert f"placeholder '{{{{ {expression} }}}}'" in exc.message and fragment in exc.message, exc.message


def test_division_by_zero_in_a_real_build_is_a_located_error(tmp_path: Path):
    write_project(tmp_path, {"notes.yaml": YAML, "a.md": "One.\n\nTwo {{ 1/0 }} three.\n"})
    result = run_notes("build", tmp_path, "--out", tmp_path / "out")
    assert result.returncode == 1, result.stderr
    assert "a.md:3:5: error: placeholder '{{ 1/0 }}' failed: division by zero" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# -- 3. lookups give data, not methods ---------------------------------------------------------------

@pytest.mark.parametrize("expression", ["metrics.values.count", "metrics.nested.items", "metrics['keys']",
                                        "notes.title.upper", "notes.training.get"])
def test_a_method_is_not_a_value(tmp_path: Path, expression: str):
    exc = error(tmp_path, f"X {{{{ {expression} }}}}.\n")
    assert "look up data, not methods" in exc.message, exc.message
    assert "built-in method" not in exc.message


def test_a_key_named_like_a_method_is_the_key(tmp_path: Path):
    """`metrics.items` is the results' own 'items' number, not dict.items."""
    assert "X 3 and 3." in render(tmp_path, "X {{ metrics.items }} and {{ metrics['items'] }}.\n")


# -- 4. `**` and `__` inside a placeholder are Markdown bold ------------------------------------------

def test_power_without_spaces_names_the_placeholder_and_the_markdown_reason(tmp_path: Path):
    exc = error(tmp_path, "Intro.\n\nThe value {{ 9**9**9 }} here.\n")
    assert str(exc.location).endswith("a.md:3:11"), exc
    assert "{{ 9**9**9 }}" in exc.message and "never closed" not in exc.message, exc.message
    assert "bold" in (exc.hint or "") and "a ** b" in (exc.hint or ""), exc.hint


def test_underscore_attribute_split_by_markdown_reports_the_sandbox(tmp_path: Path):
    exc = error(tmp_path, "See {{ notes.title.__class__ }} now.\n")
    assert str(exc.location).endswith("a.md:1:5"), exc
    assert "{{ notes.title.__class__ }}" in exc.message and "not allowed" in exc.message, exc.message
    assert "__class__" in exc.message
    assert "bold" in (exc.hint or ""), exc.hint


def test_unclosed_placeholder_without_markup_keeps_its_message(tmp_path: Path):
    exc = error(tmp_path, "Open {{ metrics.acc and no end.\n")
    assert "placeholder '{{' is never closed" in exc.message


# -- 5. call-out and code-box titles fill their placeholders -----------------------------------------

def test_callout_and_code_titles_fill_placeholders(tmp_path: Path):
    body = ("::: note Accuracy {{ metrics.acc | percent(1) }} & more\nBody.\n:::\n\n"
            "```python {title=\"Run of {{ notes.title }}_1\"}\nx = 1\n```\n")
    tex = render(tmp_path, body)
    assert "\\begin{nbcallout}{Accuracy 98.8\\,\\% \\& more}" in tex, tex
    assert "\\begin{nbcode}{Python $\\cdot$ Run of Hard T\\_1}" in tex, tex


def test_placeholder_errors_in_titles_point_at_the_title(tmp_path: Path):
    exc = error(tmp_path, "Intro.\n\n::: tip Hello {{ metrics.acu }}\nBody.\n:::\n")
    assert str(exc.location).endswith("a.md:3:15"), exc
    assert "did you mean metrics.acc" in (exc.hint or "")
    exc = error(tmp_path, "Intro.\n\n```python {title=\"T {{ 1/0 }}\"}\nx = 1\n```\n")
    assert str(exc.location).endswith("a.md:3:21"), exc
    assert "division by zero" in exc.message


# -- 6. templates run in the sandbox, with plain data ---------------------------------------------------

def _template_project(folder: Path, template: str) -> Path:
    shipped = (Path(__file__).resolve().parents[2] / "templates" / "notes.tex.j2").read_text()
    return write_project(folder, {
        "notes.yaml": "title: T\noutput: notes\nsections: [a.md]\ntemplate:\n  directory: tpl\n",
        "a.md": "# Heading\n\nText.\n",
        "tpl/notes.tex.j2": shipped.replace("\\begin{document}", template + "\n\\begin{document}", 1),
    })


@pytest.mark.parametrize("attack", [
    "((( cycler.__init__.__globals__.os.popen('touch {proof}').read() )))",
    "((( lipsum.__globals__['os'].system('touch {proof}') )))",
    "((( self.__init__.__globals__['__builtins__']['open']('{proof}', 'w') )))",
    "((* for label, ref in references *))((( ref.location.path.with_name('{name}').write_text('x') )))"
    "((* endfor *))",
])
def test_a_template_folder_cannot_run_commands(tmp_path: Path, attack: str):
    proof = tmp_path / "notes" / "ran"
    folder = _template_project(tmp_path / "notes", attack.format(proof=proof, name=proof.name))
    result = run_notes("build", folder, "--out", tmp_path / "out", env={"XDG_CACHE_HOME": str(tmp_path / "c")})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "template error" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not proof.exists()


def test_templates_get_plain_data(tmp_path: Path):
    folder = _template_project(tmp_path / "notes", "%KEYS ((( options.keys() | list | sort | join(',') ))) "
                                                   "((( references | map('last') | map('list') | list )))")
    result = run_notes("build", folder, "--out", tmp_path / "out", env={"XDG_CACHE_HOME": str(tmp_path / "c")})
    assert result.returncode == 0, result.stderr
    tex = (tmp_path / "out" / "notes.tex").read_text()
    assert "%KEYS cjk_font,cjk_main_font,code_style,directory,engine,font_size,line_numbers,packages,paper,toc " \
           "[['number']]" in tex, tex
