"""``netstudio datasets``: every dataset kind with its options, defaults and an example;
``netstudio datasets inspect SPEC...`` loads one and prints what it holds (fields, shapes,
dtypes, value ranges, classes and their counts, split sizes)."""
from __future__ import annotations

import json

from studio.cli.errors import UserError


def add_parsers(sub) -> None:
    p = sub.add_parser("datasets", help="list dataset kinds and their options, or inspect one")
    p.add_argument("action", nargs="?", choices=("inspect",),
                   help="inspect: load the dataset given by SPEC and describe it")
    p.add_argument("spec", nargs="*", metavar="SPEC",
                   help="as --data of `netstudio train`: a kind, a path, KEY=VALUE options")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run_datasets)


REQUIRED = ("path", "paths")  # the options without which a user-data kind cannot load


def _default(option: str, value) -> str:
    if value is None:
        return "(required)" if option in REQUIRED else "(none)"
    return json.dumps(value)


def list_kinds(as_json: bool) -> None:
    from studio.train.data import known
    kinds = known()
    if as_json:
        print(json.dumps({name: {"doc": k.doc, "example": k.example, "options": {
            o: {"default": d, "help": k.helps.get(o, "")} for o, d in k.options.items()}}
            for name, k in sorted(kinds.items())}, indent=1))
        return
    for name, kind in sorted(kinds.items()):
        print(f"{name}: {kind.doc}")
        for option, default in kind.options.items():
            helps = kind.helps.get(option)
            print(f"  {option} = {_default(option, default)}" + (f"  {helps}" if helps else ""))
        print(f"  example: netstudio train TEMPLATE {kind.example}")
    print("A path alone is understood too: --data photos/ (class folders), --data table.csv, "
          "--data arrays.npz, --data mnist-files/")


def run_datasets(args) -> int:
    from studio.train.data import DataError
    if args.action is None:
        if args.spec:
            raise UserError("datasets: to look at a dataset, write `netstudio datasets inspect "
                            f"{' '.join(args.spec)}`")
        list_kinds(args.json)
        return 0
    if not args.spec:
        raise UserError("datasets inspect: give a dataset (a kind, a path, KEY=VALUE options)")
    from studio.cli.train import _value
    from studio.train.data.describe import describe
    from studio.train.data.detect import spec_from
    try:
        spec, notes = spec_from(args.spec, _value)
        if "name" not in spec:
            raise UserError("datasets inspect: which kind? give one (see `netstudio datasets`) "
                            "or a path alone")
        description = describe(spec)
    except DataError as e:
        raise UserError(str(e)) from None
    description.notes[:0] = notes
    if args.json:
        from dataclasses import asdict
        print(json.dumps(asdict(description), indent=1, default=str))
    else:
        print("\n".join(description.lines()))
    return 0
