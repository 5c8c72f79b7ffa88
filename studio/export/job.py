"""One export run: everything requested is produced and checked in memory, then written.

The CLI and the GUI call :func:`run_export` with a :class:`ExportRequest`; progress lines go to
``report`` (``print`` for the CLI, a signal in the GUI). A failure anywhere raises
:class:`ExportError` before any file exists; each file is then written through a temp file (or
folder) renamed into place.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from studio.export.errors import ExportError


@dataclass
class ExportRequest:
    onnx: str | None = None
    pt2: str | None = None
    bundle: str | None = None
    network: str | None = None
    weights: str | None = None
    opset: int | None = None
    dynamic_batch: bool = False
    exporter: str = "auto"
    seed: int = 0
    checkpoint: str = "best"  # which checkpoint of a run folder given as weights


def check_targets(request: ExportRequest) -> None:
    """Refuse unusable destinations before any work, so one bad path cannot leave the other
    outputs written and this one missing."""
    for flag, path, folder in (("--onnx", request.onnx, False), ("--pt2", request.pt2, False),
                               ("--bundle", request.bundle, True)):
        if not path:
            continue
        target = Path(path)
        if not target.parent.is_dir():
            raise ExportError(f"{flag} {path}: the folder {target.parent} does not exist")
        if target.exists() and target.is_dir() != folder:
            raise ExportError(f"{flag} {path}: exists and "
                              f"{'is not a folder' if folder else 'is a folder'}")


def compile_for_export(doc, request: ExportRequest, load_diagnostics=(), warn=None):
    """(network name, compiled inference module in eval mode with the requested weights,
    where the weights came from or None); conversions of the weights (float64 to the
    network's precision) are said through ``warn``."""
    from studio.compile.fx import CompileError, compile_network
    from studio.core.diagnostics import errors
    from studio.export.inputs import pick_network
    from studio.export.run_source import resolve_weights
    from studio.export.weights import load_weights
    if errors(load_diagnostics):
        raise CompileError(errors(load_diagnostics))
    network = pick_network(doc, request.network)
    compiled = compile_network(doc, network, doc.variables, seed=request.seed)
    source = resolve_weights(request.weights, request.checkpoint) if request.weights else None
    if source:
        try:
            load_weights(compiled.module, source.file, network, warn=warn)
        except ExportError as e:
            hint = (f" (the run trained {source.run / 'document.nnet.json'}: export that "
                    "document, or give the same --preset/--var as the training)"
                    if source.run else "")
            raise ExportError(f"{e}{hint}") from None
    compiled.module.eval()
    return network, compiled, source


def run_export(doc, where: str, request: ExportRequest, report: Callable[[str], None] = print,
               load_diagnostics=()) -> list[str]:
    """Produce, check and write what ``request`` asks for; returns the paths written."""
    from studio.core.serialize import atomic_write
    if not (request.onnx or request.pt2 or request.bundle):
        raise ExportError("nothing to export: give --onnx FILE, --pt2 FILE and/or --bundle DIR")
    check_targets(request)
    network, compiled, source = compile_for_export(doc, request, load_diagnostics,
                                                   warn=lambda text: report(f"note: {text}"))
    weights = source.label() if source else f"freshly initialized, seed {request.seed}"
    report(f"exporting network {network!r} of {where} ({weights})")
    pre = _preprocessing(doc, compiled, source, report)
    writes = []  # (path, writer, size note) run only once everything passed
    if request.onnx:
        data = _onnx(request, doc, network, compiled, report, pre)
        writes.append((request.onnx, lambda: atomic_write(Path(request.onnx), data),
                       _size(len(data))))
    if request.pt2:
        from studio.export.pt2 import export_program, program_bytes, program_parity
        program = program_bytes(export_program(compiled, doc, network, request.dynamic_batch))
        for p in program_parity(program, compiled, doc, network, request.dynamic_batch):
            report(f"torch.export {p.line()}")
        writes.append((request.pt2, lambda: atomic_write(Path(request.pt2), program),
                       _size(len(program))))
    if request.bundle:
        from studio.compile.codegen import CodegenError
        from studio.export.bundle import build_bundle, write_folder
        try:
            files, parity = build_bundle(compiled, doc, network, where, weights,
                                         preprocessing=pre)
        except CodegenError as e:
            raise ExportError(f"--bundle {request.bundle}: {e}") from None
        for p in parity:
            report(f"model.py {p.line()}")
        writes.append((request.bundle, lambda: write_folder(request.bundle, files),
                       ", ".join(files)))
    for path, write, note in writes:
        write()
        report(f"wrote {path} ({note})")
    return [path for path, _, _ in writes]


def _preprocessing(doc, compiled, source, report):
    """The input's preprocessing (from the run's config when the weights came from a run);
    said in one line, with what could not be found out as notes. The dataset is opened for
    its class names only for trained weights: a fresh network predicts no class anyway, and
    building a generated dataset costs seconds per export."""
    from studio.export.run_source import preprocessing
    pre = preprocessing(doc, compiled, source.config if source else None,
                        load_data=source is not None)
    if pre is not None:
        report("preprocessing: " + "; ".join(pre.describe(notes=False)))
        for note in pre.notes:
            report(f"note: {note}")
    return pre


def _onnx(request: ExportRequest, doc, network: str, compiled, report, pre=None) -> bytes:
    from studio.export.onnx_export import export_onnx
    from studio.export.parity import check_model, onnx_parity
    result = export_onnx(compiled, doc, network, opset=request.opset,
                         dynamic_batch=request.dynamic_batch, exporter=request.exporter,
                         preprocessing=pre)
    for note in result.notes:
        report(f"note: {note}")
    report(f"ONNX: {result.exporter} exporter, opset {result.opset}, inputs "
           f"{', '.join(compiled.inputs)}, outputs {', '.join(compiled.outputs)}"
           f"{', dynamic batch' if request.dynamic_batch else ''}")
    check_model(result.model)
    report("onnx.checker: ok")
    for p in onnx_parity(result.model, compiled, doc, network, request.dynamic_batch):
        report(f"onnxruntime {p.line()}")
    return result.model.SerializeToString()


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"
