"""Greedy layer-wise pretraining of a stacked auto-encoder (Hinton & Salakhutdinov 2006, Bengio
et al. 2007), then end-to-end fine-tuning.

The network is read as the chain of layers from its input to its reconstruction; the layers
that own weights pair up from the outside in (first encoder with last decoder, second with the
one before it, ...). Stage ``k`` trains pair ``k`` alone as a shallow auto-encoder of what the
``k - 1`` encoders below it make of the data (those frozen: they run without gradients), for
``training.stage_epochs`` epochs each; the remaining epochs fine-tune the whole stack on the
graph's own loss nodes. Each stage has its own optimizer, so Adam's moments of one stage never
move the layers of another. The stage is derived from a step count kept with the checkpoint, so
a resumed run goes on in the right stage; each stage announces itself in the run's log and the
step events carry ``stage`` (the last number is fine-tuning). Under torchrun the stages call
each rank's module directly (no gradient averaging); fine-tuning goes through DDP as usual.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import fx, nn

from studio.train.data.binding import to_arguments
from studio.train.optim import ConfigError
from studio.train.recipes.generative import Reconstruction


@dataclass
class Stage:
    """One encoder/decoder pair: what runs below it (frozen), and the pair itself."""

    below: list  # fx nodes from the input up to the pair's input
    encoder: list  # the pair's encoder layer and the weightless nodes after it
    decoder: list
    params: list

    def describe(self, node_of) -> str:
        return f"{node_of(self.encoder[0])} + {node_of(self.decoder[0])}"


def _data_args(node: fx.Node) -> list:
    """The tensors a node computes from (a tied layer's borrowed weight is not one)."""
    return [a for a in node.all_input_nodes if a.op != "get_attr"]


def layer_chain(gm: fx.GraphModule) -> list:
    """The fx nodes from the first input to the longest output path (the reconstruction, not
    the code): ``ValueError`` naming the node where the network stops being a chain."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    output = next(n for n in gm.graph.nodes if n.op == "output")
    outs = output.args[0]["outputs"] if isinstance(output.args[0], dict) else {}
    best: list = []
    for value in outs.values():
        path, node = [], value
        while node.op != "placeholder":
            data = _data_args(node)
            if len(data) != 1:
                raise ValueError(f"layerwise: {node.target} takes {len(data)} inputs; the "
                                 f"recipe needs one chain of layers from the input to the "
                                 f"reconstruction")
            path.append(node)
            node = data[0]
        if placeholders and node is placeholders[0] and len(path) > len(best):
            best = path[::-1]
    return best


def _owns_weights(gm: fx.GraphModule, node: fx.Node) -> bool:
    return node.op == "call_module" and any(True for _ in gm.get_submodule(node.target)
                                            .parameters())


def stages_of(gm: fx.GraphModule, node_of) -> list[Stage]:
    """The pairs of the chain, outermost first; ``ValueError`` when they do not pair up."""
    chain = layer_chain(gm)
    starts = [i for i, n in enumerate(chain) if _owns_weights(gm, n)]
    if len(starts) < 2 or len(starts) % 2:
        names = ", ".join(node_of(chain[i]) for i in starts) or "none"
        raise ValueError(f"layerwise: the chain from the input to the reconstruction needs an "
                         f"even number (at least 2) of layers with weights, mirrored encoder "
                         f"and decoder; it has {len(starts)} ({names})")
    segments = [chain[a:b] for a, b in zip(starts, [*starts[1:], len(chain)])]
    half = len(segments) // 2
    out = []
    for k in range(half):
        encoder, decoder = segments[k], segments[-1 - k]
        params = {id(p): p for n in (encoder[0], decoder[0])
                  for p in gm.get_submodule(n.target).parameters()}
        out.append(Stage(chain[:starts[k]], encoder, decoder, list(params.values())))
    return out


def _attribute(gm: nn.Module, target: str):
    return functools.reduce(getattr, target.split("."), gm)


def run_nodes(gm: fx.GraphModule, nodes: list, x):
    """Run a piece of the chain on ``x`` (each node's one data input is the previous value)."""
    for n in nodes:
        def value(a, x=x):
            return _attribute(gm, a.target) if a.op == "get_attr" else x
        args, kwargs = fx.node.map_arg(n.args, value), fx.node.map_arg(n.kwargs, value)
        if n.op == "call_module":
            x = gm.get_submodule(n.target)(*args, **kwargs)
        elif n.op == "call_function":
            x = n.target(*args, **kwargs)
        else:  # call_method
            x = getattr(args[0], n.target)(*args[1:], **kwargs)
    return x


class StageCounter(nn.Module):
    """The steps taken so far, saved with every checkpoint so a resume knows its stage."""

    def __init__(self):
        super().__init__()
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64))


class Layerwise(Reconstruction):
    """Greedy layer-wise pretraining of an auto-encoder stack, then end-to-end fine-tuning."""

    kind = "layerwise"
    settings = {"stage_epochs": ()}
    aliases = ("greedy-layerwise",)

    def setup(self) -> dict:
        full = super().setup()  # (checks the graph has a loss to fine-tune on)
        net, config = self.net, self.ctx.config
        node_of = lambda n: net.compiled.node_of(str(n.target))  # noqa: E731
        self.node_of = node_of
        try:
            self.stages = stages_of(net.module, node_of)
        except ValueError as e:
            raise ConfigError(f"{e} (network {net.name!r})") from None
        self.stage_epochs = config.get("stage_epochs", 1)
        if not isinstance(self.stage_epochs, int) or isinstance(self.stage_epochs, bool) or \
                self.stage_epochs < 1:
            raise ConfigError(f"training.stage_epochs: expected a whole number >= 1 (epochs "
                              f"per pretraining stage), got {self.stage_epochs!r:.60}")
        pretraining = len(self.stages) * self.stage_epochs
        if int(config["epochs"]) <= pretraining:
            raise ConfigError(f"training.epochs: {config['epochs']} leaves no fine-tuning after "
                              f"{len(self.stages)} stages x {self.stage_epochs} stage_epochs = "
                              f"{pretraining} epochs of pretraining; set it above {pretraining}")
        self.counter = StageCounter().to(self.ctx.device)
        self.ctx.modules["layerwise_stage"] = self.counter
        self.announced = None
        stages = {f"stage{k + 1}": self.ctx.make_optimizer(net, params=s.params)
                  for k, s in enumerate(self.stages)}
        return {**stages, **full}

    def stage_index(self) -> int:
        """0-based stage of the next step; ``len(self.stages)`` is fine-tuning."""
        per_stage = self.ctx.steps_per_epoch * self.stage_epochs
        return min(int(self.counter.steps) // max(1, per_stage), len(self.stages))

    def announce(self, k: int) -> None:
        if k == self.announced:
            return
        self.announced, n = k, len(self.stages)
        if k == n:
            self.ctx.note(f"layerwise stage {n + 1}/{n + 1}: fine-tuning the whole stack end "
                          f"to end")
            return
        stage = self.stages[k]
        below = self.node_of(self.stages[k - 1].encoder[0]) if k else None
        feeds = f"the code of {below}" if below else "the input"
        self.ctx.note(f"layerwise stage {k + 1}/{n + 1}: pretraining "
                      f"{stage.describe(self.node_of)} as an auto-encoder of {feeds} "
                      f"({self.stage_epochs} epoch{'s' if self.stage_epochs != 1 else ''})")

    def train_step(self, batch) -> dict:
        k = self.stage_index()
        self.announce(k)
        self.counter.steps += 1
        if k == len(self.stages):
            return {**super().train_step(batch), "stage": k + 1}
        net, ctx, stage = self.net, self.ctx, self.stages[k]
        args = to_arguments(batch, net.bindings, ctx.device)
        with ctx.autocast():
            with torch.no_grad():
                h = run_nodes(net.module, stage.below, args[0])
            rebuilt = run_nodes(net.module, stage.decoder, run_nodes(net.module, stage.encoder, h))
            if rebuilt[:1].numel() != h[:1].numel():
                raise ConfigError(f"layerwise stage {k + 1}: {stage.describe(self.node_of)} "
                                  f"rebuilds {rebuilt[:1].numel()} values from "
                                  f"{h[:1].numel()}; the decoder must mirror its encoder")
            loss = F.mse_loss(rebuilt.flatten(1), h.flatten(1))
        value, norm = ctx.optimize(loss, net, self.optimizers[f"stage{k + 1}"], args,
                                   check_loss=True)
        return {"loss": value, "grad_norm": norm, "stage": k + 1}
