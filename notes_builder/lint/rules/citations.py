"""Citations (NB20x), document-level: the `.bib` files and the keys the notes cite, checked before biber runs.

The `.bib` files are parsed by bibtexparser (notes_builder.bibliography); findings in them are reported at the
`.bib` line, findings about a citation at the `@` of its key in the Markdown.
"""

from __future__ import annotations

from notes_builder.content import Document, MathSpan
from notes_builder.errors import Diagnostic
from notes_builder.lint.registry import Deferred, rule

# bibtexparser costs a tenth of `notes lint`'s start-up: loaded only for notes that cite or name a bibliography
_CHECK = Deferred("notes_builder.bibliography:check_document")


@rule('NB201', 'bib-syntax', 'error',
      'A `.bib` entry is not valid BibTeX.',
      'biber and BibTeX skip an entry they cannot parse (an unbalanced brace, a missing comma between fields), '
      'and every citation of it prints as its bare key.',
      '@book{key, title = {Unbalanced {brace}, year = 2000}',
      '@book{key, title = {Balanced {brace}}, year = 2000}', scope="document")
@rule('NB202', 'bib-duplicate-key', 'error',
      'Two `.bib` entries have the same key.',
      'biber keeps the first and warns; which work a citation shows then depends on the order of the files.',
      '@article{lstm, ...}  @article{lstm, ...}',
      '@article{hochreiter1997, ...}  @article{gers2000, ...}', scope="document")
@rule('NB203', 'bib-missing-field', 'error',
      'A `.bib` entry lacks a field its type requires.',
      "The reference list would print the entry without it (an article without its journal or year). The "
      "required fields are biblatex's, with BibTeX's names accepted (journal for journaltitle, year for date).",
      '@article{key, author = {A. Author}, title = {T}, year = 2001}',
      '@article{key, author = {A. Author}, title = {T}, journal = {J}, year = 2001}', scope="document")
@rule('NB204', 'unknown-citation', 'error',
      'A citation names a key no `.bib` file has.',
      'biber prints the bare key in bold where the citation should be, and the work is missing from the list.',
      'as shown by [@hochreiter97]',
      'as shown by [@hochreiter1997]', scope="document")
@rule('NB205', 'citation-without-bibliography', 'warning',
      'The notes cite, but name no bibliography.',
      'Without a `.bib` file nothing can be looked up, so the citation prints as written (as pandoc without '
      '--citeproc does): add `bibliography:` to notes.yaml or the front matter.',
      '[@hochreiter1997] with no bibliography: key',
      'bibliography: references.bib', scope="document")
@rule('NB206', 'bib-unknown-type', 'warning',
      'A `.bib` entry has a type neither BibTeX nor biblatex knows.',
      'biber sets an unknown type as @misc, which drops fields such as the journal.',
      '@journalpaper{key, ...}',
      '@article{key, ...}', scope="document")
def citations(document: Document, table: list[MathSpan]) -> list[Diagnostic]:
    """The `.bib` files' own problems, then each cited key they lack."""
    if not document.config.bibliography and not document.citations:
        return []
    return _CHECK(document.config.bibliography, [(item.key, where) for item, where in document.citations])
