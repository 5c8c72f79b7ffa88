"""The one rule that names the class of generated code (code panel, ``netstudio code``,
bundles): the document's name, the network's added when it is not ``model``."""
import pytest

from studio.cli import main
from studio.compile.codegen import document_class_name
from studio.core.document import Document
from studio.core.names import class_name_for
from studio.core.serialize import save
from studio.core.templates import open_document


@pytest.mark.parametrize("name, network, expected", [
    ("My Net", "model", "MyNet"),
    ("dcgan", "generator", "DcganGenerator"),
    ("", "model", "Model"),
    ("", "critic", "ModelCritic"),
    ("123", "model", "Model"),  # digits make no identifier
])
def test_the_class_name_comes_from_the_document_and_network(name, network, expected):
    doc = Document()
    doc.meta = {"name": name}
    assert document_class_name(doc, network) == expected


@pytest.mark.parametrize("text, expected", [
    ("BasicBlock", "BasicBlock"),  # a block's own capitals stay (fx names block classes so too)
    ("basic_down", "BasicDown"),
    ("vgg-16 net", "Vgg16Net"),
    ("none", "Model"),  # "None" is a keyword
])
def test_the_rule_for_any_text(text, expected):
    assert class_name_for(text) == expected


def test_a_copied_layer_class_is_never_shadowed():
    doc = Document()
    doc.meta = {"name": "Reparameterize"}
    assert document_class_name(doc, "model", avoid={"Reparameterize"}) == "ReparameterizeModel"


def test_netstudio_code_uses_the_rule(tmp_path, capsys):
    doc, _, _ = open_document("perceptron")
    doc.meta["name"] = "My Net"
    path = tmp_path / "net.nnet.json"
    save(doc, path)
    assert main(["code", str(path)]) == 0
    assert "\nclass MyNet(nn.Module):" in capsys.readouterr().out


def test_netstudio_code_names_a_second_network_as_a_bundle_does(capsys):
    doc, _, _ = open_document("dcgan")
    assert main(["code", "dcgan", "--network", "generator"]) == 0
    expected = document_class_name(doc, "generator")
    assert expected == "DcganGenerator"
    assert f"\nclass {expected}(nn.Module):" in capsys.readouterr().out
