"""Fuzz cases: a template document, a few mutations, and the bytes of the resulting file.

A case is a pure function of its chooser. :func:`make_case` seeds the chooser from ``(seed, i)``
only, so case 4711 of seed 0 is the same file on every machine and in every process (the bench
can regenerate and write any reproducer it reports). The hypothesis suite drives the same
mutators through a chooser that draws from hypothesis, so its examples shrink.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import lru_cache

from studio.core.templates import template_names, template_path

from .draft import Draft
from .mutations import FAMILIES, MUTATIONS


class RandomPick:
    """The chooser for seeded cases: everything drawn from one :class:`random.Random`.

    ``large``: whether mutations may build documents that are slow to process though valid
    (thousands of nodes, a paper-sized preset); the bench wants them, the suite keeps cases
    around a tenth of a second."""

    def __init__(self, rng: random.Random, large: bool = True):
        self.rng, self.large = rng, large

    def choice(self, options):
        options = list(options)
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


@lru_cache(maxsize=None)
def _template_text(name: str) -> str:
    return template_path(name).read_text(encoding="utf-8")


def templates() -> list[str]:
    return template_names()


def template_json(name: str) -> dict:
    """A fresh parsed copy of a bundled template (mutations edit it in place)."""
    return json.loads(_template_text(name))


# -- cases -------------------------------------------------------------------------------------

@dataclass
class Case:
    index: int
    template: str
    mutations: list[str] = field(default_factory=list)  # one readable label per mutation
    data: bytes = b""
    training: bool = False  # compile the training module (losses, targets) or inference only

    def label(self) -> str:
        return f"{self.template}: " + "; ".join(self.mutations)


def build_case(pick, index: int = -1, template: str | None = None,
               families: tuple[str, ...] = FAMILIES, most: int = 3) -> Case:
    """A template with 1..``most`` mutations drawn from ``families``."""
    name = template or pick.choice(templates())
    draft = Draft(template_json(name))
    labels = []
    for _ in range(pick.integer(1, most)):
        family = pick.choice(families)
        mutate = pick.choice(MUTATIONS[family])
        labels.append(f"{family}/{mutate.__name__}: {mutate(draft, pick)}")
    return Case(index, name, labels, draft.to_bytes(), training=bool(pick.integer(0, 1)))


def make_case(seed: int, index: int, large: bool = True) -> Case:
    """Case ``index`` of ``seed``: templates in turn, everything else from (seed, index)."""
    rng = random.Random(f"netstudio-fuzz:{seed}:{index}")
    names = templates()
    return build_case(RandomPick(rng, large), index, names[index % len(names)])

