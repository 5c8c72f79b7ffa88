"""Datasets for training: bundled offline sets, users' own files, splits, augmentation, checks."""
from studio.train.data.base import DataBundle, DataError, FieldDataset
from studio.train.data.registry import known, load_dataset
# Importing a provider registers its datasets, as a family module of ``nodes/`` registers its
# node types: the registry never imports the providers, so neither side imports the other back.
from studio.train.data import bundled, text, user  # noqa: F401,E402
from studio.train.data import sentiment, vqa  # noqa: F401,E402
from studio.train.data import regression  # noqa: F401,E402
from studio.train.data import pretext  # noqa: F401,E402
from studio.train.data import colours  # noqa: F401,E402  (self-organizing map demo)

__all__ = ["DataBundle", "DataError", "FieldDataset", "known", "load_dataset"]
