"""Compilation to torch.fx and standalone code export, checked against real forwards."""
import subprocess
import sys

import pytest
import torch

from studio.compile.codegen import export_code
from studio.compile.fx import CompileError, NodeRuntimeError, compile_network, legal_name
from studio.core.templates import open_document

from support.docs import residual_doc


def test_blocks_become_nested_submodules_with_torchvision_style_names():
    compiled = compile_network(residual_doc(), seed=0)
    names = dict(compiled.module.named_parameters())
    assert "layer1.0.conv1.weight" in names and "layer1.2.conv2.bias" in names
    assert isinstance(compiled.module.layer1, torch.nn.Sequential)
    assert compiled.node_of("layer1") == "layer1"
    assert compiled.inputs == ["image"] and compiled.outputs == ["logits"]


def test_inference_module_prunes_losses_and_targets():
    compiled = compile_network(residual_doc())
    code = compiled.module.code
    assert "crossentropy" not in code and "label" not in code
    assert compiled.module(torch.randn(2, 3, 16, 16)).shape == (2, 5)


def test_training_module_returns_outputs_and_losses():
    compiled = compile_network(residual_doc(), training=True)
    assert compiled.targets == ["label"]
    out = compiled.module(torch.randn(4, 3, 16, 16), torch.tensor([0, 1, 2, 3]))
    assert set(out) == {"outputs", "losses"}
    assert out["losses"]["crossentropy1"].ndim == 0
    assert compiled.losses == {"crossentropy1": 1.0}


def test_compiled_module_matches_the_hand_written_one():
    doc, _, _ = open_document("lenet5")
    compiled = compile_network(doc, seed=0)
    reference = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5), torch.nn.Tanh(), torch.nn.AvgPool2d(2, 2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.Tanh(), torch.nn.AvgPool2d(2, 2),
        torch.nn.Conv2d(16, 120, 5), torch.nn.Tanh(), torch.nn.Flatten(),
        torch.nn.Linear(120, 84), torch.nn.Tanh(), torch.nn.Linear(84, 10))
    reference.load_state_dict(dict(zip(reference.state_dict(), compiled.module.state_dict().values())))
    x = torch.randn(3, 1, 32, 32)
    assert torch.equal(reference(x), compiled.module(x))


def test_errors_prevent_compilation_with_diagnostics():
    doc = residual_doc()
    doc.networks["model"].nodes["linear1"].params["out_features"] = -1
    with pytest.raises(CompileError) as info:
        compile_network(doc)
    assert info.value.diagnostics[0].node == "linear1"
    assert "out_features" in str(info.value)


def test_runtime_error_names_the_node():
    compiled = compile_network(residual_doc())
    with pytest.raises(NodeRuntimeError) as info:
        compiled.run_located(torch.randn(2, 4, 16, 16))  # 4 channels where 3 are declared
    assert info.value.node_id == "conv1"


def test_legal_names_avoid_module_attributes():
    taken = set()
    assert legal_name("training", taken) == "n_training"
    assert legal_name("3x3", taken) == "n_3x3"
    assert legal_name("a-b", taken) == "a_b" and legal_name("a b", taken) == "a_b_2"


@pytest.mark.parametrize("make", [residual_doc, lambda: open_document("lenet5")[0],
                                  lambda: open_document("mlp")[0]])
def test_exported_code_gives_identical_outputs(make, tmp_path):
    doc = make()
    compiled = compile_network(doc, seed=1)
    source = export_code(compiled, "Net")
    path = tmp_path / "net.py"
    path.write_text(source)
    assert "import torch" in source and "studio" not in source.replace("NetStudio", "")
    namespace = {}
    exec(compile(source, str(path), "exec"), namespace)
    model = namespace["Net"]()
    model.load_state_dict(compiled.module.state_dict())
    x = torch.randn(4, *compiled.shapes.outputs[next(iter(compiled.shapes.outputs))]["y"].shape[1:])
    assert torch.equal(model(x), compiled.module(x))


def test_exported_code_runs_in_a_process_that_only_has_torch(tmp_path):
    compiled = compile_network(residual_doc(), seed=0)
    (tmp_path / "net.py").write_text(export_code(compiled, "Net"))
    torch.save(compiled.module.state_dict(), tmp_path / "w.pt")
    script = ("import sys, torch; sys.modules['studio'] = None; sys.modules['nodes'] = None\n"
              "from net import Net\nm = Net(); m.load_state_dict(torch.load('w.pt', weights_only=True))\n"
              "print(m(torch.zeros(1, 3, 16, 16)).shape)")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, check=True)
    assert "torch.Size([1, 5])" in out.stdout


def test_stored_variable_expressions_are_resolved_when_passed_as_is():
    doc, _, _ = open_document("dcgan")
    assert any(isinstance(v, str) and v.startswith("=") for v in doc.variables.values())
    compiled = compile_network(doc, "discriminator", doc.variables)
    assert compiled.shapes.total_params > 0
