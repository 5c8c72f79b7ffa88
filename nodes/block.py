"""A node that instantiates a reusable block (a sub-graph defined in the same document).

Its real ports are those of the block definition (its BlockInput/BlockOutput nodes), so the
static ports below are placeholders; shape inference and the compiler expand it themselves,
which is why it has no ``build``.
"""
from nodes.base import BLOCK, NodeType, Param, Port, register

register(
    NodeType(
        id="block.Block", title="Block", category="Blocks",
        doc="An instance of a reusable block, optionally repeated in sequence.",
        inputs=(Port("x"),), outputs=(Port("y"),),
        params=(Param("block", "block", "", "name of the block definition to instantiate"),
                Param("repeat", "int", 1, "copies chained one after another (each with its own "
                      "weights); needs matching input and output ports", min=1)),
        build=None, role=BLOCK, summary=("block", "repeat"),
        shape_doc="the block definition's ports",
    ),
)
