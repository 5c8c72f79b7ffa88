"""Fuzzing documents (issue 18): mutated templates never crash, hang or blow up memory.

Hypothesis draws the template and every choice of the mutators in ``tests/fuzzing`` (types,
deletions, structure, expressions, numbers, encodings); a failure prints the case's
mutations, which are its reproducer. Each case runs the real load -> validate -> compile -> save
pipeline in a worker process with a time and memory limit. ``bench/fuzz.py`` runs the same
mutators at 10,000 seeded cases. The last tests check the harness itself: that it can see a
crash, a hang and a memory blow-up at all, and stays in step after a hang.
"""
from __future__ import annotations

import time

import pytest
from fuzzing import (ACCEPTED, CLEAN, CRASH, FAMILIES, HANG, MEMORY, Outcome, Sandbox,
                     build_case, make_case, templates)
from fuzzing.pipeline import classify
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from studio.core.templates import template_path

# Far above a normal case: a fresh worker pays torch's first-call costs (an LSTM on the meta
# device is slow cold) and the machine may be shared; bench/fuzz.py warms its workers.
CASE_SECONDS = 60
MEMORY_MB = 2048  # above what any template's paper preset allocates (VGG-16: 0.6 GB)
EXAMPLES = 40  # per family: 240 mutated documents in all


class DrawPick:
    """The mutators' chooser backed by hypothesis. Documents stay small (no thousand-node
    chains, paper presets or megabyte strings): bench/fuzz.py covers those."""

    large = False

    def __init__(self, data):
        self.data = data

    def choice(self, options):
        return self.data.draw(st.sampled_from(list(options)))

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))


@pytest.fixture(scope="module")
def sandbox():
    # One worker for the module (recycled only when a case kills or hangs it): it pays the
    # first-call costs of torch once.
    with Sandbox(jobs=1, timeout=CASE_SECONDS, memory_mb=MEMORY_MB, recycle=10_000) as box:
        yield box


def _check(box: Sandbox, case) -> None:
    outcome = box.run(case.data, case.training)
    assert not outcome.failed, (f"{outcome.kind}: {outcome.signature}: {outcome.message}\n"
                                f"case: {case.label()}")


@pytest.mark.parametrize("family", FAMILIES)
# No shrinking: a hang costs CASE_SECONDS per attempt, and the case label is the reproducer.
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_templates_end_cleanly(sandbox, family, data):
    _check(sandbox, build_case(DrawPick(data), families=(family,), most=2))


@pytest.mark.parametrize("name", templates())
def test_every_template_survives_a_seeded_mutation(sandbox, name):
    """Hypothesis may favour some templates; this gives each one a case of its own."""
    _check(sandbox, make_case(seed=18, index=templates().index(name), large=False))


# -- the harness can see what it is meant to find ----------------------------------------------

def test_unmodified_templates_are_accepted(sandbox):
    for name in ("lenet5", "resnet18", "dcgan"):
        outcome = sandbox.run(template_path(name).read_bytes(), True)
        assert outcome.kind == ACCEPTED, (name, outcome)


def test_a_refused_document_is_clean_and_says_why(sandbox):
    outcome = sandbox.run(b'{"format": "netstudio", "schema_version": 2, "networks": []}', False)
    assert outcome.kind == CLEAN
    assert "networks" in outcome.message and "expected an object" in outcome.message


def test_cases_are_reproducible_from_seed_and_index():
    assert make_case(3, 41).data == make_case(3, 41).data
    assert make_case(3, 41).data != make_case(4, 41).data


def _raises_key_error(data, training):
    return {}["missing"]  # an exception outside the project's error types


def _sleeps_on_request(data, training):
    if data == b"sleep":
        time.sleep(60)
    return Outcome(ACCEPTED, message=data.decode())


def _allocates(data, training):
    return bytearray(8 * 2 ** 30)  # 8 GiB, far over the 256 MiB budget below


def test_harness_reports_crash_hang_and_memory():
    try:
        _raises_key_error(b"", False)
    except KeyError as e:
        crash = classify(e, "load")
    assert crash.kind == CRASH and crash.signature.startswith("KeyError in ")
    with Sandbox(timeout=1.0, memory_mb=256, target=_sleeps_on_request) as box:
        started = time.monotonic()
        hang = box.run(b"sleep", False)
        assert hang.kind == HANG and "_sleeps_on_request" in hang.signature
        assert time.monotonic() - started < 10
        after = box.run(b"next", False)  # the hung worker was replaced, not reused
        assert (after.kind, after.message) == (ACCEPTED, "next")
    with Sandbox(timeout=30.0, memory_mb=256, target=_allocates) as box:
        memory = box.run(b"", False)
    assert memory.kind == MEMORY, memory
