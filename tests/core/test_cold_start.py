"""Shape inference's first call in a process does not pay torch's cold start (torch._dynamo,
torch._decomp's references, sympy: seconds) and still gives exactly the meta path's shapes."""
import json
import subprocess
import sys

import nodes
from nodes.base import BLOCK, BLOCK_INPUT, INPUT, TARGET, TensorSpec
from studio.core.meta import infer_node
from studio.core.shapes import ShapeInference
from studio.core.templates import open_document

TEMPLATES = ["lenet5", "lstm-classifier"]
COLD = ("torch._dynamo", "torch._decomp", "sympy")

FIRST_CALL = """
import json, sys
import torch
from studio.core.shapes import ShapeInference
from studio.core.templates import open_document
docs = {name: open_document(name)[0] for name in sys.argv[1:]}
before = set(sys.modules)
inference = ShapeInference()
shapes = {name: _shapes(inference, doc) for name, doc in docs.items()}
print(json.dumps({"new": sorted(set(sys.modules) - before), "shapes": shapes}))
"""

SHAPES = """
def _shapes(inference, doc):
    out = {}
    for scope in doc.networks:
        result = inference.infer(doc, scope)
        assert not result.diagnostics, result.diagnostics
        out[scope] = {nid: {port: [list(s.shape), s.dtype] for port, s in ports.items()}
                      for nid, ports in result.outputs.items()}
        out[scope]["#params"] = result.total_params
    return out
"""


def _shapes(inference, doc):
    namespace = {}
    exec(SHAPES, namespace)  # the same function the child runs
    return namespace["_shapes"](inference, doc)


def test_first_inference_skips_torch_cold_start_and_matches_meta():
    child = subprocess.run([sys.executable, "-c", SHAPES + FIRST_CALL, *TEMPLATES],
                           capture_output=True, text=True, timeout=300, check=True)
    report = json.loads(child.stdout)
    cold = [m for m in report["new"] if m.startswith(COLD)]
    assert cold == [], f"the first inference imported {cold[:5]}"
    on_meta = ShapeInference(cpu=False)
    expected = {name: _shapes(on_meta, open_document(name)[0]) for name in TEMPLATES}
    assert report["shapes"] == json.loads(json.dumps(expected))


def _cases():
    for t in nodes.all_types():
        if t.role in (BLOCK, INPUT, TARGET, BLOCK_INPUT):
            continue
        for overrides, shapes in t.test_cases:
            specs = [TensorSpec(tuple(s[0]), s[1]) if len(s) == 2 and isinstance(s[1], str)
                     else TensorSpec(tuple(s)) for s in shapes]
            yield t, {**t.defaults(), **overrides}, specs


def test_cpu_path_equals_meta_path_for_every_node_type():
    """The registry test checks the CPU path against real forwards; this ties it to meta."""
    compared = 0
    for t, params, specs in _cases():
        try:
            fast = infer_node(t, params, specs, cpu=True)
        except Exception as e:  # noqa: BLE001 - then meta must refuse the case too
            fast = type(e).__name__
        try:
            meta = infer_node(t, params, specs, cpu=False)
        except Exception as e:  # noqa: BLE001
            meta = type(e).__name__
        assert fast == meta, t.id
        compared += 1
    assert compared > 100


def test_a_growing_node_is_not_run_for_real():
    """An upsampling factor that sizes no weight decides the real output's size: 64×64 by 4000
    would be 64 GB on the CPU path, so it goes to meta, which refuses it against the budget."""
    from studio.core.meta import BudgetError, _cheap
    from nodes.base import BuildContext, lookup
    node = lookup("pooling.Upsample")
    spec = TensorSpec((2, 1, 64, 64))
    module = node.build(BuildContext(params={"scale_factor": 4000.0, "mode": "nearest"},
                                     inputs=[spec]))
    assert not _cheap(module, {"scale_factor": 4000.0}, [spec])
    assert _cheap(module, {"scale_factor": 2.0}, [spec])
    try:
        infer_node(node, {"scale_factor": 4000.0, "mode": "nearest"}, [spec], cpu=None)
    except BudgetError as e:
        assert "GB" in str(e) or "TB" in str(e)
    else:
        raise AssertionError("a 64 GB activation passed the budget")
