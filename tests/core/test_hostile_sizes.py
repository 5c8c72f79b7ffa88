"""Hostile sizes end in a diagnostic before anything is built: weights and activations are
checked on meta tensors against the budgets, recurrent depth and sequence length are bounded, and
thousands of duplicate ids load in linear time (regressions of issue #18's adversarial pass)."""
import json
import subprocess
import sys
import textwrap
import time

import pytest

from studio.compile.fx import CompileError, compile_network
from studio.core.diagnostics import ERROR
from studio.core.serialize import document_from_json
from studio.core.validate import validate_document
from support.hostile import errors_of, has, node, template, write


# ---- sizes: weights and activations checked on meta tensors before anything is built ------
def test_a_trillion_channel_conv_is_a_budget_diagnostic_and_compile_refuses():
    raw = template("lenet5")
    node(raw, "c1")["params"]["out_channels"] = 10**12
    assert has(errors_of(raw), "model.c1", "TB of weights (budget 2 GB)")
    with pytest.raises(CompileError, match="c1.*of weights"):
        compile_network(document_from_json(raw)[0])


def test_weights_within_the_budget_per_node_but_not_in_all_are_refused():
    doc_raw = template("mlp")
    node(doc_raw, "input1")["params"]["shape"] = [16_000]
    for nid in ("linear1", "linear2"):
        node(doc_raw, nid)["params"]["out_features"] = 16_000  # 1.02 GB each
    messages = errors_of(doc_raw)
    assert has(messages, "model", "GB of weights in all (budget 2 GB; largest: linear"), messages


def test_a_million_recurrent_layers_are_refused_by_the_schema_at_once():
    raw = template("char-rnn")
    raw["variables"]["layers"] = 10**6
    started = time.perf_counter()
    assert has(errors_of(raw), "num_layers", "<= 256")
    assert time.perf_counter() - started < 30


def test_a_million_step_sequence_infers_as_fast_as_a_short_one():
    raw = template("char-rnn")
    raw["variables"]["steps"] = 10**6
    started = time.perf_counter()
    doc, _ = document_from_json(raw)
    assert [str(d) for d in validate_document(doc) if d.severity == ERROR] == []
    assert time.perf_counter() - started < 30  # linear in the steps, 10**6 would take hours


def test_thousands_of_duplicate_ids_load_in_linear_time():
    raw = template("mlp")
    raw["networks"]["model"]["nodes"] = [{"id": "a", "type": "activation.ReLU"}] * 5000
    started = time.perf_counter()
    doc, diags = document_from_json(raw)
    assert time.perf_counter() - started < 10  # quadratic renaming would take minutes
    assert len(doc.networks["model"].nodes) == 5000
    assert sum("duplicate id 'a'" in str(d) for d in diags) == 4999


def test_a_huge_input_shape_is_a_diagnostic_on_the_input():
    raw = template("mlp")
    node(raw, "input1")["params"]["shape"] = [3, 100_000, 100_000]
    assert has(errors_of(raw), "input1.params.shape", "240 GB at batch 2 (budget 4 GB per tensor)")


def test_shape_checks_of_wide_layers_allocate_nothing_real(tmp_path):
    """A 10**8-channel BatchNorm (800 MB of weights and stand-in) is checked on meta tensors:
    the process grows by far less than that (the CPU stand-in took 3.9 GB and 18 s)."""
    script = textwrap.dedent("""
        import json, resource, sys
        from studio.core.serialize import document_from_json
        from studio.core.validate import validate_document
        raw = json.load(open(sys.argv[1]))
        document_from_json(raw)  # imports and caches warm before the baseline
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        doc, _ = document_from_json(raw)
        messages = [str(d) for d in validate_document(doc)]
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
        print(json.dumps({"grown_kb": grown, "messages": messages}))
    """)
    raw = template("lenet5")
    node(raw, "input1")["params"]["shape"] = [1, 1, 1]
    node(raw, "c1")["params"].update(out_channels=10**8, kernel_size=1, padding=0)
    raw["networks"]["model"]["nodes"][3]["type"] = "norm.BatchNorm2d"  # tanh1 -> 10**8 channels
    path = write(tmp_path, raw)
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["grown_kb"] < 200_000, result  # 10**8 float32 weights alone are 400 MB
    # the BatchNorm passed; the next node (a 2x2 pool on 1x1) is the first to complain
    assert has(result["messages"], "model.s2", "Output size is too small"), result
