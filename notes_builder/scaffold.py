"""`notes new TITLE`: a notes project that builds to PDF and lints clean at once.

The project has a `notes.yaml` (title, author from git, today's date, language, sections, a small symbols
table), a first section with a captioned formula box, a code box included from a small Python file, a
`::: symbols` block, and, for `--lang zh`, Chinese prose mixed with English.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

from notes_builder.errors import UsageError
from notes_builder.tex import chars

LANGUAGES = ("en", "zh")

_NOTES_YAML = """\
# Notes project created by `notes new`. Build it from this folder: notes build . --pdf (PDF in ./build/)
title: {title}
author: {author}
date: {date}
language: {language}
output: {output}
sections:
  - 01-introduction.md
template:
  code_style: friendly
  line_numbers: true
symbols:
  - {{symbol: 'x', meaning: {meaning_x}, shape: '\\mathbb{{R}}^{{d}}'}}
  - {{symbol: 'z_k', meaning: {meaning_z}, shape: '\\mathbb{{R}}'}}
  - {{symbol: 'K', meaning: {meaning_k}, shape: ''}}
"""

_MEANINGS = {
    "en": ("input vector", "score (logit) of class k", "number of classes"),
    "zh": ("输入向量 (input vector)", "第 k 类的得分 (logit)", "类别数 (number of classes)"),
}

_CODE = '''\
"""The softmax of the first section, as plain Python."""

import math


def softmax(scores: list[float]) -> list[float]:
    """Turn scores into probabilities; subtracting the maximum keeps exp() from overflowing."""
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


print(softmax([2.0, 1.0, 0.1]))
'''

_SECTION_EN = """\
# Introduction {{#sec:intro}}

These notes were created by `notes new`. Each section is a Markdown file listed under `sections` in
`notes.yaml`; inline math such as $z_k$ is written between dollar signs.

## A formula box

A display formula followed by a label becomes a numbered formula box; the sentence on the very next
line is its caption.

$$
\\operatorname{{softmax}}(z)_k = \\frac{{e^{{z_k}}}}{{\\sum_{{j=1}}^{{K}} e^{{z_j}}}}
$$ (eq:softmax)
The softmax turns $K$ scores into probabilities that are positive and sum to one.

Equation \\eqref{{eq:softmax}} is unchanged when the same constant is added to every score, which is
why the code below subtracts the largest score first.

## A code box

Code can be written inline in a fenced block or included from a file, so the notes show exactly the
code that was run:

```python {{include="code/softmax.py"}}
```

## Symbols

::: symbols
:::
"""

_SECTION_ZH = """\
# 引言 {{#sec:intro}}

这份笔记由 `notes new` 生成。每一节是一个 Markdown 文件，按顺序列在 `notes.yaml` 的 `sections` 里；行内公式
(inline math) 写在美元符号之间，例如 $z_k$。

## 公式框 (formula box)

带标签的行间公式会排成一个带编号的公式框；紧接着的下一行文字就是它的说明 (caption)。

$$
\\operatorname{{softmax}}(z)_k = \\frac{{e^{{z_k}}}}{{\\sum_{{j=1}}^{{K}} e^{{z_j}}}}
$$ (eq:softmax)
Softmax 把 $K$ 个得分变成概率：每一项都为正，且总和为一。

给每个得分加上同一个常数，公式 \\eqref{{eq:softmax}}
的结果不变；所以下面的代码先减去最大的得分，以免 exp() 溢出 (overflow)。

## 代码框 (code box)

代码可以直接写在代码块里, 也可以从文件中引入，这样笔记里展示的正是实际运行的代码：

```python {{include="code/softmax.py"}}
```

## 符号表 (symbols)

::: symbols
:::
"""


def slugify(title: str) -> str:
    """A folder name from a title: ASCII letters and digits joined by dashes ('notes' when none)."""
    return chars.slug(title, "notes", max_length=60)


def folder_name(title: str) -> str:
    """The project folder: the ASCII slug, or for a title with no ASCII letters (`注意力机制笔记`) the title itself
    with the characters file systems refuse replaced, so a Chinese title keeps its name."""
    if slugify(title) != "notes" or not title:
        return slugify(title)
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\s]+', "-", title).strip("-.")
    return name[:60] or "notes"


def git_author() -> str:
    """`git config user.name`, or '' when git or the setting is missing."""
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        result = subprocess.run([git, "config", "user.name"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def _yaml_string(text: str) -> str:
    """A YAML single-quoted scalar (always safe: no escapes except a doubled quote)."""
    return "'" + text.replace("'", "''") + "'"


def _md_heading_text(text: str) -> str:
    """Keep the title from being read as Markdown/LaTeX markup in the first heading."""
    return re.sub(r"([\\`*_{}\[\]<>#$|~^])", r"\\\1", text)


def scaffold(title: str, lang: str = "en", directory: str | Path | None = None,
             author: str | None = None, today: dt.date | None = None) -> Path:
    """Create the notes project; return its folder. Refuses to write into a non-empty folder."""
    title = title.strip()
    if not title:
        raise UsageError("the title must not be empty")
    if lang not in LANGUAGES:
        raise UsageError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    slug = slugify(title)
    folder = Path(directory) if directory else Path.cwd() / folder_name(title)
    if folder.exists():
        if not folder.is_dir():
            raise UsageError(f"{folder} exists and is not a folder")
        if any(folder.iterdir()):
            raise UsageError(f"{folder} already exists and is not empty; refusing to overwrite it",
                             hint="choose another folder with --dir, or remove this one")
    author = git_author() if author is None else author
    today = today or dt.date.today()
    meanings = _MEANINGS[lang]
    notes_yaml = _NOTES_YAML.format(
        title=_yaml_string(title), author=_yaml_string(author),
        date=_yaml_string(today.isoformat()), language=lang, output=slug,
        meaning_x=_yaml_string(meanings[0]), meaning_z=_yaml_string(meanings[1]), meaning_k=_yaml_string(meanings[2]))
    section = (_SECTION_ZH if lang == "zh" else _SECTION_EN).format(title=_md_heading_text(title))
    files = {
        "notes.yaml": notes_yaml,
        "01-introduction.md": section,
        "code/softmax.py": _CODE,
        ".gitignore": "build/\n",
    }
    (folder / "code").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder.resolve()
