"""Kohonen's self-organizing map: a grid of prototypes ordered by competitive learning.

The graph only measures (each sample's distances to the prototypes); the ``som`` recipe moves
the prototypes, so there is no loss node and no Target.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, describe, presets, training

IMAGE = [1, "$input_size", "$input_size"]


@template("som")
def som() -> Document:
    variables = {"input_size": 8, "rows": 10, "cols": 10}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "Self-organizing map (Kohonen)", "a grid of prototypes that arranges the digits "
            "by similarity, trained by competition, not gradients",
            "Each unit of a rows × cols grid holds a prototype image. For every sample the "
            "nearest prototype (the best-matching unit) and its grid neighbours move towards "
            "the sample, weighted by a Gaussian neighbourhood whose radius and learning rate "
            "shrink over the run (the som recipe; no loss is back-propagated). Neighbouring "
            "units end up holding similar digits: the dashboard's Map tab shows the prototypes "
            "in grid order and the U-matrix (each unit's mean distance to its neighbours: "
            "bright ridges are the borders between digit classes). Reported: quantization error "
            "(mean distance of a sample to its best-matching prototype) and topographic error "
            "(share of samples whose two nearest prototypes are not neighbours).",
            "Kohonen 1982, Self-organized formation of topologically correct feature maps",
            "unsupervised neural nets: self-organizing (Kohonen) map"),
        # lr 0.5 -> 0.01 and radius half the grid -> 0.5 unit, exponentially (Kohonen's
        # ordering phase, then fine tuning); "optimizer.lr" is the Kohonen rate at the start
        training={**training("som", "digits", optimizer="sgd", lr=0.5, schedule="none",
                             epochs=10, batch_size=16),
                  "som": {"lr_end": 0.01, "sigma_end": 0.5}})
    b = Net(doc)
    x = b.add("reshape.Flatten", b.input(IMAGE, field="image"))
    distances = b.add("som.SelfOrganizingMap", x, rows="$rows", cols="$cols", id="som")
    b.output(distances, "distances")
    return doc


@template("som-colours")
def som_colours() -> Document:
    variables = {"rows": 12, "cols": 12}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "Self-organizing map of colours (Kohonen)", "Kohonen's classic demo: random RGB "
            "colours spread over a grid, similar colours side by side",
            "Each unit of a rows × cols grid holds a prototype colour, first random. For every "
            "colour drawn from the RGB cube, the nearest prototype and its grid neighbours move "
            "towards it, with a neighbourhood radius and a learning rate that shrink over the "
            "run (the som recipe; no gradients). The map folds the three-dimensional cube onto "
            "two dimensions: smooth gradients of hue with a few seams, shown as swatches in the "
            "dashboard's Map tab beside the U-matrix (bright where neighbouring colours "
            "differ most).",
            "Kohonen 1982, Self-organized formation of topologically correct feature maps",
            "unsupervised neural nets: self-organizing (Kohonen) map"),
        training={**training("som", "colours", optimizer="sgd", lr=0.5, schedule="none",
                             epochs=10, batch_size=16),
                  "som": {"lr_end": 0.01, "sigma_end": 0.5}})
    b = Net(doc)
    colour = b.input([3], field="colour", port="colour")
    b.output(b.add("som.SelfOrganizingMap", colour, rows="$rows", cols="$cols", id="som"),
             "distances")
    return doc
