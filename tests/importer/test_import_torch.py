"""Importing PyTorch models: torchvision with blocks and weights, the user's own code, failures.

Every import proves itself (the compiled document against the original, ``report.max_abs_diff``);
these tests also reopen what was written and check it computes the same.
"""
import json
import math
import sys
import textwrap

import pytest
import torch
import torchvision
from safetensors.torch import load_file, save_file
from torch import nn

import nodes.module as module_node
from studio.cli import main
from studio.compile.fx import compile_network
from studio.core.serialize import load
from studio.core.validate import validate_network
from studio.importer import ImportFailed, import_model, import_module, write_import


def _compiled(doc_path):
    doc, diagnostics = load(doc_path)
    assert diagnostics == []
    module = compile_network(doc).module.eval()
    weights = load_file(str(doc_path.parent / doc.training["init_weights"]))
    module.load_state_dict(weights, strict=True)
    return module


def test_resnet18_imports_with_blocks_and_its_batch_norm_statistics(tmp_path):
    torch.manual_seed(0)
    original = torchvision.models.resnet18(num_classes=10).eval()
    for m in original.modules():  # statistics that are not the defaults must come across
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    weights = tmp_path / "r18.pt"
    torch.save(original.state_dict(), weights)

    result = import_model("torchvision:resnet18?num_classes=10", input_shape=(1, 3, 32, 32),
                          weights=str(weights))

    report = result.report
    assert report.method == "fx" and report.max_abs_diff < 1e-5
    assert report.nodes == report.catalogue_nodes == 69
    doc = result.document
    assert sorted(doc.blocks) == ["BasicBlock", "BasicBlock_2"]  # with and without downsample
    top = doc.networks["model"].nodes
    blocks = [n for n in top.values() if n.type == "block.Block"]
    assert [n.id for n in blocks] == [f"layer{i}_{j}" for i in range(1, 5) for j in range(2)]
    assert top["layer2_0"].params["block"] == "BasicBlock_2"
    assert top["layer3_1"].params["conv1_out_channels"] == 256  # what differs is a parameter
    assert "layer1_0.conv1.weight" in result.state_dict

    doc_path, weights_path = write_import(result, tmp_path / "r18.nnet.json")
    assert weights_path.name == "r18.safetensors"
    assert json.loads(doc_path.read_text())["training"]["init_weights"] == "r18.safetensors"
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(_compiled(doc_path)(x), original(x), atol=1e-5, rtol=0)


NET = """
import torch
from torch import nn


class Gate(nn.Module):
    '''Data-dependent control flow: torch.fx cannot trace this.'''

    def __init__(self, features, scale=2.0):
        super().__init__()
        self.features, self.scale = features, scale
        self.weight = nn.Parameter(torch.linspace(-1, 1, features))

    def forward(self, x):
        if x.sum() > 0:
            return x * self.weight * self.scale
        return x - self.weight


class Net(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.fc1 = nn.Linear(6, hidden)
        self.gate = Gate(hidden, scale=3.0)
        self.fc2 = nn.Linear(hidden, 3)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.relu(self.gate(self.fc1(x)))), dim=1)
"""


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(textwrap.dedent(NET))
    return path


def test_an_untraceable_layer_becomes_a_module_node_imported_only_when_trusted(user_file,
                                                                                 tmp_path):
    source = f"python:{user_file}:Net"
    untrusted = import_model(source, input_shape=(1, 6), kwargs={"hidden": 5})
    gate = untrusted.document.networks["model"].nodes["gate"]
    assert gate.type == "module.Module" and gate.params["cls"] == f"{user_file}:Gate"
    assert json.loads(gate.params["kwargs"]) == {"features": 5, "scale": 3.0}
    assert math.isnan(untrusted.report.max_abs_diff)
    assert any("--trust" in note for note in untrusted.report.notes)
    assert any("gate: fx cannot trace it" in note for note in untrusted.report.notes)
    assert (untrusted.report.nodes, untrusted.report.module_nodes) == (5, 1)

    trusted = import_model(source, input_shape=(1, 6), kwargs={"hidden": 5}, trust=True)
    assert trusted.report.max_abs_diff < 1e-5
    assert not module_node.is_trusted(gate.params["cls"])  # trusted for the proof only


def test_a_document_whose_user_code_is_missing_says_which_import(user_file, tmp_path):
    result = import_model(f"python:{user_file}:Net", input_shape=(1, 6), trust=True)
    doc_path, _ = write_import(result, tmp_path / "net.nnet.json")
    reference = f"{user_file}:Gate"
    doc, _ = load(doc_path)

    messages = [d.message for d in validate_network(doc, "model")[0]]
    assert any("needs code from" in m and "--trust" in m for m in messages), messages

    user_file.unlink()
    sys.modules.pop(module_node.file_module_name(str(user_file)), None)
    with module_node.trusting(reference):
        diagnostics = validate_network(doc, "model")[0]
    assert any("is missing" in d.message and str(user_file) in d.message
               for d in diagnostics), [str(d) for d in diagnostics]
    assert doc.networks["model"].nodes["gate"].params["cls"] == reference  # nothing lost


class _Branchy(nn.Module):
    def forward(self, x):
        if x.mean() > 0:  # at the root: no submodule to keep as a Module node
            return x
        return -x


def test_an_untraceable_model_fails_with_one_clear_line():
    with pytest.raises(ImportFailed) as failure:
        import_module(_Branchy(), input_shape=(1, 4))
    message = str(failure.value)
    assert message.startswith("_Branchy: torch.fx cannot trace it") and "\n" not in message


class _Unbatched(nn.Module):
    """Shape-dependent Python at the root: torch.fx cannot trace it, torch.export can."""

    def __init__(self):
        super().__init__()
        self.features = torchvision.models.resnet18(num_classes=4)

    def forward(self, x):
        if x.dim() == 3:
            x = x.unsqueeze(0)
        return self.features(x)


def test_torch_export_is_the_fallback_and_keeps_names_blocks_and_weights():
    torch.manual_seed(0)
    result = import_module(_Unbatched().eval(), input_shape=(1, 3, 32, 32))
    report = result.report
    assert report.method == "export" and report.max_abs_diff < 1e-5
    assert report.nodes == report.catalogue_nodes == 69
    assert any("imported from torch.export" in note for note in report.notes)
    assert sorted(result.document.blocks) == ["BasicBlock", "BasicBlock_2"]
    assert "features_layer1_0.conv1.weight" in result.state_dict


class _InPlace(nn.Module):
    """``y + y.relu_()``: eager mode adds the rectified y twice; a graph without the in-place
    update would add y and relu(y). The proof must notice and name the node."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.fc(x)
        return y + y.relu_()


def test_the_proof_names_the_first_node_that_differs():
    torch.manual_seed(0)
    with pytest.raises(ImportFailed, match=r"differ by .*first node that differs is add "
                                           r"\(merge.Add"):
        import_module(_InPlace(), input_shape=(1, 4))


@pytest.mark.parametrize("source, message", [
    ("torchvision:resnet1", "no such model builder"),
    ("nonsense", "expected torchvision:NAME"),
    ("python:missing_file.py:Net", "no such Python file"),
    ("timm:resnet18", "timm is not installed"),
])
def test_bad_sources_are_one_line(source, message, monkeypatch):
    monkeypatch.setitem(sys.modules, "timm", None)  # as on a machine without the extra
    with pytest.raises(ImportFailed, match=message):
        import_model(source, input_shape=(1, 3, 32, 32))


def test_weights_files_are_checked(tmp_path, monkeypatch):
    wrong = tmp_path / "wrong.safetensors"
    save_file({"fc.weight": torch.zeros(2, 2)}, str(wrong))
    with pytest.raises(ImportFailed, match="does not fit the model"):
        import_model("torchvision:squeezenet1_1?num_classes=3", input_shape=(1, 3, 32, 32),
                     weights=str(wrong))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty cache, here too
    with pytest.raises(ImportFailed, match="squeezenet1_1-.*pth is not in the local torch hub "
                                           "cache .* download it once with"):
        import_model("torchvision:squeezenet1_1", weights="DEFAULT")


def test_the_command_writes_the_pair_and_prints_the_report(user_file, tmp_path, capsys):
    out = tmp_path / "net.nnet.json"
    code = main(["import", f"python:{user_file}:Net", "-o", str(out), "--input", "1x6",
                 "--kw", "hidden=4", "--trust"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "method: fx" in printed and "max abs diff: 0" in printed
    assert out.exists() and (tmp_path / "net.safetensors").exists()
    assert main(["import", "torchvision:resnet18", "-o", str(out), "--input", "3x"]) == 2
    assert "--input 3x" in capsys.readouterr().err


def test_progress_reports_each_stage_and_false_cancels(user_file):
    seen = []
    result = import_model(f"python:{user_file}:Net", input_shape=(1, 6), trust=True,
                          progress=lambda fraction, what: seen.append((fraction, what)) or True)
    assert result.report.max_abs_diff < 1e-5
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    with pytest.raises(ImportFailed, match="cancelled"):
        import_model(f"python:{user_file}:Net", input_shape=(1, 6),
                     progress=lambda fraction, what: fraction < 0.5)
