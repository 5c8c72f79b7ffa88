"""The node catalogue: one module per family, each registering its types on import."""
from nodes.base import (  # noqa: F401
    BLOCK, BLOCK_INPUT, BLOCK_OUTPUT, INPUT, LAYER, LOSS, OUTPUT, TARGET,
    BuildContext, NodeType, Param, Port, TensorSpec, all_types, ctor, is_inspectable, lookup,
    register, role_of,
)
# Importing a family registers its types (all_types() keeps this order).
from nodes import (  # noqa: F401,E402
    io, linear, activation, conv, pooling, norm, reshape, merge, recurrent, generative, loss,
    block, module, transformer,
)
from nodes import tied  # noqa: F401,E402  (tied-weight Linear: reuses a Linear's weight)
from nodes import som  # noqa: F401,E402  (Kohonen self-organizing map)
