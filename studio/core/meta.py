"""Run one node on ``device="meta"`` tensors: exact output shapes without computing anything.

This is the single primitive behind shape inference; nothing here is a hand-written formula.
It is also where sizes are bounded: a document is untrusted, and ``out_channels = 10**12`` must
become a diagnostic ("4 TB of weights (budget 2 GB)") here, on meta tensors, before the compiler
or a CPU fallback tries to allocate it.

Cold start: torch's meta kernels for elementwise ops (add, relu, the bias of a linear layer) are
Python references whose first call imports torch._dynamo and sympy, seconds of a process's start
for 45 ms of work afterwards. Until that import has happened, a small node (see :func:`_cheap`)
runs for real on the CPU instead: built on meta (sizes checked first), moved to uninitialized
CPU memory (no initialization, no random numbers drawn) and run on zeros. That is still the
node's own forward, so as exact as meta; any failure on that path falls back to meta, whose
answer and messages are authoritative. A real run costs more than a warm meta run on big graphs,
so the CPU path stops once it has spent ``CPU_PATH_SECONDS`` in this process (about what the
import costs: rent until the rent would have bought it) or once anything imported dynamo.
"""
from __future__ import annotations

import functools
import math
import sys
import threading
import time
import warnings

import torch

from nodes.base import BuildContext, NodeType, TensorSpec, built_on_meta, thread_flag

BYTES_PER_PARAM = 4  # nodes build their weights in float32
# The weights of one node, and of one whole network. 2 GB is 500 M float32 parameters, 3.6x
# VGG-16, the largest network of the course; past it, building and initializing the weights
# alone takes a desktop many seconds and most of its memory, so the document is refused before.
PARAM_BUDGET_BYTES = 2 * 10**9
TENSOR_BUDGET_BYTES = 4 * 10**9  # one activation at the inference batch of 2
REAL_RUN_BUDGET_BYTES = 2**28  # real (CPU) tensors a shape check may allocate: stand-ins, fallbacks
_STAND_IN_CHANNELS = 2**16  # above this a same-shape node is checked on meta tensors instead
# A node runs on the CPU (see the module docstring) within these bounds: real work of a few ms,
# and no parameter large enough to blow a small input up into a large output (padding, sizes)
CPU_INPUT_ELEMENTS = 2**18
CPU_WEIGHT_ELEMENTS = 2**22
# weights x input positions: a layer's work, over-estimated. 2**22 is ~0.4 ms of real conv on
# one core against ~0.06 ms on meta once torch's imports are done: past it the real run costs
# more per node than it saves (cold start's networks, lenet5 to resnet's stem, stay below it)
CPU_MULTIPLY_ADDS = 2**22
CPU_PARAM_VALUE = 2**12
CPU_OUTPUT_ELEMENTS = 2**25  # input elements x (a non-weight number)**3: 128 MB of float32 at most
CPU_PATH_SECONDS = 1.0  # CPU time real runs may take in a process before meta takes over
_cpu_path_spent = 0.0


# torch.nn.init's fills, which layers call from their constructors (reset_parameters). On meta
# tensors they are Python decompositions (kaiming_uniform_ -> uniform_ -> a dozen prims) that
# produce nothing: a third of a cold inference. :func:`no_init` skips them on this thread only.
_INIT_FILLS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
               "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
               "kaiming_normal_", "orthogonal_", "sparse_")
_no_init = threading.local()


def _skippable(fill):
    @functools.wraps(fill)
    def maybe_fill(tensor, *args, **kwargs):
        if getattr(_no_init, "on", False):
            return tensor
        return fill(tensor, *args, **kwargs)
    maybe_fill.netstudio_skippable = True
    return maybe_fill


_no_init_installed = False


def _install_skippable_fills() -> None:
    """Wrap torch.nn.init's fills, once per process; each wrapper defers to the original."""
    global _no_init_installed
    init = torch.nn.init
    for name in _INIT_FILLS:
        fill = getattr(init, name, None)
        if fill is not None and not getattr(fill, "netstudio_skippable", False):
            setattr(init, name, _skippable(fill))
    _no_init_installed = True


def no_init():
    """Build layers without filling their weights, on this thread (other threads, e.g. the lab
    building a real model, are untouched). Only for modules on meta or about to be replaced by
    uninitialized memory: their values are never read. Layers calling ``torch.nn.init`` under
    another name still fill: slower, never wrong."""
    if not _no_init_installed:
        _install_skippable_fills()
    return thread_flag(_no_init)


class BudgetError(Exception):
    """A node too large to build; the message is the diagnostic ("4 TB of weights (...)")."""


def human_bytes(n: float) -> str:
    """``4 TB``, ``512 MB``: decimal units, as disks and the budgets above are stated."""
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if n >= 10 or n == int(n) else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def spec_bytes(spec: TensorSpec) -> int:
    return math.prod(spec.shape) * getattr(torch, spec.dtype).itemsize


def check_tensor(spec: TensorSpec | None, what: str) -> None:
    """:class:`BudgetError` when one tensor of ``spec`` would pass the activation budget."""
    if spec is not None and spec_bytes(spec) > TENSOR_BUDGET_BYTES:
        raise BudgetError(f"{what} ({spec.label()}) is {human_bytes(spec_bytes(spec))} at batch "
                          f"{spec.shape[0] if spec.shape else 1} "
                          f"(budget {human_bytes(TENSOR_BUDGET_BYTES)} per tensor)")


def check_weights(count: int) -> None:
    if count * BYTES_PER_PARAM > PARAM_BUDGET_BYTES:
        raise BudgetError(f"{human_bytes(count * BYTES_PER_PARAM)} of weights "
                          f"(budget {human_bytes(PARAM_BUDGET_BYTES)})")


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def spec_of(tensor: torch.Tensor) -> TensorSpec:
    return TensorSpec(tuple(tensor.shape), dtype_name(tensor.dtype))


def trim(inputs: list) -> list:
    """Drop trailing open optional ports so modules see only what is connected."""
    inputs = list(inputs)
    while inputs and inputs[-1] is None:
        inputs.pop()
    return inputs


def example(spec: TensorSpec | None, device: str):
    if spec is None:
        return None
    dtype = getattr(torch, spec.dtype)
    if device == "meta":
        return torch.empty(spec.shape, dtype=dtype, device="meta")
    return torch.zeros(spec.shape, dtype=dtype)


def outputs_of(result) -> list[TensorSpec]:
    if isinstance(result, torch.Tensor):
        return [spec_of(result)]
    return [spec_of(t) for t in result]


def count_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def stand_in(spec: TensorSpec, rule: str) -> TensorSpec:
    """The smallest tensor that exercises a same-shape node exactly like ``spec`` would."""
    keep = 2 if rule == "channelwise" else 1
    return TensorSpec((*spec.shape[:keep], *(1 for _ in spec.shape[keep:])), spec.dtype)


def _small_stand_in(inputs: list, rule: str | None) -> bool:
    if not rule or len(inputs) != 1 or inputs[0] is None:
        return False
    return spec_bytes(stand_in(inputs[0], rule)) <= _STAND_IN_CHANNELS * 8


def infer_node(node_type: NodeType, params: dict, inputs: list,
               cpu: bool | None = None) -> tuple[list[TensorSpec], int]:
    """Output specs and trainable parameter count of ``node_type`` built for ``inputs``;
    :class:`BudgetError` when its weights, inputs or outputs pass the budgets above.
    ``cpu``: None decides as the module docstring says; True runs every small node on the
    CPU, False every node on meta (tests compare the two paths)."""
    for spec in inputs:
        check_tensor(spec, "the input")
    if _small_stand_in(inputs, node_type.same_shape):
        # a CPU run on a stand-in is exact here and much faster than meta's Python kernels
        small = stand_in(inputs[0], node_type.same_shape)
        module = node_type.build(BuildContext(params, [small])).eval()
        with torch.no_grad():
            out = module(example(small, "cpu"))
        return [TensorSpec(inputs[0].shape, dtype_name(out.dtype))], count_params(module)
    steps = _steps(node_type, inputs)
    if steps is not None:  # run one step; the length comes back in _with_steps below
        axis = node_type.steps_axis
        first = inputs[0]
        inputs = [TensorSpec((*first.shape[:axis], 1, *first.shape[axis + 1:]), first.dtype),
                  *inputs[1:]]
    ctx = BuildContext(params, list(inputs))
    args = trim(inputs)
    try:
        with built_on_meta(), no_init():
            module = node_type.build(ctx)
        count = count_params(module)
        check_weights(count)
        module.eval()
        outputs = _run_on_cpu(module, params, args) if _cpu_path(cpu) else None
        # torch's warnings about the values (a loss broadcasting a target of another size)
        # say nothing here, on empty meta tensors, that the shape diagnostics do not; shown,
        # they would break `netstudio summary`'s one-line error
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if outputs is None:
                outputs = outputs_of(module(*[example(s, "meta") for s in args]))
    except (NotImplementedError, RuntimeError) as error:
        if "meta" not in str(error).lower() and isinstance(error, RuntimeError):
            raise  # a real shape error, not a missing meta kernel
        outputs, count = _infer_on_cpu(node_type, ctx, args)
    if steps is not None:
        outputs = _with_steps(outputs, node_type.steps_axis, len(inputs[0].shape), steps)
    for spec in outputs:
        check_tensor(spec, "the output")
    return outputs, count


def _numbers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)


def _cheap(module: torch.nn.Module, params: dict, args: list) -> bool:
    """Whether a real CPU run of ``module`` on ``args`` is a few ms (see the bounds above)."""
    numbers = list(_numbers(list(params.values())))
    if any(abs(v) > CPU_PARAM_VALUE for v in numbers):
        return False
    specs = [s for s in args if s is not None]
    elements = sum(math.prod(s.shape) for s in specs)
    if elements > CPU_INPUT_ELEMENTS:
        return False
    tensors = [*module.parameters(), *module.buffers()]
    weights = sum(t.numel() for t in tensors)
    # positions a weight is applied at: every element but the channel / feature axis
    positions = max((math.prod(s.shape) // max(s.shape[1], 1) if len(s.shape) > 1
                     else 1 for s in specs), default=1)
    # A number that sizes no weight (a padding, a stride, an upsampling factor or size) can
    # grow the output beyond the input by up to its cube (three spatial axes): a hostile
    # ``scale_factor=4000`` must not allocate terabytes here before meta would refuse it.
    # Numbers that are a weight's dimension are bounded by the weights already.
    weight_dims = {d for t in tensors for d in t.shape}
    growth = max((abs(v) for v in numbers if v not in weight_dims), default=1)
    return (elements <= CPU_INPUT_ELEMENTS and weights <= CPU_WEIGHT_ELEMENTS
            and weights * positions <= CPU_MULTIPLY_ADDS
            and elements * max(growth, 1) ** 3 <= CPU_OUTPUT_ELEMENTS)


def _cpu_path(cpu: bool | None) -> bool:
    if cpu is not None:
        return cpu
    return _cpu_path_spent < CPU_PATH_SECONDS and "torch._dynamo" not in sys.modules


def _run_on_cpu(module: torch.nn.Module, params: dict, args: list) -> list | None:
    """Output specs of a real CPU run of the meta-built ``module``, or None to run it on meta."""
    global _cpu_path_spent
    if not _cheap(module, params, args):
        return None
    started = time.process_time()
    try:
        return _outputs_on_cpu(module, args)
    finally:
        _cpu_path_spent += time.process_time() - started


def _outputs_on_cpu(module: torch.nn.Module, args: list) -> list | None:
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # uninitialized weights: the values are never read, only the output shapes. This
            # is Module.to_empty with torch.empty: its empty_like is a Python reference on meta
            # tensors whose first call imports sympy (~1 s)
            module = module._apply(lambda t: torch.empty(t.shape, dtype=t.dtype))
            return outputs_of(module(*[example(s, "cpu") for s in args]))
    except Exception:  # noqa: BLE001 - meta decides, and words the diagnostic
        return None


def _steps(node_type: NodeType, inputs: list) -> int | None:
    """The sequence length of input 0 when the node walks it step by step and it is > 1."""
    axis = node_type.steps_axis
    if axis is None or not inputs or inputs[0] is None:
        return None
    shape = inputs[0].shape
    # a feature axis must follow: (N, F) into an LSTM is no sequence of steps
    return shape[axis] if len(shape) > axis + 1 and shape[axis] > 1 else None


def _with_steps(outputs: list, axis: int, rank: int, steps: int) -> list:
    return [TensorSpec((*o.shape[:axis], steps, *o.shape[axis + 1:]), o.dtype)
            if o is not None and len(o.shape) == rank else o for o in outputs]


def _infer_on_cpu(node_type: NodeType, ctx: BuildContext, args: list):
    """The fallback for kernels without a meta implementation: real zeros, so bounded."""
    need = sum(spec_bytes(s) for s in args if s is not None)
    if need > REAL_RUN_BUDGET_BYTES:
        raise BudgetError(f"too large to check without a meta kernel: inputs of "
                          f"{human_bytes(need)} (at most {human_bytes(REAL_RUN_BUDGET_BYTES)})")
    try:
        with built_on_meta():  # the weights' size, known before any is allocated
            meta_module = node_type.build(ctx)
    except (NotImplementedError, RuntimeError):
        meta_module = None  # building itself needs real tensors: the inputs bound it then
    if meta_module is not None:
        check_weights(count_params(meta_module))
    module = node_type.build(ctx).eval()
    with torch.no_grad():
        return outputs_of(module(*[example(s, "cpu") for s in args])), count_params(module)


def infer_node_outputs(node_type: NodeType, params: dict, inputs: list) -> list[TensorSpec]:
    """Build ``node_type`` for ``inputs`` and run it on meta tensors; return its output specs.

    A few kernels have no meta implementation; those run once on small zero tensors on the CPU
    instead (still exact). Errors propagate: the caller turns them into diagnostics."""
    return infer_node(node_type, params, inputs)[0]
