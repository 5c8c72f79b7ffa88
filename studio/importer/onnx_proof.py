"""The proof of an ONNX import: onnxruntime on the file and the compiled document on the same
random inputs. Above the limit, both run again with every converted node's value exposed (ONNX
outputs added to a copy of the graph, forward hooks on the modules) and the first node in graph
order whose values differ is named.
"""
from __future__ import annotations

import numpy as np
import torch

from studio.importer.onnx_graph import port_name
from studio.importer.result import ImportFailed

PROOF_BATCH = 2


def _session(model):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers are noise here
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def _inputs(cv, model, compiled) -> dict:
    generator = np.random.default_rng(0)
    batch = cv.batch if isinstance(getattr(cv, "batch", None), int) and cv.batch > 0 \
        else PROOF_BATCH
    feed = {}
    for given in model.graph.input:
        if given.name in cv.consts:
            continue
        shape = [batch, *cv.shapes[given.name][1:]]
        if given.type.tensor_type.elem_type == 7:  # int64 token ids: the smallest valid ones
            feed[given.name] = np.zeros(shape, np.int64)
        else:
            feed[given.name] = generator.standard_normal(shape).astype(np.float32)
    return feed


def compare(cv, doc, model, compiled, path, limit: float) -> float:
    """The largest absolute difference over all outputs; ImportFailed above ``limit``."""
    feed = _inputs(cv, model, compiled)
    try:
        expected = _session(model).run(None, feed)
    except Exception as e:  # onnxruntime raises its own exception types
        raise ImportFailed(f"{path}: onnxruntime cannot run the file: "
                           f"{str(e).splitlines()[0][:300]}") from None
    names = [o.name for o in model.graph.output]
    args = [torch.from_numpy(feed[i.name]) for i in model.graph.input if i.name in feed]
    with torch.no_grad():
        got = compiled.module(*args)
    got = got if isinstance(got, (tuple, list)) else [got]
    by_name = dict(zip(compiled.outputs, got))
    worst = 0.0
    for name, want in zip(names, expected):
        have = by_name[port_name(name)].numpy()
        if have.shape != want.shape:
            raise ImportFailed(f"{path}: output {name!r} has shape {list(have.shape)} in the "
                               f"document but {list(want.shape)} in the file")
        worst = max(worst, float(np.abs(have - want).max()) if want.size else 0.0)
    if worst > limit:
        first = first_difference(cv, model, compiled, feed, args, limit)
        raise ImportFailed(f"{path}: the imported network differs from the file by {worst:.3g} "
                           f"(limit {limit:g}); first differing node: {first}")
    return worst


def first_difference(cv, model, compiled, feed, args, limit) -> str:
    import onnx
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    wanted = [v for v in cv.produced.values() if v not in {o.name for o in probe.graph.output}]
    for name in wanted:
        probe.graph.output.append(onnx.ValueInfoProto(name=name))
    try:
        values = dict(zip([o.name for o in probe.graph.output], _session(probe).run(None, feed)))
    except Exception:
        return "unknown (onnxruntime cannot expose the intermediate values)"
    seen: dict[str, torch.Tensor] = {}
    names = {nid: name for name, nid in compiled.node_map.items()}
    hooks = []
    for nid in cv.produced:
        if nid in names and hasattr(compiled.module, names[nid]):
            module = compiled.module.get_submodule(names[nid])
            hooks.append(module.register_forward_hook(
                lambda m, i, out, nid=nid: seen.setdefault(
                    nid, out[0] if isinstance(out, tuple) else out)))
    try:
        with torch.no_grad():
            compiled.module(*args)
    finally:
        for h in hooks:
            h.remove()
    for nid, value in cv.produced.items():
        want, have = values.get(value), seen.get(nid)
        if want is None or have is None or tuple(have.shape) != want.shape:
            continue
        diff = float(np.abs(have.numpy() - want).max()) if want.size else 0.0
        if diff > limit:
            node = cv.builder.doc.networks["model"].nodes[nid]
            return f"{nid} ({node.type}, from ONNX value {value!r}): differs by {diff:.3g}"
    return "none found node by node (the difference arises in the outputs' wiring)"
