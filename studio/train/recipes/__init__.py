"""Recipes: how one training step uses the compiled networks and their optimizers.

The graph already holds the loss terms (each loss node's output is weighted), so a supervised,
reconstruction, VAE or skip-gram step is the same: sum the loss nodes, backward, step. Recipes
differ in their metrics, their samples and, for GANs and RBMs, in how they step. ``base`` holds
the interface the engine calls and the supervised step, ``supervised`` the labelled-data
recipes, ``generative`` those that model their data.

A new recipe subclasses :class:`Recipe` and calls :func:`register`; the engine needs no change.
"""
from studio.train.recipes.base import Recipe, RecipeContext, recipes, register  # noqa: F401
from studio.train.recipes.generative import (  # noqa: F401
    GAN, VAE, ContrastiveDivergence, Reconstruction, VisibleBias,
)
from studio.train.recipes.supervised import (  # noqa: F401
    Classification, Regression, Segmentation, Sequence, SkipGram,
)

# The studio's recipe menu lists the names in this order.
register(Classification, Recipe, Regression, Segmentation, Sequence, Reconstruction, VAE, GAN,
         SkipGram, ContrastiveDivergence)

from studio.train.recipes.conditional_gan import ConditionalGAN  # noqa: E402
register(ConditionalGAN)

from studio.train.recipes.som import SelfOrganizing  # noqa: E402
register(SelfOrganizing)

from studio.train.recipes.embedding import CBOW  # noqa: E402
register(CBOW)

from studio.train.recipes.layerwise import Layerwise  # noqa: E402
register(Layerwise)
