"""Augmentation declared in the document, applied with ``torchvision.transforms.v2``.

``training.augment`` (or ``training.dataset.augment``) is a list such as
``[{"name": "RandomHorizontalFlip", "p": 0.5}, {"name": "RandomCrop", "size": 32, "padding": 4},
{"name": "RandomRotation", "degrees": 10}, {"name": "GaussianNoise", "sigma": 0.05},
{"name": "Normalize", "mean": [0.5], "std": [0.5]}]``. Random transforms run on the training
split only; Normalize runs on every split. The ``image`` field is wrapped as a tv_tensors.Image and
``mask`` as a Mask, so geometric transforms move a segmentation mask with its image.

Each sample's randomness is seeded from (seed, epoch, index): a resumed run, a different number
of workers or a skipped batch sees exactly the same augmented samples.
"""
from __future__ import annotations

import torch
from torch.utils.data import Dataset

from studio.train.data.base import DataError

ALLOWED = ("RandomHorizontalFlip", "RandomVerticalFlip", "RandomCrop", "RandomResizedCrop",
           "RandomRotation", "RandomAffine", "ColorJitter", "GaussianNoise", "GaussianBlur",
           "RandomErasing", "Normalize")
DETERMINISTIC = ("Normalize",)


def build_transforms(specs: list | None, training: bool):
    """A v2.Compose of the declared transforms (random ones only when ``training``) or None."""
    if not specs:
        return None
    from torchvision.transforms import v2
    steps = []
    for spec in specs or []:
        spec = dict(spec)
        name = spec.pop("name", None)
        if name not in ALLOWED:
            raise DataError(f"augment: unknown transform {name!r} (known: {', '.join(ALLOWED)})")
        if not training and name not in DETERMINISTIC:
            continue
        try:
            steps.append(getattr(v2, name)(**spec))
        except (TypeError, ValueError) as e:
            raise DataError(f"augment: {name}: {e}") from None
    return v2.Compose(steps) if steps else None


class Augmented(Dataset):
    """``dataset`` with ``transform`` applied to its image (and mask) fields."""

    def __init__(self, dataset: Dataset, transform, seed: int):
        self.dataset, self.transform, self.seed, self.epoch = dataset, transform, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        from torchvision import tv_tensors
        sample = dict(self.dataset[i])
        wrapped = {k: (tv_tensors.Image(v) if k == "image" else
                       tv_tensors.Mask(v) if k == "mask" else v) for k, v in sample.items()}
        state = torch.get_rng_state()
        # folded into torch's 64-bit seed range (a seed above ~1.8 million overflowed it);
        # smaller seeds are unchanged, so existing runs repeat exactly. The CPU generator only
        # (the transforms draw there): torch.manual_seed also queues a seed for every lazy
        # accelerator module, formatting a stack trace each time (~1 ms a sample, issue 19)
        torch.default_generator.manual_seed(
            ((self.seed * 1_000_003 + self.epoch) * 10_000_019 + i) % (1 << 63))
        try:
            out = self.transform(wrapped)
        finally:
            torch.set_rng_state(state)
        return {k: v.as_subclass(torch.Tensor) if isinstance(v, torch.Tensor) else v
                for k, v in out.items()}
