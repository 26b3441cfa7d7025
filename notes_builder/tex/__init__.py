"""The TeX base layer below config, lint and render: how TeX source is read and what notes may put in it.

- `tokens`: the one tokenizer of TeX source (commands, comments, braces) and the one brace matcher;
- `positions`: character offsets to (line, column);
- `safety`: the one safety policy (forbidden primitives and definers, balanced braces, placeholders in math),
  returning diagnostics;
- `chars`: the Unicode -> LaTeX table, CJK ranges, escaping of prose, code and URLs, and names (slugs);
- `macros`: the database of known LaTeX macros and their arguments.

Nothing here imports config, content, lint, render or build: they all read TeX through this package.
"""
