"""The training loop shared by the CLI, the GUI's worker process and torchrun.

``Trainer(doc, overrides, out=..., callback=...).run()`` compiles the recipe's networks, loads
and checks the data, then runs epochs of recipe steps, evaluating after each epoch, keeping the
best and last checkpoints and emitting events. Resuming restores weights, optimizer state, RNG
state, schedule and early-stopping state and the position inside the epoch, so on the CPU a
resumed run reproduces the uninterrupted one exactly.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from studio.compile.flatten import flat_module
from studio.compile.fx import compile_network
from studio.core.shapes import ShapeInference
from studio.train import init_weights, runs, stops
from studio.train.config import check_counts, frozen_nodes, resolve_config
from studio.train.data import DataError, load_dataset
from studio.train.data.binding import Mismatch
from studio.train.data.fitting import fit_to_data, fix_for
from studio.train.data.registry import spec_of
from studio.train.data.augment import Augmented, build_transforms
from studio.train.data.batches import Batches
from studio.train.devices import Distributed, Precision, pick_device
from studio.train.events import EventStream, cut_after_step
from studio.train.grads import GradientBuffer
from studio.train.guard import NonFiniteError
from studio.train.metric_registry import direction
from studio.train.optim import ConfigError, Schedule, freeze
from studio.train.probe import Prober
from studio.train.recipes import RecipeContext, recipes
from studio.train.step import Net, StepServices


@dataclass
class RunResult:
    run: Path | None
    status: str  # finished, stopped (max steps / early stop), interrupted, nonfinite
    epoch: int
    step: int
    metrics: dict
    error: str | None = None
    reason: str = ""  # why the run ended, one line: "early stopping: val.loss ..."


def _as_float(value) -> float:
    return float(value.detach()) if torch.is_tensor(value) else float(value)


class Trainer(StepServices):
    def __init__(self, doc, overrides: dict | None = None, *, out: str | None = None,
                 resume: str | None = None, callback=None, fit_data: bool = False,
                 shapes: dict | None = None):
        """``shapes``: shape-inference cache entries the studio already computed for ``doc``
        (``ShapeInference.entries_for``), so compiling does not infer them again."""
        self.resume_dir = None
        self.inference = ShapeInference()
        if shapes:
            self.inference.seed(shapes)
        if resume:  # the run's own document and config, with this call's overrides on top
            from studio.core.serialize import load
            self.resume_dir, saved = runs.read_run(resume)
            doc, _ = load(self.resume_dir / "document.nnet.json")
            saved.pop("max_steps", None)
            overrides = {**saved, **(overrides or {})}
        self.doc, self.overrides, self.fit_data = doc, overrides, fit_data
        self.config = resolve_config(doc, overrides)
        self.callback, self.out = callback, out
        self.dist = Distributed.from_env(self.config["device"])
        self.step = self.epoch = self.batch_in_epoch = 0
        self.warnings: list[str] = []
        self.notes: list[str] = []  # what was inferred: a label column, the fit to the data
        self.ready = False

    # ----- set-up ---------------------------------------------------------------------------
    def setup(self) -> None:
        c = self.config
        check_counts(c)
        seed = int(c["seed"])
        torch.manual_seed(seed)
        if c["deterministic"]:
            torch.use_deterministic_algorithms(True, warn_only=True)
        self.device = pick_device(c["device"], self.dist.local_rank)
        self.precision = Precision(self.device, c["amp"])
        kinds = recipes()
        if c["recipe"] not in kinds:
            raise ConfigError(f"training.recipe: unknown {c['recipe']!r} "
                              f"(known: {', '.join(kinds)})")
        self.recipe_cls = recipe_cls = kinds[c["recipe"]]
        names = c["networks"] or recipe_cls.network_names(self.doc)
        if isinstance(names, dict):  # {"generator": "g", ...}: role -> network (same names here)
            names = list(names.values())
        self._load_data()
        if self.fit_data:
            self._fit(names[0])
        compiled = {n: compile_network(self.doc, n, self.doc.variables, training=True,
                                       seed=seed + i, inference=self.inference)
                    for i, n in enumerate(names)}
        self._setup_data(compiled)
        self.nets = {n: self._place(n, comp) for n, comp in compiled.items()}
        held = []  # frozen batch norm layers: kept in evaluation mode (studio.train.optim)
        for name, net in self.nets.items():
            held += freeze(net.compiled, frozen_nodes(c, name, len(self.nets)))
        if held:
            self.notes.append(f"frozen batch norm layers run in evaluation mode, their statistics "
                              f"kept ({len(held)}: {', '.join(held[:4])}"
                              f"{', ...' if len(held) > 4 else ''})")
        if c["init_weights"] and not self.resume_dir:  # a resume has its own checkpoint
            self.notes.append(init_weights.apply(self.nets, c["init_weights"]))
        self.extra_modules: dict = {}
        self.recipe = recipe_cls(RecipeContext(self))
        self.optimizers = self.recipe.start()
        self.grads = {o: b for o in self.optimizers.values() if (b := GradientBuffer.of(o))}
        self.base_lr = {k: o.param_groups[0]["lr"] for k, o in self.optimizers.items()}
        self.schedule = Schedule(c["schedule"], int(c["epochs"]), len(self.batches))
        # read every step: resolved once
        self.l1, self.clip = float(c["l1"] or 0), float(c["clip_grad_norm"] or 0)
        self.sync_free = self.device.type == "cpu"  # .item() per value costs no waiting here
        self.prober = Prober(self, c["snapshot"])
        self._setup_run()
        self.ready = True

    def _load_data(self) -> None:
        c = self.config
        self.data_spec = self.recipe_cls.dataset_spec(dict(c["dataset"]))
        self.data = load_dataset(self.data_spec, int(c["seed"]), self.warnings) \
            .limited(c["limit"])
        self.notes += self.data.info.get("notes") or []

    def _fit(self, network: str) -> None:
        """``--fit-data``: the Input shapes and class count set from the data (document ops),
        then the config resolved again, since it may read the variables that changed."""
        fit = fit_to_data(self.doc, network, self.data)
        for op in fit.ops:
            op.apply(self.doc)
        self.notes.append("fitted the network to the data: " + "; ".join(fit.changes)
                          if fit.changes else "the network already fits the data")
        self.config = resolve_config(self.doc, self.overrides)

    def _setup_data(self, compiled) -> None:
        c, spec = self.config, self.data_spec
        augment = c["augment"] or spec.get("augment") or []
        try:
            self.bindings = self.recipe_cls.bindings(compiled, self.data, self.doc,
                                                     self.warnings)
        except Mismatch as e:
            options = set(spec_of(spec.get("name")).options)
            raise DataError(fix_for(e, self.doc, next(iter(compiled)), options, self.data)) \
                from None
        train = self.data.train
        if augment:
            train = Augmented(train, build_transforms(augment, True), int(c["seed"]))
        self.eval_transform = build_transforms(augment, False)
        self.batches = Batches(train, int(c["batch_size"]) // self.dist.world, shuffle=True,
                               seed=int(c["seed"]), rank=self.dist.rank, world=self.dist.world,
                               workers=int(c["workers"]))

    def _place(self, name, comp) -> Net:
        module = comp.module.to(self.device)
        if self.device.type == "cuda" and any(len(b.shape) == 3 for b in self.bindings[name]):
            module = module.to(memory_format=torch.channels_last)
        forward = flat_module(module)  # the same layers, without a Python call per node
        if self.dist.active:
            from torch.nn.parallel import DistributedDataParallel as DDP
            forward = DDP(module, device_ids=[self.device.index] if self.device.type == "cuda"
                          else None,
                          find_unused_parameters=self.recipe_cls.ddp_find_unused_parameters)
        if self.config["compile"]:
            forward = torch.compile(forward)
        return Net(name, comp, module, forward, self.bindings[name])

    def _setup_run(self) -> None:
        main = self.dist.main
        self.run_dir = self.resume_dir or (runs.new_run_dir(self.out, self._run_name())
                                           if main else None)
        if main and not self.resume_dir:
            runs.write_snapshot(self.run_dir, self.doc, self.config)
        self.best = None
        self.bad_epochs = 0
        self.last_metrics: dict = {}
        self.saved_step: dict[str, int] = {}  # tag -> step of the checkpoint written last
        path = self.run_dir / "metrics.jsonl" if self.run_dir else None
        if self.resume_dir:
            info = runs.resume_state(
                runs.load_checkpoint(self.resume_dir, "last", self.modules(), self.optimizers),
                runs.checkpoint_file(self.resume_dir, "last"))
            self.epoch, self.batch_in_epoch, self.step = info["epoch"], info["batch"], info["step"]
            self.schedule.state = info["schedule"]
            self.best, self.bad_epochs = info["best"], info["bad_epochs"]
            if main:  # what a kill left after the checkpoint is done again: log it once
                cut_after_step(path, self.step)
        self.events = EventStream(path, self.callback, enabled=main)

    def _run_name(self) -> str:
        return str(self.doc.meta.get("name") or self.doc.meta.get("title") or "run") \
            .lower().replace(" ", "-")[:40]

    def modules(self) -> dict:
        """Everything saved in a checkpoint: the networks and recipe-owned parameters."""
        return {**{n: net.module for n, net in self.nets.items()}, **self.extra_modules}

    # ----- the loop ----------------------------------------------------------------------------
    def run(self) -> RunResult:
        if not self.ready:
            self.setup()
        c = self.config
        for note in self.notes:
            self.events.emit("note", message=note)
        for w in self.warnings:
            self.events.emit("warning", message=w)
        self.events.emit("start", config=c, run=str(self.run_dir) if self.run_dir else None,
                         networks=list(self.nets), device=str(self.device),
                         world_size=self.dist.world, resumed_at=self.step,
                         train_size=len(self.data.train), steps_per_epoch=len(self.batches))
        status, error = "finished", None
        self.reason = f"{c['epochs']} epoch{'s' if c['epochs'] != 1 else ''} done"
        try:
            status = self._epochs()
        except KeyboardInterrupt:
            status = "interrupted"
            self.reason = f"interrupted (Ctrl+C) at step {self.step}"
            if self.saved_step.get("last") != self.step:  # not just written at an epoch end
                self._save("last", reraise=False)
        except NonFiniteError as e:
            status, error = "nonfinite", str(e)
            self.reason = stops.nonfinite(e)
            if all(torch.isfinite(p).all() for m in self.modules().values()
                   for p in m.parameters()):
                self._save("last")  # weights before the bad step are still good
            self.events.emit("error", message=error, step=e.step, node=e.node,
                             network=e.network)
        except BaseException:  # any other failure: what was logged still reaches the file
            self.events.close()
            raise
        if status in ("finished", "stopped") and self.data.test is not None:
            self._test()
        self.events.emit("end", status=status, step=self.step, epoch=self.epoch,
                         reason=self.reason)
        self.events.close()
        self.dist.close()
        return RunResult(self.run_dir, status, self.epoch, self.step, self.last_metrics, error,
                         self.reason)

    def _epochs(self) -> str:
        c = self.config
        max_steps = int(c["max_steps"] or 0)
        log_every, world = int(c["log_every"]), self.dist.world
        n_batches = len(self.batches)
        lr_groups = [(g, self.base_lr[k]) for k, o in self.optimizers.items()
                     for g in o.param_groups]
        # the logged one: the first optimizer's (a GAN has two; a SOM none, it logs its own)
        first_lr = lr_groups[0][1] if lr_groups else None
        mean = self.dist.mean if self.dist.active else float  # logged values over ranks
        while self.epoch < int(c["epochs"]):
            self.batches.set_epoch(self.epoch)
            for m in self.modules().values():
                m.train()
            start, seen = time.perf_counter(), 0
            totals: dict[str, float] = {}
            factor = None
            # the whole epoch's schedule at once: per step only a lookup (a cosine computed
            # per step is a visible share of a small network's step, bench/overhead.py)
            factors = self.schedule.factors(self.epoch, self.step - self.batch_in_epoch,
                                            n_batches)
            for i, batch in enumerate(self.batches):
                if i < self.batch_in_epoch:  # resuming inside this epoch
                    continue
                if factors[i] != factor:
                    factor = factors[i]
                    for group, base in lr_groups:
                        group["lr"] = base * factor
                result = self.recipe.train_step(batch)
                self.step += 1
                self.batch_in_epoch = i + 1
                n = next(iter(batch.values())).shape[0]  # (len() on a tensor is Python code)
                seen += n
                for k, v in result.items():  # mostly floats (GAN and RBM: tensors)
                    totals[k] = totals.get(k, 0.0) + (v if v.__class__ is float else
                                                      _as_float(v)) * n
                if self.step % log_every == 0 or self.batch_in_epoch == n_batches or \
                        self.step == max_steps:
                    self.events.emit(
                        "step", step=self.step, epoch=self.epoch + 1, batch=self.batch_in_epoch,
                        batches=n_batches, **({} if first_lr is None else
                                              {"lr": first_lr * factor}),
                        samples_per_s=seen * world / max(1e-9, time.perf_counter() - start),
                        **{k: mean(_as_float(v)) for k, v in result.items()})
                if self.prober.every:
                    self.prober.maybe(self.step)
                if max_steps and self.step >= max_steps:
                    self.reason = f"reached the step limit (max_steps {max_steps})"
                    if self.batch_in_epoch < n_batches:  # else the epoch ends as usual first
                        self._save("last")
                        self.events.emit("stopped", reason=self.reason, epoch=self.epoch,
                                         step=self.step)
                        return "stopped"
            train = {k: v / max(1, seen) for k, v in totals.items()}
            train["samples_per_s"] = seen * world / max(1e-9, time.perf_counter() - start)
            if self._end_epoch(train):
                return "stopped"
            if max_steps and self.step >= max_steps:
                self.events.emit("stopped", reason=self.reason, epoch=self.epoch,
                                 step=self.step)
                return "stopped"
        return "finished"

    @contextmanager
    def evaluating(self):
        """Networks in evaluation mode (dropout off, batch-norm statistics frozen) inside."""
        for m in self.modules().values():
            m.eval()
        try:
            yield
        finally:
            for m in self.modules().values():
                m.train()

    def evaluate(self, dataset) -> dict:
        acc = self.recipe.accumulator()
        data = dataset if self.eval_transform is None else \
            Augmented(dataset, self.eval_transform, 0)
        with self.evaluating():
            for batch in Batches(data, int(self.config["batch_size"]) * 2, shuffle=False, seed=0):
                self.recipe.eval_batch(batch, acc)
        return acc.result()

    def _monitor(self) -> tuple[str, str] | None:
        """(monitored value, "min" or "max"): the config's choice or the recipe's default,
        ranked the way the metric registry says; None when nothing ranks checkpoints."""
        name = self.config["monitor"] or self.recipe.default_monitor
        return (name, direction(name)) if name else None

    def _end_epoch(self, train: dict) -> bool:
        """Validate, schedule, checkpoint, early-stop; True when training should stop."""
        val = self.evaluate(self.data.val) if self.data.val is not None else {}
        self.epoch += 1
        self.batch_in_epoch = 0
        metrics = {"train": train, "val": val}
        monitor = self._monitor()
        value = None
        if monitor:
            split, _, key = monitor[0].partition(".")
            value = metrics.get(split, {}).get(key)
        self.schedule.end_epoch(val.get("loss", train.get("loss")))
        improved = value is None or self.best is None or (
            value > self.best if monitor[1] == "max" else value < self.best)
        if improved:
            self.best, self.bad_epochs = value, 0
            self._save("best")
        else:
            self.bad_epochs += 1
        self._save("last")
        self.last_metrics = metrics
        samples = None
        if self.dist.main:  # pictures of what the network does, not of a training step
            with self.evaluating():
                samples = self.recipe.samples(self.prober.probe)
        self.events.emit("epoch", epoch=self.epoch, step=self.step, train=train, val=val,
                         monitor=monitor[0] if monitor else None, best=self.best,
                         improved=improved)
        if samples:
            self.events.emit("samples", epoch=self.epoch, step=self.step, **samples)
        self.prober.snapshot(self.step, force=True)
        stop = self.config["early_stopping"]
        if stop and self.bad_epochs >= int(stop.get("patience", 5)):
            runs.load_checkpoint(self.run_dir or Path("."), "best", self.modules(),
                                 restore_rng=False) if self.run_dir else None
            self.reason = stops.early_stopping(monitor, self.bad_epochs, self.best)
            self.events.emit("stopped", reason=self.reason, epoch=self.epoch,
                             best=self.best, monitor=monitor[0] if monitor else None)
            return True
        return False

    def _test(self) -> None:
        metrics = self.evaluate(self.data.test)
        self.last_metrics = {**self.last_metrics, "test": metrics}
        self.events.emit("test", epoch=self.epoch, step=self.step, test=metrics)

    def _save(self, tag: str, reraise: bool = True) -> None:
        """Write a checkpoint; a Ctrl+C meanwhile waits until it is written, then interrupts
        (``reraise``) or is dropped (the save that an interrupt asked for)."""
        if self.dist.main and self.run_dir:
            info = {"epoch": self.epoch, "batch": self.batch_in_epoch, "step": self.step,
                    "schedule": self.schedule.state, "best": self.best,
                    "bad_epochs": self.bad_epochs}
            with stops.interrupts_deferred() as interrupted:
                runs.save_checkpoint(self.run_dir, tag, self.modules(), self.optimizers, info)
                self.saved_step[tag] = self.step
            if interrupted and reraise:
                raise KeyboardInterrupt


def train(doc, overrides: dict | None = None, **kwargs) -> RunResult:
    """Train ``doc`` (preset and variables already applied); see :class:`Trainer`."""
    return Trainer(doc, overrides, **kwargs).run()
