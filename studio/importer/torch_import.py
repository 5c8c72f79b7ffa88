"""Importing a PyTorch module: build it, trace it (torch.fx), map it, prove it.

The steps: the source makes a module (``sources``), weights are loaded (``weights_in``), the
tracer records the graph with the module hierarchy (``trace``), operations become catalogue
nodes or Module nodes (``convert``; a submodule with an operation nothing maps is traced again
as one leaf), the hierarchy becomes blocks (``build``), the weights are keyed like the compiled
document, and the compiled document is run against the original (``proof``).
"""
from __future__ import annotations

import math
import time

import torch

import nodes
import nodes.module as module_node
from studio.core import layout
from studio.core.layout import apply_layout
from studio.core.node_text import block_outline
from studio.importer import build, convert, proof, sources, trace, weights_in
from studio.importer.modules_map import is_mappable
from studio.importer.result import ImportFailed, ImportReport, ImportResult
from studio.importer.training_head import add_classifier_training

PROOF_BATCH = 2  # two samples: a reshape that moved the batch dimension cannot hide
# torchvision builders whose input is not 224×224
_SIZES = {"inception_v3": 299}


def default_shape(source: sources.Source, model) -> tuple[int, ...]:
    if source.kind == "torchvision":
        size = _SIZES.get(source.target, 224)
        return (1, 3, size, size)
    if source.kind == "timm":
        cfg = getattr(model, "pretrained_cfg", None) or getattr(model, "default_cfg", {}) or {}
        return (1, *cfg.get("input_size", (3, 224, 224)))
    raise ImportFailed(f"{source.target}: give the input shape with --input, e.g. "
                       "--input 1x3x224x224")


def _check_shape(shape) -> tuple[int, ...]:
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ImportFailed(f"input shape: expected whole numbers such as 1x3x224x224, got "
                           f"{shape!r}") from None
    if len(shape) < 2 or any(d < 1 for d in shape):
        raise ImportFailed(f"input shape: expected batch and at least one more size, all >= 1, "
                           f"got {'x'.join(map(str, shape))}")
    return shape


class _Root(torch.nn.Module):
    """Holds a model that is itself one layer: fx always traces into the root, so a bare
    ``nn.Linear`` would come back as its functional call instead of a Linear node."""

    def __init__(self, name: str, layer: torch.nn.Module):
        super().__init__()
        self.add_module(name, layer)
        self.name = name

    def forward(self, x):
        return getattr(self, self.name)(x)


def _rooted(model):
    if is_mappable(model) or type(model).__module__.startswith("torch.nn"):
        name = type(model).__name__.lower()
        return _Root(name if name.isidentifier() else "layer", model)
    return model


def state_dict_for(items, keypaths: dict, model) -> dict:
    """The weights of every node, keyed like the compiled document's ``state_dict``."""
    state = {}
    for item in items:
        if item.name not in keypaths:
            continue
        prefix = ".".join(keypaths[item.name])
        if item.owner is not None:
            for key, value in model.get_submodule(item.owner).state_dict().items():
                state[f"{prefix}.{key}"] = value.detach().clone()
        for key, path in item.attrs.items():  # parameters the model's code used directly
            owner, _, name = path.rpartition(".")
            value = getattr(model.get_submodule(owner) if owner else model, name)
            state[f"{prefix}.{key}"] = value.detach().clone()
        if item.attrs and item.type_id.startswith("norm.BatchNorm"):
            state[f"{prefix}.num_batches_tracked"] = torch.tensor(0)  # not used in eval
    return state


def _output_shapes(traced) -> list:
    """The shape of each tensor the model returns (recorded while tracing; None: not a
    floating-point tensor, so no classifier head)."""
    out = next((n for n in traced.graph_module.graph.nodes if n.op == "output"), None)
    value = traced.values.get(out.name) if out is not None else None
    values = value if isinstance(value, (tuple, list)) else [value]
    return [[int(s) for s in v.shape] if isinstance(v, torch.Tensor) and v.is_floating_point()
            else None for v in values]


def _layout(doc) -> None:
    for scope in doc.scopes():
        graph = doc.graph(scope)
        apply_layout(graph, _sizes(doc, graph))


def _sizes(doc, graph) -> dict:
    """Estimated node sizes, a Block node's widened to the outline the canvas writes on it
    (``conv3×3 → conv3×3 + skip``): the layout's own guess reads only the block's name, and an
    imported document opened from its file keeps these positions, overlaps included."""
    sizes = layout.estimated_sizes(graph, list(graph.nodes))
    for nid, node in graph.nodes.items():
        if nodes.role_of(node.type) == nodes.BLOCK:
            need = layout.SUMMARY_CHAR_W * len(block_outline(doc, node.params.get("block"))) + 20
            width, height = sizes[nid]
            sizes[nid] = (min(layout.MAX_W, max(width, need)), height)
    return sizes


def import_torch(source: str, *, input_shape=None, weights=None, kwargs=None, trust=False,
                 progress=None) -> ImportResult:
    started = time.perf_counter()

    def step(fraction: float, what: str) -> None:
        if progress is not None and progress(fraction, what) is False:
            raise ImportFailed("import cancelled")

    step(0.0, "building the model")
    src = sources.parse(source, kwargs)
    model = sources.build(src)
    if weights:
        step(0.1, "loading weights")
        model = weights_in.apply_weights(model, weights, src)
    shape = _check_shape(input_shape) if input_shape else default_shape(src, model)
    return import_instance(model, shape, name=src.name, trust=trust, step=step,
                           started=started)


def import_instance(model, shape, *, name: str = "model", trust: bool = False, step=None,
                    started: float | None = None) -> ImportResult:
    """Import a module object (already built, weights loaded) for an input of ``shape``."""
    started = time.perf_counter() if started is None else started
    step = step or (lambda fraction, what: None)
    shape = _check_shape(shape)
    model = _rooted(model.eval())
    generator = torch.Generator().manual_seed(0)
    example = torch.randn((PROOF_BATCH, *shape[1:]), generator=generator)
    step(0.2, "tracing")
    leaves: set[str] = set()
    for _ in range(100):
        traced = trace.trace(model, example, leaves)
        converted = convert.convert(traced, model)
        if not converted.promote:
            break
        leaves |= converted.promote
    else:
        raise ImportFailed(f"{name}: mapping did not settle")
    notes = traced.notes + converted.notes
    notes += [f"{leaf}: kept as one Module node (an operation inside has no catalogue node)"
              for leaf in sorted(leaves) if not any(leaf in n for n in traced.notes)]
    step(0.5, "building the document")
    doc, keypaths = build.DocumentBuilder(converted, model, shape, name).build()
    state = state_dict_for(converted.items, keypaths, model)
    head_note = add_classifier_training(doc, _output_shapes(traced))
    _layout(doc)
    kinds = [it.kind for it in converted.items]
    report = ImportReport(traced.method, nodes=len(kinds), catalogue_nodes=kinds.count(convert.CATALOGUE),
                          module_nodes=kinds.count(convert.MODULE),
                          placeholder_nodes=kinds.count(convert.PLACEHOLDER), notes=notes)
    step(0.7, "proving")
    refs = sorted({it.params["cls"] for it in converted.items if it.kind == convert.MODULE})
    untrusted = [r for r in refs if not module_node.is_trusted(r)]
    if report.placeholder_nodes:
        report.max_abs_diff = math.nan
        notes.append(f"not proven: {report.placeholder_nodes} placeholder node(s) block "
                     "compiling; replace them in the studio")
    elif untrusted and not trust:
        report.max_abs_diff = math.nan
        notes.append(f"not proven: the document needs code from {', '.join(untrusted)}; "
                     "--trust allows importing it")
    else:
        with module_node.trusting(*untrusted):
            report.max_abs_diff = proof.prove(model, doc, state, converted.items, keypaths,
                                              traced.real_values, example)
    notes += [head_note] if head_note else []
    report.seconds = time.perf_counter() - started
    step(1.0, "done")
    return ImportResult(doc, state, report)
