"""A ``torch.export`` program (``.pt2``): the network as an ExportedProgram, checked by running.

``torch.export.save`` writes a zip of the graph and weights that ``torch.export.load`` reads
without the NetStudio code. The loaded program's ``module()`` must match the source module.
"""
from __future__ import annotations

import io

import torch

from studio.compile.fx import Compiled
from studio.export.errors import ExportError
from studio.export.inputs import example_inputs
from studio.export.parity import PARITY_BATCHES, Parity, as_tuple, compare
from studio.export.quiet import quiet


def export_program(compiled: Compiled, doc, network: str,
                   dynamic_batch: bool = False) -> torch.export.ExportedProgram:
    module = compiled.module.eval()
    example = example_inputs(compiled, doc, network, 2 if dynamic_batch else 1)
    shapes = None
    if dynamic_batch:
        batch = torch.export.Dim("batch")
        shapes = tuple({0: batch} for _ in example)
    try:
        with quiet():
            return torch.export.export(module, example, dynamic_shapes=shapes)
    except Exception as e:  # torch.export raises many kinds of errors from deep inside
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ExportError(f"torch.export failed: {first[:300]}") from None


def program_bytes(program: torch.export.ExportedProgram) -> bytes:
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return buffer.getvalue()


def program_parity(data: bytes, compiled: Compiled, doc, network: str,
                   dynamic_batch: bool) -> list[Parity]:
    """Reload the saved bytes, as a user would, and compare with the module."""
    loaded = torch.export.load(io.BytesIO(data)).module()

    def run(inputs):
        with torch.no_grad():
            return [t.numpy() for t in as_tuple(loaded(*inputs))]

    batches = PARITY_BATCHES if dynamic_batch else PARITY_BATCHES[:1]
    return compare(compiled, doc, network, run, batches, "torch.export program")
