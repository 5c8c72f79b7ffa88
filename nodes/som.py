"""Kohonen's self-organizing map: a grid of prototype vectors and each sample's distances to them.

The prototypes are the rows of ``weight`` (rows·cols × features, unit ``r * cols + c`` at grid
row r, column c), named like ``nn.Linear.weight`` so weight views show them as pictures. They
are learned by competition, not gradients: the ``som`` recipe moves the best-matching unit and
its grid neighbours towards each sample (``studio.train.recipes.som``). The forward pass is
plain tensor arithmetic, so it exports to ONNX as it is.

The helpers below the module (grid coordinates, U-matrix, topographic adjacency) are shared by
the recipe, its metrics and tests; they need only torch.
"""
import torch
from torch import nn

from nodes.base import NodeType, Param, ctor, register


class SelfOrganizingMap(nn.Module):
    """Euclidean distances of each flattened sample to ``rows * cols`` prototypes, (N, units),
    or the best-matching unit's grid coordinates (row, column) as floats, (N, 2)."""

    def __init__(self, features: int, rows: int, cols: int, output: str = "distances"):
        super().__init__()
        self.rows, self.cols, self.output = rows, cols, output
        # uniform in [0, 1): the range of the bundled images and colours; the first, wide
        # neighbourhood pulls every prototype to the data within a few steps anyway
        self.weight = nn.Parameter(torch.rand(rows * cols, features))

    def forward(self, x):
        # a broadcast difference, not cdist or the |x|²-2x·w+|w|² expansion: exact (no
        # cancellation near a prototype) and made of ONNX's basic operators
        diff = x.flatten(1).unsqueeze(1) - self.weight.unsqueeze(0)
        # clamped: at a distance of exactly 0 (a sample equal to a prototype, as when a map
        # starts from samples) sqrt's gradient is infinite and back-propagates NaN
        distances = diff.pow(2).sum(-1).clamp_min(torch.finfo(diff.dtype).tiny).sqrt()
        if self.output == "distances":
            return distances
        unit = distances.argmin(1)
        return torch.stack([unit // self.cols, unit % self.cols], 1).to(x.dtype)

    def extra_repr(self):
        return f"{self.weight.shape[1]}, rows={self.rows}, cols={self.cols}, output={self.output}"


def grid_coordinates(rows: int, cols: int) -> torch.Tensor:
    """(rows·cols, 2) float (row, column) of every unit, in the prototypes' order."""
    r, c = torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing="ij")
    return torch.stack([r.flatten(), c.flatten()], 1).float()


def adjacent(a: torch.Tensor, b: torch.Tensor, cols: int) -> torch.Tensor:
    """Whether units ``a`` and ``b`` (flat indices) touch on the grid, diagonals included (the
    8-neighbourhood, as MiniSom counts topographic errors on a rectangular map)."""
    rows_apart = (a // cols - b // cols).abs()
    cols_apart = (a % cols - b % cols).abs()
    return torch.maximum(rows_apart, cols_apart) <= 1


def umatrix(weight: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """(rows, cols): each unit's mean Euclidean distance to its grid neighbours (8-neighbourhood).
    High values are borders between clusters; low ones the inside of a cluster."""
    w = weight.detach().float().reshape(rows, cols, -1)
    total = torch.zeros(rows, cols)
    count = torch.zeros(rows, cols)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == dc == 0:
                continue
            # unit (r, c) against (r + dr, c + dc) wherever both lie on the grid
            r0, r1 = max(0, -dr), rows - max(0, dr)
            c0, c1 = max(0, -dc), cols - max(0, dc)
            if r1 <= r0 or c1 <= c0:
                continue
            d = (w[r0:r1, c0:c1] - w[r0 + dr:r1 + dr, c0 + dc:c1 + dc]).norm(dim=-1)
            total[r0:r1, c0:c1] += d.cpu()
            count[r0:r1, c0:c1] += 1
    return total / count.clamp_min(1)


def _som(c):
    features = 1
    for size in c.x.shape[1:]:
        features *= size
    return ctor(SelfOrganizingMap, features, c["rows"], c["cols"], output=c["output"])


register(
    NodeType(
        id="som.SelfOrganizingMap", title="SelfOrganizingMap", category="Linear",
        doc="Kohonen map: a rows × cols grid of prototypes; gives each sample's distances to "
            "them (or its best-matching unit). Trained by the som recipe, not by gradients.",
        params=(Param("rows", "int", 10, "grid rows", min=1, max=256),
                Param("cols", "int", 10, "grid columns", min=1, max=256),
                Param("output", "choice", "distances", "'distances': (N, rows*cols) to every "
                      "prototype; 'bmu': the best-matching unit's (row, column)",
                      choices=("distances", "bmu"))),
        build=_som, summary=("rows", "cols"),
        shape_doc="(N, *) -> (N, rows*cols) distances, or (N, 2) best-matching unit",
        test_cases=(({"rows": 3, "cols": 4}, [(2, 5)]),
                    ({"rows": 2, "cols": 2, "output": "bmu"}, [(3, 1, 4, 4)])),
    ),
)
