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
         channels=3, example="--data folder --data path=photos/ --data size=32",
         helps={"path": "a folder holding one sub-folder of images per class",
                "size": "images are resized to size x size pixels",
                "channels": "1 (grayscale) or 3 (RGB)"})
def image_folder(options, seed):
    data = ImageFolderDataset(_path(options), _count(options, "size"), _channels(options))
    return data, {"classes": data.folder.classes}


def _count(options, key) -> int:
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DataError(f"dataset option {key!r}: expected a whole number >= 1, got {value!r:.40}")
    return value


def _channels(options) -> int:
    if options["channels"] not in (1, 3):
        raise DataError(f"dataset option 'channels': expected 1 or 3, got "
                        f"{options['channels']!r:.40}")
    return options["channels"]


def _reshaped(images: torch.Tensor, options) -> torch.Tensor:
    """Images (N, C, H, W) at the ``size`` and ``channels`` options (None: as stored)."""
    if options.get("size") is not None:
        size = _count(options, "size")
        if images.shape[-1] != size or images.shape[-2] != size:
            images = torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear",
                                                     align_corners=False, antialias=True)
    if options.get("channels") is not None and _channels(options) != images.shape[1]:
        if options["channels"] == 1:  # ITU-R 601 luma, as torchvision's Grayscale
            weights = torch.tensor([0.299, 0.587, 0.114])[:images.shape[1]]
            images = (images * weights[None, :, None, None]).sum(1, keepdim=True)
        else:
            images = images.expand(-1, 3, -1, -1)
    return images.clamp(0, 1)


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
        root = _path(options)
        parts, classes = [], None
        for train in (True, False):
            if name in idx.FOLDERS:
                images, labels = idx.load_split(name, root, train)
                classes = getattr(datasets, _TORCHVISION[name]).classes
            else:
                raw = _cifar_split(root, train)
                images = torch.as_tensor(np.asarray(raw.data)).permute(0, 3, 1, 2) / 255.0
                labels, classes = torch.as_tensor(np.asarray(raw.targets)), raw.classes
            parts.append(FieldDataset({"image": _reshaped(images.float(), options),
                                       "label": labels}))
        return parts[0], parts[1], {"classes": list(classes)}
    return build


_FILES = {"mnist": "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-... (.gz too)",
          "fashion-mnist": "the four idx files of Fashion-MNIST (.gz too)",
          "cifar10": "cifar-10-batches-py/ (data_batch_1..5, test_batch, batches.meta)"}
for _name in _TORCHVISION:
    dataset(_name, f"{_TORCHVISION[_name]} files already on disk", path=None, size=None,
            channels=None, example=f"--data {_name} --data path=~/data/{_name}",
            helps={"path": f"the folder holding {_FILES[_name]}; root= is accepted too",
                   "size": "resize images to size x size (default: as stored)",
                   "channels": "1 (grayscale) or 3 (default: as stored)"})(_torchvision(_name))


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


LABEL_NAMES = ("label", "target", "class", "y")


def guess_label(header: list[str], rows: list[dict]) -> tuple[str, str]:
    """The label column and why: a column named like one, else the last non-numeric one, else
    the last column."""
    named = [c for c in header if c.strip().lower() in LABEL_NAMES]
    if named:
        return named[0], "its name"
    text = [c for c in header if not all(_is_number(r[c]) for r in rows)]
    if text:
        return text[-1], "the last non-numeric column"
    return header[-1], "the last column"


@dataset("csv", "a CSV table: numeric feature columns and a label column", path=None,
         label=None, features=None, example="--data iris.csv (or --data csv --data path=iris.csv "
         "--data label=species)",
         helps={"path": "the .csv file (first line: column names)",
                "label": "the label column (default: one named label/target/class/y, else the "
                         "last non-numeric column)",
                "features": "the feature columns, e.g. [\"a\",\"b\"] (default: all others)"})
def csv_table(options, seed):
    path = _path(options)
    header, rows = _csv_rows(path)
    if not rows:
        raise DataError(f"{path}: no rows")
    label, notes = options["label"], []
    if label is None:
        label, why = guess_label(header, rows)
        notes.append(f"{path.name}: took column {label!r} as the label ({why}; "
                     f"--data label=COLUMN chooses another)")
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
    return FieldDataset({"x": x, "label": y}), {"classes": classes, "features": features,
                                                 "label": label, "notes": notes}


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


# Keras' mnist.npz / cifar10 saved with NumPy: the official split in four arrays
SPLIT_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


@dataset("npz", "arrays in one .npz file; each array is a field (first axis = samples); "
         "x_train/y_train/x_test/y_test (Keras' layout) become image|x and label with their "
         "own test split", path=None, fields=None,
         example="--data data.npz (arrays image and label)",
         helps={"path": "the .npz file",
                "fields": "{field: array name} (default: every array under its own name)"})
def npz(options, seed):
    path = _path(options)
    archive = _load_numpy(path)
    if isinstance(archive, np.ndarray):
        raise DataError(f"{path}: one array (.npy), expected an archive of arrays (.npz); use "
                        "--data npy")
    if options["fields"] is None and set(SPLIT_ARRAYS) <= set(archive.files):
        return _split_npz(path, archive)
    names = options["fields"] or {k: k for k in archive.files}
    if not isinstance(names, dict):
        raise DataError(f"dataset 'npz': fields: expected {{field: array name}}, "
                        f"got {names!r:.60}")
    fields, notes = _arrays(path, archive, names)
    return FieldDataset(fields), {"notes": notes}


def _arrays(path: Path, archive, names: dict) -> tuple[dict, list]:
    """``{field: tensor}`` for ``{field: array name}``; 8-bit images scaled to 0..1."""
    missing = [k for k in names.values() if k not in archive.files]
    if missing:
        raise DataError(f"{path}: no array {missing[0]!r} (arrays: {', '.join(archive.files)})")
    fields, notes = {}, []
    for field, key in names.items():
        try:
            array = archive[key]
        except (ValueError, OSError, EOFError) as e:  # a damaged member of the archive
            raise DataError(f"{path}: array {key!r}: unreadable ({e})") from None
        fields[field] = _field(array, f"{path}: array {key!r}")
        if array.dtype == np.uint8 and array.ndim >= 3:  # 8-bit images, as MNIST's .npz
            fields[field] = fields[field].float() / 255.0
            notes.append(f"{path.name}: array {key!r} holds 8-bit images: scaled to 0..1")
    return fields, notes


def _split_npz(path: Path, archive):
    """x_train/y_train/x_test/y_test: train and the official test split."""
    images = archive["x_train"].ndim >= 3
    x = "image" if images else "x"
    parts, notes = [], []
    for split in ("train", "test"):
        fields, more = _arrays(path, archive, {x: f"x_{split}", "label": f"y_{split}"})
        if fields["label"].ndim == 2 and fields["label"].shape[1] == 1:  # CIFAR's (N, 1)
            fields["label"] = fields["label"][:, 0]
        if images and fields[x].ndim == 4 and fields[x].shape[-1] in (1, 3):  # NHWC
            fields[x] = fields[x].permute(0, 3, 1, 2).contiguous()
        parts.append(FieldDataset(fields))
        notes += more
    notes.append(f"{path.name}: x_train/y_train/x_test/y_test read as fields {x!r} and "
                 "'label' with the file's own test split")
    return parts[0], parts[1], {"notes": notes}


@dataset("npy", "one .npy file per field: paths={'image': 'x.npy', 'label': 'y.npy'}", paths=None,
         example="--data npy --data 'paths={\"image\": \"x.npy\", \"label\": \"y.npy\"}'",
         helps={"paths": "{field: file.npy}"})
def npy(options, seed):
    paths = options["paths"]
    if not isinstance(paths, dict) or not paths:
        raise DataError("dataset 'npy' needs paths={field: file.npy, ...}")
    fields = {}
    for field, p in paths.items():
        path = _path({"p": p}, "p")
        fields[field] = _field(_load_numpy(path), str(path))
    return FieldDataset(fields), {}
