"""A new user's first hour: commands without PATH inside a project, output folders that cannot be used,
notes.yaml mistakes, messages, and the typography of the PDF (read back page by page)."""

from __future__ import annotations

import random
import re
import subprocess

from pdfcheck import pdfinfo, pdftotext, run_notes, squash, word_boxes, word_boxes_by_page, write_project


def test_commands_without_path_use_the_project_in_the_current_folder(tmp_path):
    made = run_notes("new", "My Notes", "--dir", tmp_path / "mine")
    assert made.returncode == 0, made.stderr
    project = tmp_path / "mine"
    build = run_notes("build", "--pdf", cwd=project)
    assert build.returncode == 0, build.stderr
    assert (project / "build" / "my-notes.pdf").is_file()
    assert run_notes("lint", cwd=project).returncode == 0
    doctor = run_notes("doctor", cwd=project)
    assert "notes.yaml" not in doctor.stdout.split("optional item")[-1]


def test_an_output_folder_that_cannot_be_used_is_one_error_line(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Text.\n"})
    (tmp_path / "file").write_text("x")
    for out, message in ((tmp_path / "file", "is a file, not a folder"), ("/proc/nope/out", "cannot make the output")):
        result = run_notes("build", notes / "a.md", "--pdf", "--out", out)
        assert result.returncode == 1
        assert message in result.stderr and "Traceback" not in result.stderr


def test_notes_yaml_mistakes_are_reported_at_their_line(tmp_path):
    write_project(tmp_path, {"a.md": "# A\n\nText.\n", "notes.yaml": "title: T\nsections:\n  - a.md\n  - a.md\n"})
    result = run_notes("build", tmp_path)
    assert result.returncode == 1 and "notes.yaml:4:5: error: section a.md is listed twice" in result.stderr
    (tmp_path / "notes.yaml").write_text("title: T\nresults: /etc\nsections: [a.md]\n")
    result = run_notes("build", tmp_path)
    assert result.returncode == 1 and "notes.yaml:2:10: error: results folder /etc is outside" in result.stderr
    (tmp_path / "notes.yaml").write_text("title: T\nsections: [a.md, b.md]\ntemplate: {font_size: 12pt}\n")
    (tmp_path / "b.md").write_text("\n\n")
    result = run_notes("build", tmp_path, "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr  # `12pt` is the LaTeX spelling of 12
    assert "b.md:1:1: warning: the section is empty" in result.stderr


def test_messages_say_what_kind_of_label_and_value_is_wanted(tmp_path):
    notes = write_project(tmp_path, {"a.md": "See \\ref{fig:curve}.\n"})
    result = run_notes("build", notes / "a.md")
    assert "a figure's label is fig: and its file's stem" in result.stderr
    (notes / "a.md").write_text("All: {{ notes }}.\n")
    result = run_notes("build", notes / "a.md")
    assert result.returncode == 1 and "placeholder '{{ notes }}' is a mapping, not a value" in result.stderr
    (notes / "a.md").write_text("Huge: {{ (1e308 * 10) | percent }}.\n")
    result = run_notes("build", notes / "a.md")
    assert result.returncode == 1 and "inf" in result.stderr and "not a finite number" in result.stderr


def test_a_formula_box_never_parts_from_its_caption_across_pages(tmp_path):
    body = "".join(f"Line {n} of prose before the formula.\n\n$$\nx_{{{n}}} = \\sum_i a_i\n$$\n"
                   f"The caption of formula {n}, long enough to take a line.\n\n" for n in range(1, 40))
    notes = write_project(tmp_path, {"a.md": body})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "out" / "a.pdf"
    pages = int(pdfinfo(pdf)["Pages"])
    assert pages >= 3
    for page in range(1, pages + 1):
        text = squash(subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-enc", "UTF-8", str(pdf),
                                      "-"], capture_output=True, text=True, check=True).stdout)
        for number in re.findall(r"Equation \((\d+)\)\.", text):
            # the number appears twice on the caption's page: as the formula's tag and in "Equation (n)."
            assert text.count(f"({number})") >= 2, f"page {page}: caption {number} without its formula"


def test_ascii_quotes_in_prose_become_typographic_ones_but_not_in_code(tmp_path):
    notes = write_project(tmp_path, {"a.md": "He said \"hello\" and it's 'fine'. Code: `print(\"x\", 'y')`.\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    text = squash(pdftotext(tmp_path / "out" / "a.pdf"))
    assert "He said “hello” and it’s ‘fine’." in text
    assert "print(\"x\", 'y')" in text


def test_code_line_numbers_sit_inside_the_frame(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Wordy prose line.\n\n```python\nalpha = 1\nbeta = 2\n```\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    left = {word: x_min for word, x_min, *_ in reversed(word_boxes(tmp_path / "out" / "a.pdf"))}  # first one
    assert left["1"] >= left["Wordy"]  # the number is right of the text margin, where the frame starts


def test_a_new_project_does_not_repeat_its_title_as_a_heading(tmp_path):
    run_notes("new", "Attention Notes", "--dir", tmp_path / "p")
    result = run_notes("build", tmp_path / "p", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert squash(pdftotext(tmp_path / "out" / "attention-notes.pdf")).count("Attention Notes") == 1


def test_compile_check_reports_a_double_superscript_once(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Bad $x^2^3$ here.\n"})
    result = run_notes("lint", notes / "a.md", "--compile")
    assert "NB112" in result.stdout + result.stderr and "NB191" not in result.stdout + result.stderr


def test_a_long_bare_url_breaks_instead_of_running_off_the_page(tmp_path):
    url = "https://example.org/" + "a-very-long-path-segment/" * 8 + "end"
    notes = write_project(tmp_path, {"a.md": f"See <{url}> for details.\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out", "-W")
    assert result.returncode == 0, result.stderr
    assert "Overfull" not in result.stderr and "overfull" not in result.stderr


def test_zero_width_characters_are_set_as_nothing(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Zero\u200bwidth and joiner\u200d and word\u2060joiner.\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "Zerowidth and joiner and wordjoiner." in squash(pdftotext(tmp_path / "out" / "a.pdf"))


def test_an_overfull_display_formula_is_reported_at_its_markdown_line(tmp_path):
    long = " + ".join("abcdefghijklmnopqrstuvwxyz") + " + " + " + ".join("abcdefghij")
    notes = write_project(tmp_path, {"a.md": f"Text.\n\n$$\nx = {long}\n$$\n\nMore.\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out", "-W")
    assert result.returncode == 0, result.stderr
    assert "a.md:4: warning: Overfull \\hbox" in result.stderr and "detected at line" not in result.stderr


def test_a_bad_character_in_code_is_reported_at_its_own_line(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Text.\n\n    x = 1\n    y = \"\u3c9c\"\n\n"
                                             "```python {include=\"code.py\"}\n```\n",
                                     "code.py": "a = 1\nb = \"\u3c9c\"\n"})
    result = run_notes("build", notes / "a.md")
    assert result.returncode == 1
    assert "a.md:4:10: error: character '\u3c9c'" in result.stderr  # the indented block: no fence line to skip
    (notes / "a.md").write_text("Text.\n\n```python {include=\"code.py\"}\n```\n")
    result = run_notes("build", notes / "a.md")
    assert "code.py:2:6: error: character '\u3c9c'" in result.stderr  # in the included file, not the .md


def test_a_table_of_contents_never_lists_a_heading_that_is_gone(tmp_path):
    notes = write_project(tmp_path, {"a.md": "---\ntemplate: {toc: true}\n---\n\n## Alpha part\n\nText.\n\n"
                                             "## Beta part\n\nMore.\n"})
    assert run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out").returncode == 0
    (notes / "a.md").write_text("---\ntemplate: {toc: true}\n---\n\n## Alpha part\n\nText.\n")
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "Beta part" not in pdftotext(tmp_path / "out" / "a.pdf")


def test_colons_in_prose_are_no_call_out_but_a_misspelt_call_out_is(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Prose.\n\n::::word is just text here.\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "::::word is just text here." in squash(pdftotext(tmp_path / "out" / "a.pdf"))
    (notes / "a.md").write_text("Prose.\n\n::: nte\nboxed\n:::\n")
    result = run_notes("build", notes / "a.md")
    assert result.returncode == 1 and "a.md:3:1: error: unknown call-out type 'nte'" in result.stderr


def test_every_notes_yaml_mistake_is_reported_in_one_run(tmp_path):
    write_project(tmp_path, {"a.md": "Text.\n", "notes.yaml": "title: T\nsections: [a.md]\n"
                                                             "template: {font_size: 13, paper: a9}\nlanguage: xx\n"
                                                             "titel: y\n"})
    result = run_notes("build", tmp_path)
    assert result.returncode == 1
    for where in ("notes.yaml:3:12: error: 'template.font_size'", "notes.yaml:3:27: error: 'template.paper'",
                  "notes.yaml:4:11: error: 'language'", "notes.yaml:5:1: error: unknown key 'titel'"):
        assert where in result.stderr


def _ink(pdf, word: str, tmp_path) -> list[float]:
    """Share of dark pixels in the box of each occurrence of `word` on page 1 (150 dpi, grey)."""
    found = [box for text, *box in word_boxes(pdf) if text == word]
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    data = next(tmp_path.glob("page*.pgm")).read_bytes()
    width, height = (int(v) for v in data.split(b"\n")[1].split())
    pixels = data[-width * height:]
    shares = []
    for box in found:
        x0, y0, x1, y1 = (value * 150 / 72 for value in box)
        dark = total = 0
        for row in range(int(y0), int(y1)):
            line = pixels[row * width + int(x0):row * width + int(x1)]
            dark += sum(1 for value in line if value < 128)
            total += len(line)
        shares.append(dark / max(1, total))
    return shares


def test_a_chinese_table_header_is_bold_under_xelatex(tmp_path):
    notes = write_project(tmp_path, {"a.md": "---\nlanguage: zh\ntemplate: {engine: xelatex}\n---\n\n"
                                             "| 标题 | 其他 |\n|---|---|\n| 标题 | 内容 |\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    header, body = _ink(tmp_path / "out" / "a.pdf", "标题", tmp_path)
    assert header > 1.15 * body  # the same characters, set darker in the header: bold


def test_text_under_a_formula_box_has_room_above_it(tmp_path):
    notes = write_project(tmp_path, {"a.md": "Before text.\n\n$$\nx = y\n$$\n\nAfterwords right below.\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    top = {word: (y_min, y_max) for word, _, y_min, _, y_max in word_boxes(tmp_path / "out" / "a.pdf")}
    gap = top["Afterwords"][0] - top["(1)"][1]  # from the number's baseline area to the next line's top
    assert gap >= 19, gap  # tcolorbox's default after skip left about 15 pt, the frame included


def test_a_long_address_written_in_prose_breaks_too(tmp_path):
    url = "https://example.org/" + "a-very-long-path-segment/" * 8 + "end"
    notes = write_project(tmp_path, {"a.md": f"See {url}. For details.\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out", "-W")
    assert result.returncode == 0, result.stderr
    assert "verfull" not in result.stderr
    assert "end. For details." in squash(pdftotext(tmp_path / "out" / "a.pdf"))


def test_no_paragraph_leaves_one_line_alone_at_a_page_top_or_bottom(tmp_path):
    # Forty paragraphs of varied length, every word tagged with its paragraph: with TeX's default penalties
    # (150) this text leaves single lines at page breaks (checked by building it with those penalties), since
    # on a page with little stretchable space a short page costs more than a widow or club line.
    rng = random.Random(0)
    paragraphs = [" ".join(f"w{k}x{rng.choice(['a', 'bb', 'ccc', 'dddd', 'eeeee'])}"
                           for _ in range(rng.randint(15, 110))) for k in range(40)]
    notes = write_project(tmp_path, {"a.md": "# Prose\n\n" + "\n\n".join(paragraphs) + "\n"})
    result = run_notes("build", notes / "a.md", "--pdf", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "out" / "a.pdf"
    lines: dict[int, dict[int, set[int]]] = {}  # paragraph -> page -> the heights of its lines there
    for page, boxes in enumerate(word_boxes_by_page(pdf)):
        for word, _, y_min, _, _ in boxes:
            if tag := re.match(r"w(\d+)x", word):
                lines.setdefault(int(tag.group(1)), {}).setdefault(page, set()).add(round(y_min))
    assert len(lines) == 40 and int(pdfinfo(pdf)["Pages"]) >= 4
    split = {k: pages for k, pages in lines.items() if len(pages) > 1}
    assert len(split) >= 3, "the text no longer straddles page breaks: the test proves nothing"
    for k, pages in split.items():
        first, last = min(pages), max(pages)
        assert len(pages[first]) > 1, f"paragraph {k} leaves its first line alone at the foot of page {first + 1}"
        assert len(pages[last]) > 1, f"paragraph {k} leaves its last line alone at the top of page {last + 1}"
