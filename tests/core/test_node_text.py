"""The text on canvas nodes: titles that tell nodes apart, one-line outlines of blocks."""
import pytest

from studio.core.document import Edge
from studio.core.node_text import block_miniature, block_outline, node_title
from studio.core.templates import open_document


@pytest.mark.parametrize("name, type_title, title", [
    ("mu", "Linear", "mu · Linear"),  # the VAE's two Linear nodes no longer look the same
    ("logvar", "Linear", "logvar · Linear"),
    ("relu1", "ReLU", "relu1"),  # the id already says the type
    ("conv1", "Conv2d", "conv1 · Conv2d"),
    ("maxpool", "MaxPool2d", "maxpool · MaxPool2d"),
])
def test_titles_give_the_id_and_the_type_where_they_differ(name, type_title, title):
    assert node_title(name, type_title) == title


@pytest.mark.parametrize("template, block, outline", [
    ("resnet50", "bottleneck", "conv1×1 → conv3×3 → conv1×1 + skip"),
    ("resnet50", "bottleneck_down", "conv1×1 → conv3×3 → conv1×1 + conv1×1 skip"),
    ("resnet18", "basic", "conv3×3 → conv3×3 + skip"),
    ("unet", "up", "deconv2×2/2 → cat skip → double_conv"),
    ("unet", "down", "maxpool → double_conv"),
    ("dcgan", "up", "deconv4×4/2 → bn → relu"),  # little shaping: every step named
])
def test_block_outlines(template, block, outline):
    doc, _, _ = open_document(template)
    assert block_outline(doc, block) == outline


def test_miniature_follows_the_main_path():
    doc, _, _ = open_document("resnet18")
    assert block_miniature(doc, "basic") == ["Convolution", "Normalization", "Activation",
                                              "Convolution", "Normalization", "Merge",
                                              "Activation"]


def test_broken_blocks_give_what_can_be_read_never_an_exception():
    doc, _, _ = open_document("resnet18")
    graph = doc.blocks["basic"].graph
    graph.edges.append(Edge(("ghost", "y"), ("conv1", "x")))  # a node the file lacks
    assert block_outline(doc, "basic") == "conv3×3 → conv3×3 + skip"
    assert block_outline(doc, "no-such-block") == "" and block_outline(doc, ["basic"]) == ""
    graph.edges.append(Edge(("relu", "y"), ("conv1", "x")))  # a loop
    assert block_outline(doc, "basic") == "" and block_miniature(doc, "basic") == []
