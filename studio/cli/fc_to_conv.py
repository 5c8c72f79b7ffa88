"""``netstudio fc-to-conv``: a classifier's Flatten -> Linear head rewritten as convolutions
(``studio.core.fc_to_conv``), with its trained weights reshaped, so the network takes larger
inputs and outputs a class map. Writes the document and, given ``--weights``, the converted
weights beside it, recorded as the document's ``training.init_weights``."""
from __future__ import annotations

from studio.cli.common import add_document_args, load_configured
from studio.cli.errors import UserError


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "fc-to-conv", help="rewrite a classifier's fully connected head as convolutions",
        description="Turn the Flatten -> Linear ... head of a classifier into convolutions "
        "(the first with the feature map's size as kernel, the others 1x1), add a class_map "
        "output and keep the logits as its average: the same outputs at the trained size, a "
        "class map on larger inputs.")
    add_document_args(p, network=False)
    p.add_argument("--network", default="model", help="which network (default: model)")
    p.add_argument("--node", help="the head's Flatten or one of its Linears (default: the "
                   "network's only Flatten)")
    p.add_argument("--weights", metavar="FILE|RUN", help="trained weights to carry over: a "
                   ".safetensors file or a training run folder")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best",
                   help="which checkpoint of a run folder (default: best, else last)")
    p.add_argument("-o", "--out", required=True, metavar="FILE.nnet.json",
                   help="the converted document (weights go to FILE.safetensors beside it)")
    p.set_defaults(run=run_fc_to_conv)


def _head_node(doc, network: str, given: str | None) -> str:
    if given:
        return given
    from studio.core.fc_to_conv import FLATTEN
    flattens = [n.id for n in doc.graph(network).nodes.values() if n.type == FLATTEN]
    if len(flattens) != 1:
        found = ", ".join(flattens) or "none"
        raise UserError(f"--node: name the head's Flatten or Linear (Flatten nodes: {found})")
    return flattens[0]


def _trained_state(doc, network: str, args) -> dict | None:
    if not args.weights:
        return None
    from studio.compile.fx import compile_network
    from studio.export.errors import ExportError
    from studio.export.run_source import resolve_weights
    from studio.export.weights import load_weights
    module = compile_network(doc, network).module
    try:
        load_weights(module, resolve_weights(args.weights, args.checkpoint).file, network)
    except ExportError as e:
        raise UserError(str(e)) from None
    return module.state_dict()


def run_fc_to_conv(args) -> int:
    from pathlib import Path

    from safetensors.torch import save as st_save

    from studio.compile.fc_weights import convert_network
    from studio.core.atomic import atomic_write
    from studio.core.fc_to_conv import FcToConvError
    from studio.core.serialize import save
    from studio.importer.writing import weights_path_for
    doc, _, _ = load_configured(args)
    if args.network not in doc.networks:
        raise UserError(f"--network: no network {args.network!r} (this document has: "
                        f"{', '.join(doc.networks)})")
    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():
        raise UserError(f"--out {out}: expected a file name in an existing folder")
    state = _trained_state(doc, args.network, args)
    try:
        _, head, converted = convert_network(doc, args.network,
                                             _head_node(doc, args.network, args.node), state)
    except FcToConvError as e:
        raise UserError(str(e)) from None
    if converted is not None:
        weights = weights_path_for(out)
        doc.training = {**doc.training, "init_weights": weights.name}
        atomic_write(weights, st_save({k: v.contiguous() for k, v in converted.items()}))
        print(f"weights: {weights}")
    save(doc, out)
    print(f"converted {', '.join(head.linears)} to convolutions (first kernel "
          f"{head.map_shape[1]}x{head.map_shape[2]}): {out}")
    return 0
