"""Name the canvas node and the operator behind an exporter failure.

Exporter errors speak of ``aten::max_unpool2d`` or fail deep inside a tracer; the user needs
"unpool1 (pooling.MaxUnpool2d) … max_unpool2d". Two clues, tried in order: a Python frame of the
failure that runs one of the network's submodules (tracing exporters run ``forward``), and an
operator name in the message, matched against the operators each node calls in one forward
pass recorded with a dispatch mode.
"""
from __future__ import annotations

import re
import traceback

import torch
from torch import fx
from torch.utils._python_dispatch import TorchDispatchMode

from studio.compile.fx import Compiled

_OP_IN_MESSAGE = re.compile(r"aten(?:::|\.)(\w+)")
_FUNCTIONAL = ("torch/nn/functional.py", "torch\\nn\\functional.py")


class _OpRecorder(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.append(func.overloadpacket.__name__)
        return func(*args, **(kwargs or {}))


class _PerNode(fx.Interpreter):
    """Runs the top-level graph, noting which aten operators each called module used."""

    def __init__(self, module):
        super().__init__(module)
        self.ops_by_target: dict[str, list[str]] = {}

    def call_module(self, target, args, kwargs):
        with _OpRecorder() as recorder:
            result = super().call_module(target, args, kwargs)
        self.ops_by_target[target] = recorder.ops
        return result


def ops_by_node(compiled: Compiled, example: tuple) -> dict[str, list[str]]:
    """Top-level module name -> the aten operator names its forward called."""
    interpreter = _PerNode(compiled.module)
    with torch.no_grad():
        interpreter.run(*example)
    return interpreter.ops_by_target


def _errors(error: BaseException):
    """The error and the ones it wraps (``raise … from``) or happened during."""
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def _from_frames(compiled: Compiled, error: BaseException) -> tuple[str | None, str | None]:
    names = {id(m): name for name, m in compiled.module.named_modules() if name}
    target = op = None
    for err in _errors(error):
        for frame, _ in traceback.walk_tb(err.__traceback__):
            owner = frame.f_locals.get("self")
            if owner is not None and id(owner) in names:
                target = names[id(owner)].split(".")[0]
            name = frame.f_code.co_name
            # the outermost public function (max_unpool2d), not its private helpers
            if op is None and frame.f_code.co_filename.endswith(_FUNCTIONAL) and \
                    not name.startswith("_"):
                op = name
        if target:
            return target, op
    return None, None


def locate_failure(compiled: Compiled, error: BaseException,
                   example: tuple) -> tuple[str | None, str | None]:
    """(document node id, operator name) for an exporter error, each None when unknown."""
    target, op = _from_frames(compiled, error)
    message = " ".join(str(e) for e in _errors(error))
    named = _OP_IN_MESSAGE.search(message)
    if named:
        op = named.group(1)
    if target is None and op is not None:
        try:
            used = ops_by_node(compiled, example)
        except Exception:  # the clue is optional; the original error is what matters
            used = {}
        target = next((t for t, ops in used.items() if op in ops), None)
    if target is None:
        return None, op
    if op is None:
        op = type(compiled.module.get_submodule(target)).__name__
    return compiled.node_of(target) or target, op
