"""Where tensors enter and leave a network: Input, Target, Output, and a block's own ports."""
from torch import nn

from nodes.base import (BLOCK_INPUT, BLOCK_OUTPUT, INPUT, OUTPUT, TARGET, NodeType, Param, Port,
                        ctor, register)

DTYPES = ("float32", "int64")

_data_params = (
    Param("name", "str", "x", "name of the model's input (also the ONNX input name)"),
    Param("shape", "shape", [1, 28, 28], "shape of one sample, without the batch dimension"),
    Param("dtype", "choice", "float32", "element type", choices=DTYPES),
    Param("field", "str", "x", "the dataset field this input reads"),
)

register(
    NodeType(
        id="io.Input", title="Input", category="Input/Output",
        doc="A model input: one sample of the given shape, batched.",
        inputs=(), outputs=(Port("y"),), params=_data_params, role=INPUT,
        summary=("shape",), shape_doc="() -> (N, *shape)",
    ),
    NodeType(
        id="io.Target", title="Target", category="Input/Output",
        doc="A training target (labels, masks, next tokens); left out of the exported model.",
        inputs=(), outputs=(Port("y"),),
        params=(
            Param("name", "str", "target", "name of the target"),
            Param("shape", "shape", [], "shape of one target, without the batch dimension"),
            Param("dtype", "choice", "int64", "element type", choices=DTYPES),
            Param("field", "str", "y", "the dataset field this target reads"),
        ),
        role=TARGET, summary=("shape", "dtype"), shape_doc="() -> (N, *shape)",
    ),
    NodeType(
        id="io.Output", title="Output", category="Input/Output",
        doc="A model output; its name becomes the ONNX output name.",
        inputs=(Port("x"),), outputs=(),
        params=(Param("name", "str", "y", "name of the output"),),
        build=lambda c: ctor(nn.Identity), role=OUTPUT, summary=("name",),
        shape_doc="(*) -> (*)",
        test_cases=(({}, [(2, 10)]), ({"name": "logits"}, [(2, 3, 8, 8)])),
    ),
    NodeType(
        id="io.BlockInput", title="Block input", category="Input/Output",
        doc="An input port of the block this graph defines.",
        inputs=(), outputs=(Port("y"),),
        params=(Param("name", "str", "x", "port name on the Block node"),),
        role=BLOCK_INPUT, summary=("name",),
    ),
    NodeType(
        id="io.BlockOutput", title="Block output", category="Input/Output",
        doc="An output port of the block this graph defines.",
        inputs=(Port("x"),), outputs=(),
        params=(Param("name", "str", "y", "port name on the Block node"),),
        role=BLOCK_OUTPUT, summary=("name",),
    ),
)
