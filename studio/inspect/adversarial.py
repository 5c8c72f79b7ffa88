"""Adversarial perturbation: the small change that makes the network say something else.

Untargeted FGSM (Goodfellow 2014) and PGD (Madry 2017) come from Captum. The targeted search
("make it say class k") is ours around Captum's PGD: double epsilon until the attack succeeds,
then bisect between the last failure and the first success, so the result is close to the
smallest perturbation PGD can find in that norm.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from studio.inspect.errors import InspectError
from studio.inspect.network import check_classes, frozen, logits_of, predict


@dataclass
class AttackResult:
    original: torch.Tensor  # 1×C×H×W
    adversarial: torch.Tensor
    original_class: int
    original_confidence: float
    adversarial_class: int
    adversarial_confidence: float
    epsilon: float  # the budget the result was found with
    norm: str  # "Linf" or "L2"
    target: int | None = None  # the class asked for (targeted attacks)
    cancelled: bool = False

    @property
    def perturbation(self) -> torch.Tensor:
        return self.adversarial - self.original

    @property
    def linf(self) -> float:
        return float(self.perturbation.abs().max())

    @property
    def l2(self) -> float:
        return float(self.perturbation.flatten().norm())

    @property
    def success(self) -> bool:
        if self.target is not None:
            return self.adversarial_class == self.target
        return self.adversarial_class != self.original_class


@contextmanager
def _quiet():
    """Captum's PGD hands FGSM a fresh tensor each step and FGSM warns that it had to turn on
    its gradient: expected here, and noise in a CLI's output."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Input Tensor .* did not already require")
        yield


def _forward(model):
    return lambda inp: logits_of(model(inp)).flatten(1)


def _cross_entropy(logits: torch.Tensor, target) -> torch.Tensor:
    """Per-sample cross-entropy on logits. Captum's default loss is ``-log(output)``, which
    assumes the network ends in a softmax; ours end in logits."""
    t = torch.as_tensor(target, device=logits.device).reshape(-1).expand(logits.shape[0])
    return torch.nn.functional.cross_entropy(logits, t, reduction="none")


def _result(model, x, adv, eps, norm, target=None, cancelled=False) -> AttackResult:
    (c0,), (p0,) = predict(model, x)
    (c1,), (p1,) = predict(model, adv)
    return AttackResult(x.detach(), adv.detach(), c0, p0, c1, p1, float(eps), norm, target,
                        cancelled)


def _check(model, x, norm, eps, *classes):
    if x.dim() != 4 or x.shape[0] != 1:
        raise InspectError(f"expected one image of shape 1×C×H×W, got {tuple(x.shape)}")
    if norm not in ("Linf", "L2"):
        raise InspectError(f"norm must be Linf or L2, got {norm!r}")
    if eps is not None and eps <= 0:
        raise InspectError(f"epsilon must be positive, got {eps}")
    check_classes(model, x, *classes)


def fgsm(model: nn.Module, x: torch.Tensor, epsilon: float, label: int | None = None,
         bounds=(0.0, 1.0)) -> AttackResult:
    """One signed-gradient step of size ``epsilon`` away from ``label`` (default: predicted)."""
    from captum.robust import FGSM
    _check(model, x, "Linf", epsilon, label)
    with frozen(model), _quiet():
        label = predict(model, x)[0][0] if label is None else label
        attack = FGSM(_forward(model), _cross_entropy, lower_bound=bounds[0],
                      upper_bound=bounds[1])
        adv = attack.perturb(x.clone().requires_grad_(True), epsilon, target=label)
        return _result(model, x, adv, epsilon, "Linf")


def pgd(model: nn.Module, x: torch.Tensor, epsilon: float, steps: int = 20,
        target: int | None = None, label: int | None = None, norm: str = "Linf",
        bounds=(0.0, 1.0)) -> AttackResult:
    """Projected gradient descent within ``epsilon``: towards ``target`` when given, else away
    from ``label`` (default: the predicted class)."""
    from captum.robust import PGD
    _check(model, x, norm, epsilon, target, label)
    with frozen(model), _quiet():
        attack = PGD(_forward(model), _cross_entropy, lower_bound=bounds[0],
                     upper_bound=bounds[1])
        if target is None:
            label = predict(model, x)[0][0] if label is None else label
        # 2.5 * eps / steps: the step Madry et al. use so the walk can cross the whole ball.
        # Captum's steps are signed-gradient (Linf) steps even for L2, whose length is
        # step * sqrt(pixels): scale them down so an L2 step is as long as asked.
        step = 2.5 * epsilon / steps
        if norm == "L2":
            step /= x[0].numel() ** 0.5
        adv = attack.perturb(x.clone().requires_grad_(True), epsilon, step, steps,
                             target=label if target is None else target,
                             targeted=target is not None, norm=norm)
        return _result(model, x, adv, epsilon, norm, target)


def smallest_targeted(model: nn.Module, x: torch.Tensor, target: int, norm: str = "Linf",
                      max_epsilon: float | None = None, steps: int = 30, refine: int = 6,
                      bounds=(0.0, 1.0), progress=None) -> AttackResult:
    """The smallest-budget PGD attack that makes the network predict ``target``.

    The search starts at ``max_epsilon / 256`` and doubles; ``max_epsilon`` defaults to the
    whole value range (Linf) or the norm of an image-sized change of the whole range (L2).

    ``progress(fraction) -> bool`` is called after each trial; False stops the search and
    returns the best success so far (or the last failure, ``success`` False).
    """
    if max_epsilon is None:
        span = bounds[1] - bounds[0]
        max_epsilon = span if norm == "Linf" else span * x[0].numel() ** 0.5
    _check(model, x, norm, max_epsilon, target)
    start = max_epsilon / 256
    trials = int(torch.log2(torch.tensor(max_epsilon / start)).ceil()) + 1 + refine
    done = 0

    def trial(eps):
        nonlocal done
        done += 1
        return pgd(model, x, eps, steps, target=target, norm=norm, bounds=bounds)

    def stop():
        return progress is not None and progress(min(1.0, done / trials)) is False

    low, eps, best, last = 0.0, start, None, None
    while eps <= max_epsilon * (1 + 1e-9):
        last = trial(eps)
        if last.success:
            best = last
            break
        if stop():
            return _cancelled(last)
        low, eps = eps, min(eps * 2, max_epsilon) if eps < max_epsilon else eps * 2
    if best is None:
        return last
    high = best.epsilon
    for _ in range(refine):
        if stop():
            return _cancelled(best)
        mid = (low + high) / 2
        attempt = trial(mid)
        if attempt.success:
            best, high = attempt, mid
        else:
            low = mid
    if progress is not None:
        progress(1.0)
    return best


def _cancelled(result: AttackResult) -> AttackResult:
    result.cancelled = True
    return result
