"""``netstudio export``: ONNX (checked in onnxruntime), torch.export programs and code bundles.

A thin wrapper over :func:`studio.export.job.run_export`, which produces and checks everything
in memory and writes files only when every requested artefact passed.
"""
from __future__ import annotations

from studio.cli.common import add_document_args, load_configured
from studio.cli.errors import UserError


def add_parsers(sub) -> None:
    p = sub.add_parser("export", help="write ONNX, a torch.export program or a code bundle",
                       description="Export one network of a document. ONNX files are checked "
                       "with onnx.checker and against onnxruntime on random inputs.")
    add_document_args(p, network=False)
    p.add_argument("--network", help="which network (default: model, else a GAN's generator, "
                   "else the first)")
    p.add_argument("--onnx", metavar="FILE", help="write an ONNX model")
    p.add_argument("--pt2", metavar="FILE", help="write a torch.export program (.pt2)")
    p.add_argument("--bundle", metavar="DIR", help="write model.py, weights.safetensors, the "
                   "document and a README into DIR")
    p.add_argument("--weights", metavar="FILE", help="trained weights (.safetensors) to export "
                   "(default: freshly initialized)")
    p.add_argument("--opset", type=int, help="ONNX opset version (default: the exporter's)")
    p.add_argument("--dynamic-batch", action="store_true",
                   help="leave the batch dimension free (checked at batch 1 and 7)")
    p.add_argument("--exporter", choices=("auto", "dynamo", "torchscript"), default="auto",
                   help="ONNX exporter; auto tries dynamo, then TorchScript (default: auto)")
    p.add_argument("--seed", type=int, default=0, help="seed for fresh weights (default: 0)")
    p.set_defaults(run=run_export)


def run_export(args) -> int:
    from studio.export.errors import ExportError
    from studio.export.job import ExportRequest, run_export as export
    request = ExportRequest(
        onnx=args.onnx, pt2=args.pt2, bundle=args.bundle, network=args.network,
        weights=args.weights, opset=args.opset, dynamic_batch=args.dynamic_batch,
        exporter=args.exporter, seed=args.seed)
    try:
        doc, load_diagnostics, where = load_configured(args)
        export(doc, where, request, print, load_diagnostics)
    except ExportError as e:
        raise UserError(str(e)) from None
    return 0
