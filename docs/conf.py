"""Sphinx configuration for the orderhub documentation (MyST Markdown, furo theme)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from orderhub import FULFILLMENT_STATES, ORDER_STATES

project = "orderhub"
author = "orderhub developers"
copyright = "2026, orderhub developers"

try:
    release = metadata.version("orderhub")
except metadata.PackageNotFoundError:  # building from a checkout that is not installed
    release = "0.1.0.dev0"
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "myst_parser",
    "sphinxcontrib.mermaid",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "conftest.py"]

# -- autodoc / napoleon -------------------------------------------------------------------
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

# -- MyST -----------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# -- HTML -----------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"orderhub {release}"

# The build must stay offline (no intersphinx) and warning-free (it runs with -W).
nitpicky = False

# -- diagrams drawn from the state tables ------------------------------------------------
# The pages include these generated files, so a diagram can never disagree with the code.
_GENERATED = Path(__file__).parent / "_generated"
_GENERATED.mkdir(exist_ok=True)
_TABLES = {"order-states": ORDER_STATES, "fulfillment-states": FULFILLMENT_STATES}
for _name, _table in _TABLES.items():
    (_GENERATED / f"{_name}.md").write_text(
        "```{mermaid}\n" + _table.to_mermaid() + "\n```\n", encoding="utf-8"
    )
