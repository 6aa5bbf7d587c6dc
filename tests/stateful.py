"""Model-based tests (Hypothesis stateful) run the same way everywhere: no deadline (the
database is real), no example database (each run explores afresh), and the given size."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test


def run_against_model(
    machine: type[RuleBasedStateMachine], examples: int, steps: int, *more_checks: HealthCheck
) -> None:
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, *more_checks],
            database=None,
        ),
    )
