"""``--bundle DIR``: model.py + weights.safetensors + README + document, loaded in a fresh
Python process that imports only torch and safetensors, must reproduce the network's outputs."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file, save_file

from studio.cli import main
from studio.compile.codegen import document_class_name
from studio.compile.fx import compile_network
from studio.core.serialize import load, save
from studio.export.inputs import example_inputs
from studio.export.weights import load_weights
from support.export_docs import sequence_doc, unpool_doc, vae_doc

LOADER = textwrap.dedent("""
    import sys
    bundle, names = sys.argv[1], sys.argv[3:]
    sys.path.insert(0, bundle)
    import torch
    from safetensors.torch import load_file, save_file
    from model import {cls}
    model = {cls}()
    model.load_state_dict(load_file(bundle + "/weights.safetensors"))
    model.eval()
    inputs = load_file(sys.argv[2])
    with torch.no_grad():
        out = model(*[inputs[n] for n in names])
    out = out if isinstance(out, tuple) else (out,)
    save_file({{str(i): t.contiguous() for i, t in enumerate(out)}}, bundle + "/../out.st")
    extra = sorted({{m.split(".")[0] for m in sys.modules}} &
                   {{"studio", "nodes", "PySide6", "onnx", "onnxruntime"}})
    assert not extra, f"the bundle imported {{extra}}"
""")


@pytest.mark.parametrize("make, trained", [(unpool_doc, False), (lambda: sequence_doc("LSTM"),
                                                                  False), (vae_doc, True)],
                         ids=["unpool", "lstm", "vae-trained-weights"])
def test_bundle_runs_with_only_torch_and_safetensors(make, trained, tmp_path, capsys):
    doc = make()
    doc.meta = {"name": "bundled-net"}
    source = tmp_path / "net.nnet.json"
    save(doc, source)
    args = ["export", str(source), "--bundle", str(tmp_path / "bundle")]
    if trained:
        module = compile_network(doc, "model", seed=11).module
        save_file(module.state_dict(), str(tmp_path / "trained.safetensors"))
        args += ["--weights", str(tmp_path / "trained.safetensors")]
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "model.py parity batch 7" in out

    bundle = tmp_path / "bundle"
    assert sorted(p.name for p in bundle.iterdir()) == [
        "README.md", "bundle.json", "bundled-net.nnet.json", "model.py", "predict.py",
        "weights.safetensors"]
    cls = document_class_name(doc, "model")
    assert cls == "BundledNet"
    readme = (bundle / "README.md").read_text()
    assert f"from model import {cls}" in readme and "load_file(\"weights.safetensors\")" in readme
    reopened, diagnostics = load(bundle / "bundled-net.nnet.json")
    assert not [d for d in diagnostics if d.severity == "error"]
    assert list(reopened.networks["model"].nodes) == list(doc.networks["model"].nodes)

    compiled = compile_network(doc, "model")
    load_weights(compiled.module, bundle / "weights.safetensors")
    if trained:
        expected = load_file(str(tmp_path / "trained.safetensors"))
        got = load_file(str(bundle / "weights.safetensors"))
        assert all(torch.equal(expected[k], got[k]) for k in expected)
    inputs = example_inputs(compiled, doc, "model", batch=3, seed=7)
    save_file(dict(zip(compiled.inputs, inputs)), str(tmp_path / "inputs.st"))
    result = subprocess.run(
        [sys.executable, "-I", "-c", LOADER.format(cls=cls), str(bundle),
         str(tmp_path / "inputs.st"), *compiled.inputs],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    outputs = load_file(str(tmp_path / "out.st"))
    with torch.no_grad():
        expected = compiled.module.eval()(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(outputs) == len(expected)
    # Another process may pick other kernels or thread splits (seen: 6e-8 apart on a 2-core CPU),
    # so the comparison uses float32's tolerances, not bit equality.
    for i, tensor in enumerate(expected):
        torch.testing.assert_close(outputs[str(i)], tensor, rtol=1.3e-6, atol=1e-5)


def test_bundle_into_an_existing_folder_keeps_other_files(small_doc, tmp_path, capsys):
    source = tmp_path / "net.nnet.json"
    save(small_doc, source)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "notes.txt").write_text("mine")
    assert main(["export", str(source), "--bundle", str(bundle)]) == 0, capsys.readouterr().err
    names = sorted(p.name for p in bundle.iterdir())
    assert "notes.txt" in names and "model.py" in names
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
