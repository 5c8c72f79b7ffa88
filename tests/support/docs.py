"""Small documents several test modules build on."""
from studio.core.builder import GraphBuilder
from studio.core.document import BlockDef, Document, Graph


def residual_doc(repeat=3):
    """Conv stem, then a residual block repeated ``repeat`` times, pooled to logits."""
    doc = Document(variables={"width": 8})
    doc.blocks["basic"] = BlockDef(Graph(), params={"channels": 8})
    inner = GraphBuilder(doc, "block:basic")
    x = inner.add("io.BlockInput", name="x")
    h = inner.add("activation.ReLU", inner.add("conv.Conv2d", x, id="conv1",
                                                out_channels="$channels", kernel_size=3, padding=1))
    h = inner.add("conv.Conv2d", h, id="conv2", out_channels="$channels", kernel_size=3, padding=1)
    inner.add("io.BlockOutput", inner.add("merge.Add", h, x), name="y")
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[3, 16, 16], name="image")
    h = b.add("conv.Conv2d", x, id="conv1", out_channels="$width", kernel_size=3, padding=1)
    h = b.add("block.Block", h, id="layer1", block="basic", repeat=repeat, channels="$width")
    h = b.add("pooling.GlobalAvgPool", h)
    logits = b.add("linear.Linear", h, out_features=5)
    b.add("io.Output", logits, name="logits")
    y = b.add("io.Target", shape=[], dtype="int64", name="label")
    b.add("loss.CrossEntropy", logits, y)
    return doc
