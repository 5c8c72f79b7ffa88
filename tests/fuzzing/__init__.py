"""Fuzzing NetStudio documents (issue 18): seeded mutations of every template, the
load -> validate -> compile -> save pipeline, and worker processes with time and memory limits.

Shared by ``tests/core/test_fuzz.py`` (hypothesis, a few hundred cases) and ``bench/fuzz.py``
(10,000 seeded cases and the CLI).
"""
from .cases import Case, RandomPick, build_case, make_case, templates
from .mutations import FAMILIES, MUTATIONS
from .pipeline import ACCEPTED, CLEAN, CRASH, FAILURES, HANG, KINDS, MEMORY, Outcome, run_document
from .sandbox import Sandbox

__all__ = ["ACCEPTED", "CLEAN", "CRASH", "FAILURES", "FAMILIES", "HANG", "KINDS", "MEMORY",
           "MUTATIONS", "Case", "Outcome", "RandomPick", "Sandbox", "build_case", "make_case",
           "run_document", "templates"]
