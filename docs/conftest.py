"""Run the code in the documentation as tests, with Sybil.

Every ```` ```python ```` block (and ```` ```{code-block} python ````) runs as a script, in one
namespace per page; a block that starts with ``>>>`` runs as a doctest instead, and so does
every ```` ```pycon ```` block.
"""

from __future__ import annotations

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

from sybil import Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.myst import CodeBlockParser, PythonCodeBlockParser, SkipParser

_FLAGS = ELLIPSIS | NORMALIZE_WHITESPACE

# The Sphinx configuration and the built pages are not tests.
collect_ignore = ["conf.py", "_build"]


class _PyconParser(PythonCodeBlockParser):
    """Doctest examples in ```` ```pycon ```` fences (the console-session lexer)."""

    def __init__(self, doctest_optionflags: int = 0) -> None:
        super().__init__(doctest_optionflags=doctest_optionflags)
        self.codeblock_parser = CodeBlockParser("pycon", PythonEvaluator())


pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=_FLAGS),
        _PyconParser(doctest_optionflags=_FLAGS),
        SkipParser(),
    ],
    patterns=["*.md"],
    excludes=["_build/*"],
).pytest()
