"""The node catalogue: one module per family, each registering its types on import."""
from nodes.base import (  # noqa: F401
    BLOCK, BLOCK_INPUT, BLOCK_OUTPUT, INPUT, LAYER, LOSS, OUTPUT, TARGET,
    BuildContext, NodeType, Param, Port, TensorSpec, all_types, ctor, lookup, register,
)
from nodes import io, linear, activation  # noqa: F401,E402  (registration side effects)

try:  # families written in parallel land here as they arrive
    from nodes import conv, pooling, norm, reshape, merge, recurrent, generative, loss, block  # noqa: F401
except ImportError:  # pragma: no cover - removed once every family exists
    pass
