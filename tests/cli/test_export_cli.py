"""``netstudio export`` end to end: files written only when every check passed, trained weights
from safetensors, metadata, the exporter fallback, torch.export programs, refusals."""
from __future__ import annotations

import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from safetensors.torch import save_file

from studio.cli import main
from studio.compile.fx import compile_network
from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.core.serialize import save
from studio.export.errors import ExportError
from studio.export.onnx_export import export_onnx
from studio.export.parity import onnx_parity


def run(capsys, *args):
    code = main(["export", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def saved(doc, tmp_path, name="net.nnet.json"):
    path = tmp_path / name
    save(doc, path)
    return path


def test_onnx_with_trained_weights_and_metadata(small_doc, tmp_path, capsys):
    small_doc.meta = {"name": "digits-mlp", "version": "3"}
    small_doc.training = {"class_names": ["cat", "dog", "emu"]}
    compiled = compile_network(small_doc, "model", seed=5)
    with torch.no_grad():  # "trained": anything but the fresh seed-0 weights
        for p in compiled.module.parameters():
            p.mul_(-1.5).add_(0.1)
    weights = tmp_path / "trained.safetensors"
    save_file(compiled.module.state_dict(), str(weights))
    target = tmp_path / "model.onnx"

    code, out, err = run(capsys, saved(small_doc, tmp_path), "--onnx", target,
                         "--weights", weights, "--dynamic-batch")
    assert code == 0, err
    assert "onnxruntime parity batch 7" in out and f"wrote {target}" in out
    model = onnx.load(str(target))
    props = {p.key: p.value for p in model.metadata_props}
    assert props["name"] == "digits-mlp" and props["version"] == "3"
    assert json.loads(props["class_names"]) == ["cat", "dog", "emu"]
    x = torch.randn(4, 1, 8, 8)
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    (got,) = session.run(["logits"], {"x": x.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(got, compiled.module.eval()(x).numpy(), atol=1e-5)
    assert oct(os.stat(target).st_mode & 0o777) != "0o600"  # not left private by the temp file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "net.nnet.json",
                                                          "trained.safetensors"]


def test_weights_that_do_not_match_name_the_keys(small_doc, tmp_path, capsys):
    state = compile_network(small_doc, "model").module.state_dict()
    state.pop("linear2.bias")
    state["head.weight"] = torch.zeros(2)
    weights = tmp_path / "other.safetensors"
    save_file(state, str(weights))
    code, _, err = run(capsys, saved(small_doc, tmp_path), "--onnx", tmp_path / "m.onnx",
                       "--weights", weights)
    assert code == 2
    assert "missing keys: linear2.bias; unexpected keys: head.weight" in err
    assert not (tmp_path / "m.onnx").exists()


def test_pickled_weights_are_refused(small_doc, tmp_path, capsys):
    weights = tmp_path / "weights.pt"
    torch.save(compile_network(small_doc, "model").module.state_dict(), weights)
    code, _, err = run(capsys, saved(small_doc, tmp_path), "--onnx", tmp_path / "m.onnx",
                       "--weights", weights)
    assert code == 2 and "not a readable safetensors file" in err


def test_invalid_document_is_refused_with_its_diagnostics(tmp_path, capsys):
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[3, 8, 8])
    b.add("conv.Conv2d", x, id="conv1", out_channels=4, kernel_size=20)
    b.add("io.Output", b.add("linear.Linear", id="fc"), name="y")  # fc has no input
    code, out, err = run(capsys, saved(doc, tmp_path), "--onnx", tmp_path / "m.onnx")
    assert code == 2
    assert "the network has errors" in err and "conv1" in err and "fc" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.nnet.json"]


def test_a_failing_export_leaves_no_file(tmp_path, capsys):
    from support.export_docs import unpool_doc
    target = tmp_path / "unpool.onnx"
    code, _, err = run(capsys, saved(unpool_doc(), tmp_path), "--onnx", target,
                       "--exporter", "torchscript")
    assert code == 2
    assert "unpool (pooling.MaxUnpool2d): the TorchScript exporter cannot express " \
           "max_unpool2d" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.nnet.json"]  # no temp files


def test_a_bad_second_target_stops_before_the_first_is_written(small_doc, tmp_path, capsys):
    (tmp_path / "bundle").write_text("a file, not a folder")
    code, _, err = run(capsys, saved(small_doc, tmp_path), "--onnx", tmp_path / "m.onnx",
                       "--bundle", tmp_path / "bundle")
    assert code == 2 and "--bundle" in err and "is not a folder" in err
    assert not (tmp_path / "m.onnx").exists()


def test_parity_above_the_limit_fails(small_doc):
    compiled = compile_network(small_doc, "model", seed=0)
    result = export_onnx(compiled, small_doc, "model")
    with pytest.raises(ExportError, match=r"output 'logits' differs from PyTorch by .* at "
                                          r"batch 1 \(limit 1e-30\)"):
        onnx_parity(result.model, compiled, small_doc, "model", False, tolerance=1e-30)


def test_unreachable_opset_falls_back_to_torchscript_and_says_so(tmp_path, capsys):
    target = tmp_path / "lenet.onnx"
    code, out, err = run(capsys, "lenet5", "--onnx", target, "--opset", 13, "--dynamic-batch")
    assert code == 0, err
    assert ("note: the dynamo exporter produced opset 18, not the requested 13; used the "
            "TorchScript exporter instead") in out
    model = onnx.load(str(target))
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [13]
    assert {p.key: p.value for p in model.metadata_props}["exporter"] == "torchscript"


def test_torch_export_program_loads_and_matches(tmp_path, capsys):
    target = tmp_path / "lenet.pt2"
    code, out, err = run(capsys, "lenet5", "--pt2", target, "--dynamic-batch")
    assert code == 0, err
    assert "torch.export parity batch 7" in out
    program = torch.export.load(str(target))
    doc_module = compile_network(_lenet(), "model", seed=0).module.eval()
    x = torch.randn(3, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(program.module()(x), doc_module(x), rtol=0, atol=1e-5)


def _lenet():
    from studio.core.templates import open_document
    return open_document("lenet5")[0]


def test_gan_exports_its_generator_by_default(tmp_path, capsys):
    target = tmp_path / "g.onnx"
    code, out, err = run(capsys, "dcgan", "--preset", "small", "--onnx", target)
    assert code == 0, err
    assert "network 'generator'" in out
    props = {p.key: p.value for p in onnx.load(str(target)).metadata_props}
    assert props["network"] == "generator" and props["preset"] == "small"


def test_nothing_to_export_and_unknown_network_are_one_line_errors(capsys):
    code, _, err = run(capsys, "lenet5")
    assert code == 2 and "nothing to export" in err
    code, _, err = run(capsys, "lenet5", "--network", "critic", "--onnx", "x.onnx")
    assert code == 2 and "no network 'critic'" in err and "model" in err


def test_weights_from_a_training_checkpoint(small_doc, tmp_path, capsys):
    from studio.train.runs import save_checkpoint
    trained = compile_network(small_doc, "model", training=True, seed=3).module
    optimizer = torch.optim.Adam(trained.parameters())
    trained(torch.randn(2, 1, 8, 8), torch.tensor([0, 1]))["losses"]["crossentropy1"].backward()
    optimizer.step()  # the checkpoint then also holds optimizer tensors, as a real one does
    save_checkpoint(tmp_path, "best", {"model": trained}, {"model": optimizer}, {"epoch": 1})
    target = tmp_path / "m.onnx"
    code, _, err = run(capsys, saved(small_doc, tmp_path), "--onnx", target,
                       "--weights", tmp_path / "checkpoints" / "best.safetensors")
    assert code == 0, err
    x = torch.randn(1, 1, 8, 8)
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        expected = trained.eval()(x, torch.tensor([0]))["outputs"]["logits"]
    np.testing.assert_allclose(session.run(None, {"x": x.numpy()})[0], expected.numpy(),
                               atol=1e-5)
