"""Users' own data: image folders, MNIST / Fashion-MNIST / CIFAR-10 files on disk, CSV, NPZ/NPY.

Nothing is downloaded. A missing or unreadable file is a :class:`DataError` that names the file
and the folder it was looked for in. Arrays load with ``allow_pickle=False``.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from studio.train.data.base import DataError, FieldDataset
from studio.train.data.registry import dataset


def _path(options, key="path") -> Path:
    value = options.get(key)
    if not value:
        raise DataError(f"this dataset needs the option {key!r} (a path; --data {key}=...)")
    path = Path(str(value)).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder (looked in {path.parent.resolve()})")
    return path


class ImageFolderDataset(torch.utils.data.Dataset):
    """torchvision's ImageFolder as ``{"image", "label"}`` samples of a fixed size."""

    def __init__(self, root: Path, size: int, channels: int):
        from torchvision import datasets
        from torchvision.transforms import v2
        try:
            self.folder = datasets.ImageFolder(str(root))
        except (FileNotFoundError, OSError) as e:
            raise DataError(f"{root}: {e}") from None
        self.transform = v2.Compose([
            v2.ToImage(), v2.Resize((size, size), antialias=True),
            v2.Grayscale(1) if channels == 1 else v2.RGB(), v2.ToDtype(torch.float32, scale=True)])
        self._verify()

    def _verify(self):
        """Open every file once so an unreadable image stops the run before its first step."""
        from PIL import Image
        for path, _ in self.folder.samples:
            try:
                with Image.open(path) as image:
                    image.verify()
            except Exception as e:  # PIL raises many types for broken files
                raise DataError(f"{path}: unreadable image ({type(e).__name__}: {e})") from None

    def __len__(self):
        return len(self.folder)

    def __getitem__(self, i):
        image, label = self.folder[i]
        return {"image": self.transform(image), "label": torch.tensor(label)}

    def labels(self) -> torch.Tensor:
        return torch.tensor(self.folder.targets)


@dataset("folder", "an image folder with one sub-folder per class", path=None, size=32,
         channels=3)
def image_folder(options, seed):
    data = ImageFolderDataset(_path(options), int(options["size"]), int(options["channels"]))
    return data, {"classes": data.folder.classes}


_TORCHVISION = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}


def _torchvision_split(name, root: Path, train: bool):
    from torchvision import datasets
    cls = getattr(datasets, _TORCHVISION[name])
    try:
        return cls(str(root), train=train, download=False)
    except RuntimeError:
        # torchvision's message says only "Dataset not found": name the files it looks for.
        probe = cls.__new__(cls)
        probe.root = str(root)
        if name == "cifar10":
            folder = root / cls.base_folder
            wanted = [f for f, _ in (cls.train_list if train else cls.test_list)]
        else:
            folder = Path(probe.raw_folder)
            wanted = [Path(url).stem for url, _ in cls.resources]
        missing = [f for f in wanted if not (folder / f).exists()]
        raise DataError(f"{name}: missing {', '.join(missing) or 'files'} in {folder} "
                        f"(downloads are off; put the files there)") from None


def _torchvision(name):
    def build(options, seed):
        root = _path(options, "root")
        parts = []
        for train in (True, False):
            raw = _torchvision_split(name, root, train)
            images = torch.as_tensor(np.asarray(raw.data))
            images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
            parts.append(FieldDataset({"image": images.float() / 255.0,
                                       "label": torch.as_tensor(np.asarray(raw.targets))}))
        return parts[0], parts[1], {"classes": list(raw.classes)}
    return build


for _name in _TORCHVISION:
    dataset(_name, f"{_TORCHVISION[_name]} files already on disk (root folder)", root=None)(
        _torchvision(_name))


@dataset("csv", "a CSV table: numeric feature columns and a label column", path=None,
         label="label", features=None)
def csv_table(options, seed):
    path = _path(options)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise DataError(f"{path}: no rows")
    label = options["label"]
    if label not in rows[0]:
        raise DataError(f"{path}: no column {label!r} (columns: {', '.join(rows[0])})")
    features = options["features"] or [c for c in rows[0] if c != label]
    try:
        x = torch.tensor([[float(r[c]) for c in features] for r in rows], dtype=torch.float32)
    except (ValueError, KeyError) as e:
        raise DataError(f"{path}: feature columns must be numbers ({e})") from None
    raw = [r[label] for r in rows]
    try:
        y = torch.tensor([float(v) for v in raw])
        classes = None
        if torch.all(y == y.round()):
            y = y.long()
    except ValueError:  # text labels become class indices in sorted order
        classes = sorted(set(raw))
        y = torch.tensor([classes.index(v) for v in raw])
    return FieldDataset({"x": x, "label": y}), {"classes": classes, "features": features}


def _array(path: Path, key=None) -> np.ndarray:
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise DataError(f"{path}: cannot read as a NumPy array without pickle ({e})") from None
    if key is None:
        return data
    if key not in data.files:
        raise DataError(f"{path}: no array {key!r} (arrays: {', '.join(data.files)})")
    return data[key]


@dataset("npz", "arrays in one .npz file; each array is a field (first axis = samples)",
         path=None, fields=None)
def npz(options, seed):
    path = _path(options)
    names = options["fields"] or {k: k for k in _array(path).files}
    return FieldDataset({field: torch.from_numpy(_array(path, key))
                         for field, key in names.items()}), {}


@dataset("npy", "one .npy file per field: paths={'image': 'x.npy', 'label': 'y.npy'}", paths=None)
def npy(options, seed):
    paths = options["paths"]
    if not isinstance(paths, dict) or not paths:
        raise DataError("dataset 'npy' needs paths={field: file.npy, ...}")
    return FieldDataset({field: torch.from_numpy(_array(_path({"p": p}, "p")))
                         for field, p in paths.items()}), {}
