"""Datasets for training: bundled offline sets, users' own files, splits, augmentation, checks."""
from studio.train.data.base import DataBundle, DataError, FieldDataset
from studio.train.data.registry import known, load_dataset

__all__ = ["DataBundle", "DataError", "FieldDataset", "known", "load_dataset"]
