"""Users' own data: image folders, MNIST / Fashion-MNIST / CIFAR-10 files on disk, CSV, NPZ/NPY.

Nothing is downloaded. A missing, unreadable or malformed file is a :class:`DataError` that
names the file (and the line, the array or the folder it was looked for in). Arrays load with
``allow_pickle=False``; MNIST idx files are read by :mod:`studio.train.data.idx`; CIFAR-10's
batches (pickles) are opened by torchvision only after their checksums match the originals.
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


def _cifar_split(root: Path, train: bool):
    from torchvision import datasets
    from torchvision.datasets.utils import check_integrity
    cls = datasets.CIFAR10
    try:
        return cls(str(root), train=train, download=False)
    except RuntimeError:
        # torchvision's message says only "not found or corrupted": name the files, and tell a
        # missing one from one that fails its checksum (damaged, or not the original)
        folder = root / cls.base_folder
        wanted = [*(cls.train_list if train else cls.test_list), (cls.meta["filename"],
                                                                  cls.meta["md5"])]
        missing = [f for f, _ in wanted if not (folder / f).is_file()]
        if missing:
            raise DataError(f"cifar10: missing {', '.join(missing)} in {folder} (downloads "
                            "are off; put the files there)") from None
        bad = [f for f, md5 in wanted if not check_integrity(str(folder / f), md5)]
        raise DataError(f"cifar10: {', '.join(bad) or 'the batches'} in {folder} fail their "
                        "checksum (damaged, or not the original CIFAR-10 python files; they "
                        "are pickles, so only the originals are opened)") from None


def _torchvision(name):
    def build(options, seed):
        from torchvision import datasets

        from studio.train.data import idx
        root = _path(options, "root")
        parts, classes = [], None
        for train in (True, False):
            if name in idx.FOLDERS:
                images, labels = idx.load_split(name, root, train)
                classes = getattr(datasets, _TORCHVISION[name]).classes
            else:
                raw = _cifar_split(root, train)
                images = torch.as_tensor(np.asarray(raw.data)).permute(0, 3, 1, 2) / 255.0
                labels, classes = torch.as_tensor(np.asarray(raw.targets)), raw.classes
            parts.append(FieldDataset({"image": images.float(), "label": labels}))
        return parts[0], parts[1], {"classes": list(classes)}
    return build


for _name in _TORCHVISION:
    dataset(_name, f"{_TORCHVISION[_name]} files already on disk (root folder)", root=None)(
        _torchvision(_name))


def _csv_rows(path: Path) -> tuple[list[str], list[dict]]:
    """The header and the rows as dicts; a row with another number of values than the header
    is an error naming its line (csv.DictReader would fill it with None, a TypeError later)."""
    rows, line = [], 1
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None) or []
            for row in reader:
                line = reader.line_num
                if not row:  # blank lines carry no sample
                    continue
                if len(row) != len(header):
                    raise DataError(f"{path}: line {line}: {len(row)} values, expected "
                                    f"{len(header)} (one per column: {', '.join(header)})")
                rows.append(dict(zip(header, row)))
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text (byte {e.start}: {e.reason})") from None
    except csv.Error as e:
        raise DataError(f"{path}: line {line}: not readable as CSV ({e})") from None
    return header, rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numbers(path: Path, rows: list[dict], columns: list[str]) -> torch.Tensor:
    values = []
    for i, row in enumerate(rows):
        try:
            values.append([float(row[c]) for c in columns])
        except ValueError:
            bad = next(c for c in columns if not _is_number(row[c]))
            raise DataError(f"{path}: row {i + 1}, column {bad!r}: expected a number, got "
                            f"{row[bad]!r:.40}") from None
    return torch.tensor(values, dtype=torch.float32)


def _features(path: Path, options: dict, header: list[str], label: str) -> list[str]:
    features = options["features"] or [c for c in header if c != label]
    if not isinstance(features, list) or not all(isinstance(c, str) for c in features):
        raise DataError(f"dataset 'csv': features: expected a list of column names, "
                        f"got {features!r:.60}")
    unknown = [c for c in features if c not in header]
    if unknown:
        raise DataError(f"{path}: no column(s) {', '.join(map(repr, unknown))} "
                        f"(columns: {', '.join(header)})")
    return features


@dataset("csv", "a CSV table: numeric feature columns and a label column", path=None,
         label="label", features=None)
def csv_table(options, seed):
    path = _path(options)
    header, rows = _csv_rows(path)
    if not rows:
        raise DataError(f"{path}: no rows")
    label = options["label"]
    if label not in header:
        raise DataError(f"{path}: no column {label!r} (columns: {', '.join(header)})")
    features = _features(path, options, header, label)
    x = _numbers(path, rows, features)
    raw = [r[label] for r in rows]
    if all(_is_number(v) for v in raw):
        y = torch.tensor([float(v) for v in raw])
        classes = None
        if torch.all(y == y.round()):
            y = y.long()
    else:  # text labels become class indices in sorted order
        classes = sorted(set(raw))
        y = torch.tensor([classes.index(v) for v in raw])
    return FieldDataset({"x": x, "label": y}), {"classes": classes, "features": features}


def _load_numpy(path: Path):
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read as a NumPy array without pickle ({e})") from None


def _field(array, where: str) -> torch.Tensor:
    """A field's tensor: numbers along a first axis of samples (a 0-d array has none)."""
    if not isinstance(array, np.ndarray):
        raise DataError(f"{where}: expected one array (.npy), got an archive of arrays (.npz)")
    if array.ndim == 0:
        raise DataError(f"{where}: a single value (0-d array); expected one entry per sample "
                        "along the first axis")
    if array.dtype.kind not in "biuf":
        raise DataError(f"{where}: expected numbers, got array dtype {array.dtype}")
    return torch.from_numpy(np.ascontiguousarray(array))


@dataset("npz", "arrays in one .npz file; each array is a field (first axis = samples)",
         path=None, fields=None)
def npz(options, seed):
    path = _path(options)
    archive = _load_numpy(path)
    if isinstance(archive, np.ndarray):
        raise DataError(f"{path}: one array (.npy), expected an archive of arrays (.npz); use "
                        "--data npy")
    names = options["fields"] or {k: k for k in archive.files}
    if not isinstance(names, dict):
        raise DataError(f"dataset 'npz': fields: expected {{field: array name}}, "
                        f"got {names!r:.60}")
    missing = [k for k in names.values() if k not in archive.files]
    if missing:
        raise DataError(f"{path}: no array {missing[0]!r} (arrays: {', '.join(archive.files)})")
    fields = {}
    for field, key in names.items():
        try:
            array = archive[key]
        except (ValueError, OSError, EOFError) as e:  # a damaged member of the archive
            raise DataError(f"{path}: array {key!r}: unreadable ({e})") from None
        fields[field] = _field(array, f"{path}: array {key!r}")
    return FieldDataset(fields), {}


@dataset("npy", "one .npy file per field: paths={'image': 'x.npy', 'label': 'y.npy'}", paths=None)
def npy(options, seed):
    paths = options["paths"]
    if not isinstance(paths, dict) or not paths:
        raise DataError("dataset 'npy' needs paths={field: file.npy, ...}")
    fields = {}
    for field, p in paths.items():
        path = _path({"p": p}, "p")
        fields[field] = _field(_load_numpy(path), str(path))
    return FieldDataset(fields), {}
