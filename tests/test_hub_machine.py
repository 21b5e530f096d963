"""The whole hub under HubMachine: every rule, every invariant, faults switched on and off.

Under the CI profile (``CI`` set) it runs derandomised, 500 examples × 50 steps."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from orderhub.testing._machine import HubMachine

HubMachine.TestCase.settings = settings(
    max_examples=500 if os.environ.get("CI") else 50,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestHubMachine = HubMachine.TestCase
