"""The README's code runs as shown."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def test_readme_python_blocks_run() -> None:
    """Every python block of the README runs without error, in order, in one namespace."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    namespace: dict[str, object] = {}

    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)

    assert blocks


def test_readme_shows_the_two_newcomer_commands() -> None:
    """The README gives the demo command and the test command that CI runs."""
    text = README.read_text(encoding="utf-8")

    assert "python examples/demo.py" in text
    assert "pip install -e '.[test]' && python -m pytest" in text
