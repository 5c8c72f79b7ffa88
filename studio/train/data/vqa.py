"""``vqa``: a generated toy visual question answering set (two inputs, one answer).

Each sample is a small RGB picture of one to three coloured shapes, each in its own quadrant (so
none hides another), a question about it as word tokens and the answer as a class:

- ``what colour is the square ?`` -> ``red`` (asked only about a shape drawn exactly once),
- ``what shape is red ?`` -> ``square`` (every shape of a picture has its own colour),
- ``how many circles ?`` -> ``0`` .. ``3``.

Fields: ``image`` (3, size, size) float in [0, 1], ``question`` (steps,) int64 padded on the
*left* with ``<pad>`` (index 0) so a recurrent layer's last state comes right after the last
word, ``label`` int64 (the answer). ``info["vocab"]`` reads the questions, ``info["classes"]``
the answers. The pictures and questions are the same on every machine; the run's seed only
drives the split. No question type can be answered from the question alone better than by
guessing among its answers, so beating the majority answer needs the picture.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from studio.train.data.base import DataError, FieldDataset
from studio.train.data.bundled import _draw
from studio.train.data.registry import dataset

SHAPES = ("circle", "square", "triangle")
COLOURS = {"red": (1.0, 0.15, 0.1), "green": (0.1, 0.8, 0.2), "blue": (0.15, 0.3, 1.0),
           "yellow": (1.0, 0.9, 0.1)}
ANSWERS = (*COLOURS, *SHAPES, "0", "1", "2", "3")
QUESTION_WORDS = ("<pad>", "what", "colour", "shape", "is", "the", "how", "many", "?",
                  *SHAPES, *(s + "s" for s in SHAPES), *COLOURS)
STEPS = 6  # the longest question, "what colour is the square ?"


def _question(words: list, steps: int) -> list:
    ids = [QUESTION_WORDS.index(w) for w in words]
    return [0] * (steps - len(ids)) + ids


def _scene(rng, size: int):
    """(picture, [(shape, colour), ...]): 1-3 shapes in distinct quadrants, distinct colours."""
    image = np.zeros((3, size, size), np.float32)
    count = rng.randint(1, 4)
    quadrants = rng.permutation(4)[:count]
    colours = rng.permutation(len(COLOURS))[:count]
    objects, half = [], size / 2
    for q, c in zip(quadrants, colours):
        shape = SHAPES[rng.randint(len(SHAPES))]
        r = rng.uniform(size * 0.17, size * 0.23)
        cx = (q % 2) * half + rng.uniform(r, half - r)
        cy = (q // 2) * half + rng.uniform(r, half - r)
        name = list(COLOURS)[c]
        image[:, _draw(shape, size, cx, cy, r)] = np.array(COLOURS[name], np.float32)[:, None]
        objects.append((shape, name))
    return image, objects


def _ask(rng, objects: list, steps: int) -> tuple[list, str]:
    """One question about ``objects`` and its answer; the kind is drawn uniformly."""
    shapes = [s for s, _ in objects]
    single = [s for s in SHAPES if shapes.count(s) == 1]
    kind = rng.randint(3)
    if kind == 0 and single:
        shape = single[rng.randint(len(single))]
        return _question(["what", "colour", "is", "the", shape, "?"], steps), \
            dict(objects)[shape]
    if kind <= 1:
        shape, colour = objects[rng.randint(len(objects))]
        return _question(["what", "shape", "is", colour, "?"], steps), shape
    shape = SHAPES[rng.randint(len(SHAPES))]
    return _question(["how", "many", shape + "s", "?"], steps), str(shapes.count(shape))


@dataset("vqa", "generated toy visual question answering: coloured shapes and questions about "
         "them (two inputs)", size=32, count=3000, noise=0.05, steps=STEPS,
         example="--data vqa --data count=5000",
         helps={"size": "picture side in pixels", "count": "picture-question pairs",
                "noise": "Gaussian pixel noise", "steps": f"question length in tokens "
                f"(at least {STEPS})"})
def vqa(options, seed):
    size, count, steps = options["size"], options["count"], options["steps"]
    for key, value, low in (("size", size, 16), ("count", count, 1), ("steps", steps, STEPS)):
        if not isinstance(value, int) or value < low:
            raise DataError(f"dataset 'vqa': option {key!r} must be an integer >= {low}, "
                            f"got {value!r}")
    fields = _generate(size, count, steps, float(options["noise"]))
    return FieldDataset(dict(fields)), {"classes": list(ANSWERS), "vocab": list(QUESTION_WORDS)}


@lru_cache(maxsize=2)  # ~1 s of Python per build; the Data tab, the lab and a run ask in turn
def _generate(size: int, count: int, steps: int, noise_level: float) -> dict:
    rng = np.random.RandomState(2015)  # Antol et al.'s year: fixed data, seed-free
    images = np.zeros((count, 3, size, size), np.float32)
    questions = np.zeros((count, steps), np.int64)
    labels = np.zeros(count, np.int64)
    for i in range(count):
        images[i], objects = _scene(rng, size)
        questions[i], answer = _ask(rng, objects, steps)
        labels[i] = ANSWERS.index(answer)
    images = torch.from_numpy(images)
    # torch's generator: numpy's float64 normal costs most of the build at 3,000 pictures
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(2015))
    return {"image": (images + noise_level * noise).clamp_(0, 1),
            "question": torch.from_numpy(questions), "label": torch.from_numpy(labels)}
