"""Sequences: RNN/GRU/LSTM layers, Embedding, and the glue of seq2seq graphs.

Every sequence is batch first, (N, T, features). A recurrent node has two outputs: ``sequence``,
every step's top-layer output (for stacking or many-to-many), and ``last``, the top layer's
final hidden state with both directions concatenated (for many-to-one classifiers).
input_size is read from the incoming tensor.
"""
from torch import nn

from nodes.base import NodeType, Param, Port, ctor, register


class Recurrent(nn.Module):
    """A batch-first ``nn.RNN``/``nn.GRU``/``nn.LSTM`` returning ``(sequence, last)``.

    ``sequence`` is (N, T, H·dirs); ``last`` is (N, H·dirs), the last layer's final hidden
    state (for LSTM the h, not the cell state c)."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, nonlinearity: str = "tanh"):
        super().__init__()
        self.cell, self.directions = cell, 2 if bidirectional else 1
        kwargs = {"nonlinearity": nonlinearity} if cell == "RNN" else {}
        self.rnn = getattr(nn, cell)(input_size, hidden_size, num_layers=num_layers,
                                     bidirectional=bidirectional, dropout=dropout,
                                     batch_first=True, **kwargs)

    def forward(self, x):
        sequence, hidden = self.rnn(x)
        if self.cell == "LSTM":  # (h_n, c_n); decided by cell so torch.fx can trace this
            hidden = hidden[0]
        # hidden is (layers·dirs, N, H): keep the top layer's directions, put batch first
        # (one direction: a plain index, one op instead of three every step).
        last = hidden[-1] if self.directions == 1 else \
            hidden[-self.directions:].transpose(0, 1).flatten(1)
        return sequence, last

    def extra_repr(self):
        return f"cell={self.cell!r}"


class LastStep(nn.Module):
    """The last time step of a batch-first sequence: (N, T, *) -> (N, *)."""

    def forward(self, x):
        return x[:, -1]


class RepeatSteps(nn.Module):
    """Repeats one vector per sample over ``steps`` time steps: (N, *) -> (N, steps, *).

    Feeds a fixed code to every step of a decoder (one-to-many, seq2seq)."""

    def __init__(self, steps: int = 10):
        super().__init__()
        self.steps = steps

    def forward(self, x):
        return x.unsqueeze(1).repeat_interleave(self.steps, dim=1)

    def extra_repr(self):
        return f"steps={self.steps}"


def _recurrent_params(cell: str) -> tuple[Param, ...]:
    params = (
        Param("hidden_size", "int", 64, "features of the hidden state", min=1),
        # bounded: torch builds each layer in a Python loop, before any weight budget applies
        Param("num_layers", "int", 1, "stacked recurrent layers", min=1, max=256),
        Param("bidirectional", "bool", False, "also run backwards; outputs concatenate both"),
        Param("dropout", "float", 0.0, "dropout between stacked layers (needs num_layers > 1)",
              min=0, max=1),
    )
    if cell == "RNN":
        params += (Param("nonlinearity", "choice", "tanh", "activation of the hidden state",
                         choices=("tanh", "relu")),)
    return params


def _build_recurrent(cell: str):
    def build(c):
        # torch warns about dropout with one layer, where it has nothing to act on.
        dropout = float(c["dropout"]) if c["num_layers"] > 1 else 0.0
        extra = {"nonlinearity": c["nonlinearity"]} if cell == "RNN" else {}
        return ctor(Recurrent, cell, c.in_features, c["hidden_size"],
                    num_layers=c["num_layers"], bidirectional=c["bidirectional"],
                    dropout=dropout, **extra)
    return build


def _recurrent(cell: str, doc: str, extra_case: dict) -> NodeType:
    return NodeType(
        id=f"recurrent.{cell}", title=cell, category="Recurrent", doc=doc,
        outputs=(Port("sequence", "every step of the top layer"),
                 Port("last", "final hidden state of the top layer, directions concatenated")),
        params=_recurrent_params(cell), build=_build_recurrent(cell),
        summary=("hidden_size", "num_layers"), steps_axis=1,
        shape_doc="(N, T, F) -> sequence (N, T, hidden_size·dirs), last (N, hidden_size·dirs)",
        test_cases=(({"hidden_size": 8}, [(2, 5, 3)]),
                    ({"hidden_size": 6, "num_layers": 2, "bidirectional": True, "dropout": 0.3,
                      **extra_case}, [(3, 4, 7)]),
                    ({"hidden_size": 4, "bidirectional": True}, [(2, 1, 2)])),
    )


register(
    _recurrent("RNN", "Elman recurrent layer h_t = act(W x_t + U h_(t-1) + b).",
               {"nonlinearity": "relu"}),
    _recurrent("GRU", "Gated recurrent unit layer (update and reset gates).", {}),
    _recurrent("LSTM", "Long short-term memory layer (input, forget, output gates and a cell).",
               {}),
    NodeType(
        id="recurrent.LastStep", title="LastStep", category="Recurrent",
        doc="Selects the last time step of a sequence, x[:, -1].",
        build=lambda c: ctor(LastStep), shape_doc="(N, T, *) -> (N, *)",
        test_cases=(({}, [(2, 5, 8)]), ({}, [(2, 3, 4, 6)])),
    ),
    NodeType(
        id="recurrent.Embedding", title="Embedding", category="Recurrent",
        doc="Looks up a learned vector for each integer token.",
        params=(Param("num_embeddings", "int", 1000, "vocabulary size (tokens are "
                      "0..num_embeddings-1)", min=1),
                Param("embedding_dim", "int", 32, "size of each vector", min=1)),
        build=lambda c: ctor(nn.Embedding, c["num_embeddings"], c["embedding_dim"]),
        summary=("num_embeddings", "embedding_dim"),
        shape_doc="(N, T) int64 -> (N, T, embedding_dim)",
        test_cases=(({"num_embeddings": 10, "embedding_dim": 4}, [((2, 7), "int64")]),
                    ({}, [((3, 2, 5), "int64")])),
    ),
    NodeType(
        id="recurrent.RepeatSteps", title="RepeatSteps", category="Recurrent",
        doc="Repeats a vector over `steps` time steps, to feed a decoder (one-to-many).",
        params=(Param("steps", "int", 10, "number of time steps", min=1),),
        build=lambda c: ctor(RepeatSteps, c["steps"]), summary=("steps",),
        shape_doc="(N, D) -> (N, steps, D)",
        test_cases=(({}, [(2, 16)]), ({"steps": 3}, [(2, 4, 5)])),
    ),
)
