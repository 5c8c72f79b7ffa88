"""Exact undo and redo: 1,000 random sequences of 50 edits over every template.

Goals (issue 18): after undo-all the saved JSON text is byte-identical to the original (key order
included) in every sequence; after redo-all it is byte-identical to the text the edits ended with;
every op built with arguments of the wrong kind is refused with an OpError when it is made (never
a TypeError or another crash), no apply, undo or redo raises anything but an OpError, and what
the edits made loads back to the same text.

The sequences are seeded (sequence ``i`` uses seed ``i`` on template ``i mod 33``), so a failure
is reproduced with ``--only i``. The edits are those of ``tests/support/op_sequences.py``, the same
generator the suite's hypothesis test draws from. Runs in about a minute on one core.

    python bench/undo.py [--sequences 1000] [--steps 50] [--only SEED]
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.op_sequences import (RandomChooser, fresh_template, run_sequence,  # noqa: E402
                                  template_names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--only", type=int, help="run only the sequence with this seed")
    args = parser.parse_args()
    names = template_names()
    seeds = [args.only] if args.only is not None else range(args.sequences)
    totals, failures, first = Counter(), Counter(), {}
    made_crashes = other_crashes = undo_ok = redo_ok = steps_ok = as_dict = reloads = 0
    t0 = time.process_time()
    for seed in seeds:
        name = names[seed % len(names)]
        out = run_sequence(fresh_template(name), RandomChooser(seed), args.steps)
        totals.update(applied=out.applied, refused_when_made=out.refused_when_made,
                      refused_when_applied=out.refused_when_applied)
        made_crashes += sum(c.startswith("making") for c in out.crashes)
        other_crashes += sum(not c.startswith("making") for c in out.crashes)
        undo_ok += out.undo_identical
        redo_ok += out.redo_identical
        steps_ok += out.undo_identical and not out.mismatch
        as_dict += out.undo_equal_as_dict
        reloads += out.reloads_identical
        for problem in [*out.crashes, out.mismatch]:
            if problem:
                failures[problem] += 1
                first.setdefault(problem, f"seed {seed}, {name}")
    n = len(seeds)
    print(f"templates: {len(names)}, sequences: {n}, edits per sequence: {args.steps}")
    print(f"edits applied: {totals['applied']}, refused when made (OpError): "
          f"{totals['refused_when_made']}, refused when applied (OpError): "
          f"{totals['refused_when_applied']}")
    print(f"undo-all equal as a dict: {as_dict}/{n} (for reference)")
    print(f"undo-all byte-identical: {undo_ok}/{n} (goal == {n})")
    print(f"every undo step byte-identical to the text before its edit: {steps_ok}/{n} "
          f"(goal == {n})")
    print(f"redo-all byte-identical: {redo_ok}/{n} (goal == {n})")
    print(f"edited documents that load back to the same text: {reloads}/{n} (goal == {n})")
    print(f"op construction errors other than OpError: {made_crashes} (goal == 0)")
    print(f"apply/undo/redo errors other than OpError: {other_crashes} (goal == 0)")
    print(f"CPU s: {time.process_time() - t0:.1f}")
    for problem, count in failures.most_common(10):
        print(f"  {count} x {problem} (first: {first[problem]})")
    met = undo_ok == redo_ok == steps_ok == reloads == n and made_crashes == other_crashes == 0
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
