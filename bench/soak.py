"""Soak the hub: run HubMachine, seeded, for a given number of steps with faults on.

Runs batches of state-machine examples (hypothesis, seeded per batch from ``--seed``) until
``--steps`` rule steps have run, the adapters' faults switched on from the first step.
Prints steps run, faults injected (Σ ``FaultPlan.injected``), violations found (a failing
run is caught and printed with its batch seed, which replays it) and steps per second.

Usage: python bench/soak.py [--steps N] [--seed S] [--step-count K]
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import target
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from orderhub.testing._machine import HubMachine

TOTALS = {"steps": 0, "faults": 0, "examples": 0}


class SoakMachine(HubMachine):
    """HubMachine with faults on from the start, counting its steps and injected faults."""

    def __init__(self) -> None:
        super().__init__()
        self.faults.enabled = True
        self.invariant_checks = 0
        TOTALS["examples"] += 1

    @invariant()
    def count_step(self) -> None:
        """Invariants run once before the first step and once after every step."""
        self.invariant_checks += 1

    def teardown(self) -> None:
        """Add this example's steps and faults to the totals."""
        TOTALS["steps"] += max(self.invariant_checks - 1, 0)
        TOTALS["faults"] += self.faults.injected
        super().teardown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--step-count", type=int, default=50, help="steps per example")
    parser.add_argument("--batch", type=int, default=200, help="examples per seeded batch")
    args = parser.parse_args()

    run_settings = settings(
        derandomize=False,
        database=None,
        max_examples=args.batch,
        stateful_step_count=args.step_count,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    violations = 0
    batch = 0
    t0 = time.perf_counter()
    while TOTALS["steps"] < args.steps:
        batch_seed = args.seed + batch
        seed(batch_seed)(SoakMachine)
        try:
            run_state_machine_as_test(SoakMachine, settings=run_settings)
        except Exception:
            violations += 1
            print(
                f"VIOLATION in batch {batch} (replay: --seed {batch_seed}, batch size "
                f"{args.batch}, step count {args.step_count}):"
            )
            traceback.print_exc()
            break
        batch += 1
        done = TOTALS["steps"]
        if batch % 10 == 0:
            rate = done / (time.perf_counter() - t0)
            print(f"  … {done} steps, {TOTALS['faults']} faults, {rate:.0f} steps/s", flush=True)
    elapsed = time.perf_counter() - t0
    steps = TOTALS["steps"]
    print(f"seed: {args.seed} (batch b runs with seed {args.seed}+b), batches: {batch}")
    print(
        f"examples: {TOTALS['examples']}, steps run: {steps}, faults injected: {TOTALS['faults']}"
    )
    print(f"violations found: {violations}")
    print(f"time: {elapsed:.1f} s, {steps / elapsed:.0f} steps/s")
    target("soak_violations", str(violations), "0", violations == 0)
    return 0 if violations == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
