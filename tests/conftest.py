"""Test-suite configuration: hypothesis profiles.

``ci`` is loaded when the ``CI`` environment variable is set (to anything but the empty
string): derandomized, so that a run is reproducible, with no deadline (CI machines are slow
and noisy) and a reproduction blob printed for every failure. ``dev`` is the default
elsewhere: random, with the example database, and no deadline either.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, database=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
