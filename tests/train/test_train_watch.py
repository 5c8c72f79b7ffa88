"""What the dashboard watches in a run, computed without Qt: the watched nodes by role and the
input shape under the run's preset."""
import pytest

from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.core.params import ParamError
from studio.core.templates import open_document
from studio.train.watch import WATCHED_MAX, dashboard_overrides, input_shape, watched_nodes


def sized_doc() -> Document:
    """Input ($size x $size) -> Conv2d -> Flatten -> Linear -> MSE against a Target -> Output."""
    doc = Document()
    doc.variables = {"size": 8, "side": "=size"}
    doc.presets = {"large": {"size": 28}}
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[1, "$side", "$side"])
    c = b.add("conv.Conv2d", x, out_channels=2, kernel_size=3)
    f = b.add("reshape.Flatten", c)
    lin = b.add("linear.Linear", f, out_features=3)
    t = b.add("io.Target", shape=[3])
    b.add("loss.MSE", lin, t)
    b.add("io.Output", lin)
    return doc


def test_a_preset_that_changes_the_input_size_changes_the_input_shape():
    doc = sized_doc()
    assert input_shape(doc) == (1, 8, 8)
    assert input_shape(doc, preset="large") == (1, 28, 28)
    assert input_shape(doc, overrides={"size": 5}) == (1, 5, 5)


def test_a_template_preset_applies():
    doc, _, _ = open_document("lenet5")
    assert input_shape(doc) == (1, 32, 32)
    assert input_shape(doc, preset="mnist28") == (1, 28, 28)


def test_an_unknown_preset_is_an_error_naming_it():
    with pytest.raises(ParamError, match="nope"):
        input_shape(sized_doc(), preset="nope")


def test_no_input_or_a_shape_that_does_not_resolve_gives_none():
    doc = sized_doc()
    graph = doc.networks["model"]
    first = next(n for n in graph.nodes.values() if n.type == "io.Input")
    first.params["shape"] = [1, "$missing", 8]
    assert input_shape(doc) is None
    del graph.nodes[first.id]
    assert input_shape(doc) is None


def test_watched_nodes_are_the_layers_not_inputs_targets_losses_or_outputs():
    doc = sized_doc()
    kinds = {n.id: n.type for n in doc.networks["model"].nodes.values()}
    watched = watched_nodes(doc)
    assert [kinds[n] for n in watched] == ["conv.Conv2d", "reshape.Flatten", "linear.Linear"]
    assert dashboard_overrides(doc)["snapshot"]["nodes"] == watched


def test_watched_nodes_are_bounded_and_fall_back_to_the_first_network():
    doc, _, _ = open_document("resnet50")
    assert len(watched_nodes(doc)) == WATCHED_MAX
    gan, _, _ = open_document("dcgan")
    assert "model" not in gan.networks
    first = next(iter(gan.networks.values()))
    assert set(watched_nodes(gan)) <= set(first.nodes)
