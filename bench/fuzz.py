"""Fuzzing documents at scale (issue 18): seeded mutations of every template through
load -> validate -> compile -> save, and a slice of them through the real ``netstudio`` CLI.

Case i is a pure function of (seed, i) (``tests/fuzzing``, shared with ``tests/core/test_fuzz.py``);
each runs in a forked worker under a per-case time limit (a hang) and address-space limit (a
memory blow-up). ``--cli-cases`` of the documents, spread evenly, are also given to
``python -m studio validate`` and ``summary`` in subprocesses (time limit: ``--timeout`` plus
60 s for starting Python and torch), counting Python tracebacks and runs that had to be killed.
Prints the outcome counts, each distinct signature with its smallest reproducer, the time per
case, and the goal lines (all goal == 0).

    python bench/fuzz.py [--cases 10000] [--seed 0] [--jobs 2] [--timeout 10] [--memory MB]
    python bench/fuzz.py --seed 0 --write-case 4711 case.nnet.json   # a reproducer, as a file
"""
from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the generator the suite uses: tests/fuzzing

from fuzz_cli import run_cli_slice  # noqa: E402
from fuzzing import KINDS, Sandbox, make_case, run_document, templates  # noqa: E402


def default_memory_mb() -> int:
    """The product's weight budget plus 2 GB for torch itself: a document within the budget
    may allocate that much; only more is a memory blow-up. (2 GB alone before the budget.)"""
    try:
        from studio.core.meta import PARAM_BUDGET_BYTES
    except ImportError:
        PARAM_BUDGET_BYTES = 0
    return PARAM_BUDGET_BYTES // 2 ** 20 + 2048


def run_case(seed: int, index: int):
    """The worker's target: the case is made in the worker, so the parent only schedules."""
    case = make_case(seed, index)
    return run_document(case.data, case.training)


def warm_up() -> float:
    """Run every template once in this process before the workers fork from it: torch's
    first-call costs (seconds for some layers) are then paid once, not once per worker."""
    import torch
    torch.set_num_threads(1)
    from studio.core.templates import template_path
    started = time.perf_counter()
    for name in templates():
        run_document(template_path(name).read_bytes(), True)
    return time.perf_counter() - started


class Tally:
    """Outcomes per kind; failures grouped by signature with their smallest reproducer."""

    def __init__(self, seed: int):
        self.seed = seed
        self.kinds = collections.Counter()
        self.seconds: list[tuple[float, int]] = []
        self.groups: dict[tuple, list] = collections.defaultdict(list)  # (kind, sig) -> cases

    def add(self, index: int, outcome) -> None:
        self.kinds[outcome.kind] += 1
        self.seconds.append((outcome.seconds, index))
        if outcome.failed:
            self.groups[(outcome.kind, outcome.signature)].append((index, outcome))

    def count(self, kind: str) -> int:
        return self.kinds[kind]

    def report(self) -> None:
        total = sum(self.kinds.values())
        print(f"{'outcome':<10} {'cases':>7} {'share':>7}")
        for kind in KINDS:
            print(f"{kind:<10} {self.kinds[kind]:>7,} {self.kinds[kind] / max(total, 1):>7.1%}")
        groups = sorted(self.groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        print(f"\nsignatures: {len(groups)} distinct")
        for (kind, signature), found in groups:
            index, outcome = self._smallest(found)
            case = make_case(self.seed, index)
            print(f"{len(found):>6,}  {kind:<7} {signature}")
            print(f"{'':>16}smallest: case {index} ({len(case.data):,} bytes; "
                  f"--write-case {index}): {case.label()[:300]}")
            if outcome.message:
                print(f"{'':>16}says: {outcome.message[:200]}")

    def _smallest(self, found):
        """The reproducer with the fewest mutations, then the fewest bytes (regenerated: the
        parent keeps no case data)."""
        sized = []
        for index, outcome in found[:50]:
            case = make_case(self.seed, index)
            sized.append(((len(case.mutations), len(case.data)), index, outcome))
        return min(sized)[1:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per case")
    parser.add_argument("--memory", type=int, default=default_memory_mb(),
                        help="MB of address space per worker beyond its size at start (default: "
                        "the weight budget + 2048; on a shared machine pass less, and expect "
                        "documents within the budget to count as memory blow-ups)")
    parser.add_argument("--cli-cases", type=int, default=100,
                        help="documents also run through `netstudio validate` and `summary`")
    parser.add_argument("--write-case", nargs=2, metavar=("INDEX", "PATH"),
                        help="write case INDEX of --seed to PATH and exit")
    args = parser.parse_args(argv)
    if args.write_case:
        case = make_case(args.seed, int(args.write_case[0]))
        Path(args.write_case[1]).write_bytes(case.data)
        print(f"wrote {args.write_case[1]} ({len(case.data):,} bytes): {case.label()}")
        return 0

    warm = warm_up()
    print(f"fuzz: {args.cases:,} cases, seed {args.seed}, {args.jobs} job(s), "
          f"{args.timeout:g} s and {args.memory:,} MB per case (workers warmed in {warm:.0f} s)")
    tally, started = Tally(args.seed), time.perf_counter()
    with Sandbox(args.jobs, args.timeout, args.memory, target=run_case) as box:
        for done, (index, outcome) in enumerate(
                box.map((i, (args.seed, i)) for i in range(args.cases)), 1):
            tally.add(index, outcome)
            if done % 500 == 0:
                print(f"  {done:,} cases, {time.perf_counter() - started:.0f} s", flush=True)
    wall = time.perf_counter() - started
    tally.report()

    per_case = wall / max(args.cases, 1)
    each = sorted(s for s, _ in tally.seconds)
    slowest = max(tally.seconds, default=(0.0, -1))
    print(f"\ntime: {wall:.0f} s for {args.cases:,} cases with {args.jobs} job(s): "
          f"{per_case:.3f} s per case (worker time per case: median {statistics.median(each):.3f}"
          f" s, p99 {each[int(len(each) * 0.99)]:.2f} s, slowest {slowest[0]:.1f} s in case "
          f"{slowest[1]}); 10,000 cases ≈ {per_case * 10_000 / 60:.0f} min" if each else "")

    stride = max(1, args.cases // max(args.cli_cases, 1))
    picked = list(range(0, args.cases, stride))[: args.cli_cases]
    started = time.perf_counter()
    cli = run_cli_slice([make_case(args.seed, i) for i in picked], args.jobs,
                        args.timeout + 60, args.memory)
    cli.report()
    print(f"cli time: {time.perf_counter() - started:.0f} s for {cli.runs} runs with "
          f"{args.jobs} job(s)")

    print(f"crashes: {tally.count('crash')} (goal == 0)")
    print(f"hangs: {tally.count('hang')} (goal == 0)")
    print(f"memory blow-ups: {tally.count('memory')} (goal == 0)")
    print(f"cli tracebacks: {cli.tracebacks} (goal == 0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
