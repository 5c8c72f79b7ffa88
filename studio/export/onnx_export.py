"""A compiled network to an ONNX ``ModelProto``: the dynamo exporter first, TorchScript second.

The module is exported in evaluation mode (dropout off, batch norm on running statistics, VAE
sampling returns the mean). With a dynamic batch the example batch is 2: torch.export
specialises sizes 0 and 1, so a batch-1 example would freeze the batch dimension.
When both exporters fail, the error names the canvas node and the operator (see ``locate``).
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import torch

import studio
from studio.compile.fx import Compiled
from studio.export.errors import ExportError
from studio.export.inputs import example_inputs
from studio.export.locate import locate_failure
from studio.export.quiet import quiet

EXPORTERS = ("auto", "dynamo", "torchscript")
TORCHSCRIPT_OPSET = 17  # the newest opset the TorchScript exporter supports well
_TITLE = {"dynamo": "dynamo", "torchscript": "TorchScript"}


@dataclass
class OnnxExport:
    model: object  # onnx.ModelProto
    exporter: str  # "dynamo" or "torchscript"
    notes: list = field(default_factory=list)  # what the user should know (a fallback, ...)

    @property
    def opset(self) -> int:
        return _opset(self.model)


def _opset(model) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def _first_line(error: BaseException, limit: int = 300) -> str:
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text if len(text) <= limit else text[:limit] + "…"


def _dynamo(module, example, compiled, opset, dynamic):
    shapes = None
    if dynamic:
        batch = torch.export.Dim("batch")
        shapes = tuple({0: batch} for _ in example)
    program = torch.onnx.export(
        module, example, None, dynamo=True, input_names=compiled.inputs,
        output_names=compiled.outputs, opset_version=opset, dynamic_shapes=shapes,
        external_data=False, verbose=False)
    return program.model_proto


def _torchscript(module, example, compiled, opset, dynamic):
    import onnx
    axes = {n: {0: "batch"} for n in [*compiled.inputs, *compiled.outputs]} if dynamic else None
    buffer = io.BytesIO()
    torch.onnx.export(
        module, example, buffer, dynamo=False, input_names=compiled.inputs,
        output_names=compiled.outputs, opset_version=opset or TORCHSCRIPT_OPSET,
        dynamic_axes=axes, verbose=False)
    return onnx.load_from_string(buffer.getvalue())


_RUNNERS = {"dynamo": _dynamo, "torchscript": _torchscript}


def _describe(compiled, doc, network, error, example, exporter) -> str:
    """``unpool1 (pooling.MaxUnpool2d): the TorchScript exporter cannot express …``."""
    node_id, op = locate_failure(compiled, error, example)
    reason = _first_line(error)
    if node_id is None:
        what = f" ({op})" if op else ""
        return f"the {_TITLE[exporter]} exporter failed{what}: {reason}"
    graph_node = doc.networks[network].nodes.get(node_id)
    kind = f" ({graph_node.type})" if graph_node else ""
    return f"{node_id}{kind}: the {_TITLE[exporter]} exporter cannot express {op}: {reason}"


def export_onnx(compiled: Compiled, doc, network: str, *, opset: int | None = None,
                dynamic_batch: bool = False, exporter: str = "auto",
                preprocessing=None) -> OnnxExport:
    """Export ``compiled.module`` (weights as loaded) to an in-memory ONNX model; its metadata
    carries ``preprocessing`` (a :class:`studio.train.data.preprocess.Preprocessing`)."""
    if exporter not in EXPORTERS:
        raise ExportError(f"exporter: expected one of {', '.join(EXPORTERS)}, got {exporter!r}")
    module = compiled.module.eval()
    example = example_inputs(compiled, doc, network, 2 if dynamic_batch else 1)
    order = ["dynamo", "torchscript"] if exporter == "auto" else [exporter]
    failures, notes = [], []
    for name in order:
        try:
            with quiet(), torch.no_grad():
                model = _RUNNERS[name](module, example, compiled, opset, dynamic_batch)
        except Exception as e:  # exporters raise anything from deep inside torch
            failures.append(_describe(compiled, doc, network, e, example, name))
            continue
        got = _opset(model)
        if opset is not None and got != opset:
            # the dynamo exporter keeps its own opset when it cannot convert down to the
            # requested one; a file with another opset than asked for is not what the user wants
            failures.append(f"the {_TITLE[name]} exporter produced opset {got}, not the "
                            f"requested {opset}")
            continue
        if failures:
            notes.append(f"{failures[-1]}; used the {_TITLE[name]} exporter instead")
        add_metadata(model, doc, network, name, preprocessing)
        return OnnxExport(model, name, notes)
    raise ExportError("; ".join(failures))


def metadata(doc, network: str, exporter: str, preprocessing=None) -> dict[str, str]:
    """What a consumer of the file needs to know: which document, its version, the classes
    and how to prepare an input (``netstudio.preprocessing.*`` keys)."""
    from studio.core.document import SCHEMA_VERSION
    meta = doc.meta
    class_names = (preprocessing.class_names if preprocessing else None) \
        or doc.training.get("class_names") or meta.get("class_names")
    out = {
        "name": str(meta.get("name") or network),
        "title": str(meta.get("title", "")),
        # a document may carry its own version; the file format's version always applies
        "version": str(meta.get("version") or SCHEMA_VERSION),
        "schema_version": str(SCHEMA_VERSION),
        "network": network,
        "preset": str(meta.get("preset") or ""),
        "netstudio_version": studio.__version__,
        "exporter": exporter,
    }
    if class_names:
        out["class_names"] = json.dumps(list(class_names), ensure_ascii=False)
    if preprocessing is not None:
        out.update(preprocessing.metadata())
    return {k: v for k, v in out.items() if v}


def add_metadata(model, doc, network: str, exporter: str, preprocessing=None) -> None:
    """Write :func:`metadata` into ``model.metadata_props`` (replacing keys already there)."""
    props = metadata(doc, network, exporter, preprocessing)
    kept = [(p.key, p.value) for p in model.metadata_props if p.key not in props]
    del model.metadata_props[:]
    for key, value in [*kept, *props.items()]:
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.producer_name = "netstudio"
    model.producer_version = studio.__version__
    if doc.meta.get("description"):
        model.doc_string = str(doc.meta["description"])
