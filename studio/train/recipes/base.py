"""The recipe interface: what the engine asks of a recipe, and what a recipe may use of the run.

A recipe says how one training step uses the compiled networks and their optimizers. The engine
knows recipes only through this interface, so it holds no recipe name: a recipe is a registered
class (its ``kind`` and ``aliases``, like node types in ``nodes/base.py``) whose class-level
hooks shape the run before anything is built (``network_names``, ``dataset_spec``,
``bindings``, ``ddp_find_unused_parameters``, ``default_monitor``, ``probes_with_data``) and
whose instance runs it (``start``, ``train_step``, ``accumulator``, ``eval_batch``,
``samples``). The instance sees the run only through a :class:`RecipeContext`.
"""
from __future__ import annotations

import functools

import torch

from studio.train.data.binding import bind, check, to_arguments
from studio.train.metrics import Accumulator


class RecipeContext:
    """What a recipe may use of the trainer running it: the placed networks (by name), the
    device, the resolved config, the dataset's ``info`` (classes, vocabulary), ``modules`` (a
    dict where a recipe puts parameters of its own, saved in every checkpoint) and the step
    services of :class:`studio.train.step.StepServices` (autocast, forward, loss sum,
    ``optimize``, loss check, optimizer making, sample grids)."""

    def __init__(self, trainer):
        self.nets, self.device, self.config = trainer.nets, trainer.device, trainer.config
        self.data_info = trainer.data.info
        self.modules = trainer.extra_modules
        # bound methods, not wrappers: a step pays no extra call for them
        self.autocast, self.forward = trainer.autocast, trainer.forward
        self.total_loss, self.check_loss = trainer.total_loss, trainer.check_loss
        self.optimize, self.make_optimizer = trainer.optimize, trainer.make_optimizer
        self.save_grid = trainer.save_grid
        # recipes that anneal over the whole run (som: learning rate, neighbourhood radius)
        self.steps_per_epoch = len(trainer.batches)
        # a line in the run's log (CLI, dashboard): layerwise names the stage it starts
        self.note = lambda message: trainer.events.emit("note", message=message)


class Recipe:
    """Supervised training of the ``model`` network on its own loss nodes."""

    kind = "supervised"
    aliases: tuple[str, ...] = ()
    default_monitor: str | None = "val.loss"  # ranked by studio.train.metric_registry
    ddp_find_unused_parameters = False  # DDP: every parameter gets a gradient each step
    probes_with_data = True  # the first network's inputs are dataset fields (snapshots)
    # Training-section keys this recipe reads beyond the common ones (studio.train.config),
    # each with the sub-keys it understands (none: a plain value): ``--set`` and the search
    # accept them by these names
    settings: dict[str, tuple[str, ...]] = {}

    def __init__(self, ctx: RecipeContext):
        self.ctx = ctx
        self.optimizers: dict = {}

    # ----- class-level hooks: the run's shape, before anything is built --------------------
    @classmethod
    def network_names(cls, doc) -> list[str]:
        return ["model"] if "model" in doc.networks else list(doc.networks)[:1]

    @classmethod
    def dataset_spec(cls, spec: dict) -> dict:
        """The dataset spec this recipe trains on (``spec`` is a copy the recipe may change)."""
        return spec

    @classmethod
    def bindings(cls, compiled: dict, data, doc, warnings: list) -> dict:
        """Which dataset field feeds each placeholder of each network, checked before step 1
        against every split (the first network's)."""
        sample = data.train[0]
        out = {n: bind(comp, sample, warnings) for n, comp in compiled.items()}
        name = next(iter(compiled))
        check(out[name], {"train": data.train, "val": data.val, "test": data.test}, doc, name,
              compiled[name])
        return out

    # ----- the run ------------------------------------------------------------------------
    @functools.cached_property
    def net(self):  # (the trainer places its networks before it makes the recipe)
        return next(iter(self.ctx.nets.values()))

    def start(self) -> dict:
        """The optimizers by name (kept for the steps), made once the networks are placed."""
        self.optimizers = self.setup()
        return self.optimizers

    def setup(self) -> dict:
        if not self.net.compiled.losses:
            raise ValueError(f"network {self.net.name!r} has no loss node: add one (e.g. "
                             f"CrossEntropy) so the {self.kind} recipe has something to minimize")
        return {self.net.name: self.ctx.make_optimizer(self.net)}

    def train_step(self, batch) -> dict:
        net, ctx = self.net, self.ctx
        args = to_arguments(batch, net.bindings, ctx.device)
        with ctx.autocast():
            out = ctx.forward(net, args)
            loss = ctx.total_loss(out, net)
        value, norm = ctx.optimize(loss, net, self.optimizers[net.name], args, check_loss=True)
        return {"loss": value, "grad_norm": norm}

    def accumulator(self) -> Accumulator:
        return Accumulator()

    @torch.no_grad()
    def eval_batch(self, batch, acc: Accumulator) -> None:
        net, ctx = self.net, self.ctx
        args = to_arguments(batch, net.bindings, ctx.device)
        with ctx.autocast():
            out = net.module(*args)
        parts = {k: float(v) for k, v in out["losses"].items()}
        acc.add_loss(len(args[0]), sum(parts.values()), parts if len(parts) > 1 else {})
        self.measure(out, args, acc)

    def measure(self, out, args, acc) -> None:
        pred, target = self.prediction(out, args)
        if pred is None or target is None:
            return
        if target.is_floating_point():
            acc.add_regression(pred, target)
        else:
            acc.add_classes(pred, target)

    def prediction(self, out, args):
        """(first output, first target) of a batch; either may be None."""
        outputs = list(out["outputs"].values())
        n_in = len(self.net.compiled.inputs)
        targets = args[n_in:]
        return (outputs[0].float() if outputs else None), (targets[0] if targets else None)

    def samples(self, probe) -> dict | None:
        return None


_RECIPES: dict[str, type[Recipe]] = {}


def register(*classes: type[Recipe]) -> None:
    """Make recipes known by their ``kind`` and ``aliases`` (the studio lists them in this
    order); a name already taken is an error, not a silent replacement."""
    for cls in classes:
        # a class's own aliases only: a VAE is not an "autoencoder" because it derives from one
        for name in (cls.kind, *cls.__dict__.get("aliases", ())):
            if name in _RECIPES and _RECIPES[name] is not cls:
                raise ValueError(f"recipe name {name!r} is taken by "
                                 f"{_RECIPES[name].__name__}")
            _RECIPES[name] = cls


def recipes() -> dict[str, type[Recipe]]:
    """Every recipe name (kinds and aliases) -> its class, in registration order."""
    return dict(_RECIPES)
