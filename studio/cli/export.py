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
                   "document, a README, bundle.json (preprocessing, class names) and "
                   "predict.py (an image or CSV rows -> class) into DIR")
    p.add_argument("--weights", metavar="FILE|RUN", help="trained weights to export: a "
                   ".safetensors file or a training run folder (default: freshly initialized; "
                   "NAME_OR_FILE may be a run folder too, which exports it as trained)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best",
                   help="which checkpoint of a run folder (default: best, else last)")
    p.add_argument("--opset", type=int, help="ONNX opset version (default: the exporter's)")
    p.add_argument("--dynamic-batch", action="store_true",
                   help="leave the batch dimension free (checked at batch 1 and 7)")
    p.add_argument("--exporter", choices=("auto", "dynamo", "torchscript"), default="auto",
                   help="ONNX exporter; auto tries dynamo, then TorchScript (default: auto)")
    p.add_argument("--seed", type=int, default=0, help="seed for fresh weights (default: 0)")
    p.set_defaults(run=run_export)


def _run_as_source(args) -> None:
    """A run folder named as the document: its snapshot (the document as trained, preset and
    --var applied) with its weights, unless --weights says otherwise."""
    from pathlib import Path
    run = Path(args.source)
    if run.is_dir() and (run / "config.json").is_file():
        args.source = str(run / "document.nnet.json")
        args.weights = args.weights or str(run)


def run_export(args) -> int:
    from studio.export.errors import ExportError
    from studio.export.job import ExportRequest, run_export as export
    _run_as_source(args)
    request = ExportRequest(
        onnx=args.onnx, pt2=args.pt2, bundle=args.bundle, network=args.network,
        weights=args.weights, opset=args.opset, dynamic_batch=args.dynamic_batch,
        exporter=args.exporter, seed=args.seed, checkpoint=args.checkpoint)
    try:
        doc, load_diagnostics, where = load_configured(args)
        export(doc, where, request, print, load_diagnostics)
    except ExportError as e:
        raise UserError(str(e)) from None
    return 0
