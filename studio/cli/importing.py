"""``netstudio import``: a PyTorch model or an ONNX file as a document plus its weights.

    netstudio import torchvision:resnet18 -o resnet18.nnet.json --input 1x3x224x224
    netstudio import python:my_model.py:Net -o net.nnet.json --input 1x10 --kw hidden=32 --trust
"""
from __future__ import annotations

from studio.cli.errors import UserError


def add_parsers(sub) -> None:
    p = sub.add_parser("import", help="bring a PyTorch model or an ONNX file in as a document "
                       "with its weights")
    p.add_argument("source", help="torchvision:NAME[?k=v], timm:NAME, python:FILE.py:Class, "
                   "package.module:factory or FILE.onnx")
    p.add_argument("-o", "--output", required=True, metavar="NAME.nnet.json",
                   help="document to write; the weights go beside it as NAME.safetensors")
    p.add_argument("--input", metavar="1x3x224x224", default=None,
                   help="input shape, batch first (default: the model's usual size)")
    p.add_argument("--weights", default=None, metavar="DEFAULT|FILE",
                   help="DEFAULT (pretrained, from the local cache only) or a .safetensors / "
                   ".pt / .pth state_dict")
    p.add_argument("--kw", action="append", default=[], metavar="NAME=VALUE",
                   help="keyword argument for the model's constructor (repeatable)")
    p.add_argument("--trust", action="store_true",
                   help="allow importing the code a Module node references (your own layers)")
    p.set_defaults(run=run_import)


def parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        shape = tuple(int(part) for part in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise UserError(f"--input {text}: expected sizes joined by x, batch first, "
                        "e.g. 1x3x224x224") from None
    if len(shape) < 2 or min(shape) < 1:
        raise UserError(f"--input {text}: expected a batch and at least one more size, all >= 1")
    return shape


def run_import(args) -> int:
    from studio.importer import ImportFailed, import_model, write_import
    from studio.importer.sources import parse_kwargs
    try:
        result = import_model(args.source, input_shape=parse_shape(args.input),
                              weights=args.weights, kwargs=parse_kwargs(args.kw),
                              trust=args.trust)
        doc_path, weights_path = write_import(result, args.output)
    except ImportFailed as e:
        raise UserError(str(e)) from None
    for line in result.report.lines():
        print(line)
    print(f"wrote {doc_path} and {weights_path}")
    return 0
