"""``--data PATH`` alone: which dataset kind a file or folder is, said in one line.

A folder of class folders holding images is an image ``folder``; a ``.csv`` a ``csv`` table; a
``.npz`` an ``npz`` archive; MNIST-format idx files (in the folder, in ``raw/`` or in
torchvision's ``MNIST/raw``) are ``mnist`` (``fashion-mnist`` when the path names Fashion);
CIFAR-10's python batches are ``cifar10``. Anything else is a :class:`DataError` saying what was
looked for.
"""
from __future__ import annotations

from pathlib import Path

from studio.train.data.base import DataError
from studio.train.data.registry import known

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm",
                  ".pgm"}
IDX_IMAGES = "train-images-idx3-ubyte"
CIFAR_FOLDER = "cifar-10-batches-py"


def looks_like_path(text: str) -> bool:
    """Whether ``--data TEXT`` names a file or folder rather than a dataset kind."""
    return text not in known() and (Path(text).expanduser().exists() or "/" in text or
                                    "\\" in text or Path(text).suffix != "")


def _idx_folder(path: Path) -> Path | None:
    for folder in (path, path / "raw", path / "MNIST" / "raw", path / "FashionMNIST" / "raw"):
        if (folder / IDX_IMAGES).is_file() or (folder / f"{IDX_IMAGES}.gz").is_file():
            return folder
    return None


def _class_folders(path: Path) -> list[Path]:
    """Sub-folders that hold at least one image file."""
    return [d for d in sorted(path.iterdir()) if d.is_dir() and any(
        f.suffix.lower() in IMAGE_SUFFIXES for f in d.iterdir())]


def _folder(path: Path) -> tuple[dict, str]:
    if (path / CIFAR_FOLDER).is_dir() or path.name == CIFAR_FOLDER:
        root = path if (path / CIFAR_FOLDER).is_dir() else path.parent
        return {"name": "cifar10", "path": str(root)}, "CIFAR-10 python batches"
    idx = _idx_folder(path)
    if idx is not None:
        fashion = "fashion" in str(idx).lower()
        kind = "fashion-mnist" if fashion else "mnist"
        return {"name": kind, "path": str(path)}, f"{'Fashion-' if fashion else ''}MNIST " \
            f"idx files in {idx}"
    classes = _class_folders(path)
    if classes:
        return {"name": "folder", "path": str(path)}, \
            f"an image folder with {len(classes)} classes ({', '.join(d.name for d in classes[:5])}" \
            f"{', ...' if len(classes) > 5 else ''})"
    raise DataError(f"{path}: not a dataset folder (looked for sub-folders of images, MNIST idx "
                    f"files or {CIFAR_FOLDER}/); name the kind: --data KIND --data path=...")


def guess(text: str) -> tuple[dict, str]:
    """``(spec, what it was taken for)`` for a path given as ``--data PATH``."""
    path = Path(text).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder (looked in {path.parent.resolve()})")
    if path.is_dir():
        spec, what = _folder(path)
    elif path.suffix.lower() == ".csv":
        spec, what = {"name": "csv", "path": str(path)}, "a CSV table"
    elif path.suffix.lower() == ".npz":
        spec, what = {"name": "npz", "path": str(path)}, "a NumPy archive (one field per array)"
    elif path.name.startswith(IDX_IMAGES) or path.name.startswith("train-labels-idx1-ubyte"):
        spec, what = _folder(path.parent)
    else:
        raise DataError(f"{path}: cannot tell what dataset this is (a folder of class folders, "
                        ".csv, .npz, MNIST idx files or CIFAR-10 batches are understood); name "
                        "the kind: --data KIND --data path=...")
    return spec, f"took {path} for {what}: --data {spec['name']} --data path={spec['path']}"


def spec_from(items: list[str], parse_value) -> tuple[dict, list[str]]:
    """``--data`` items (a kind, a path, KEY=VALUE) -> ``(spec, notes)``; ``parse_value`` turns
    an option's text into a value (JSON where it parses)."""
    spec, notes = {}, []
    for item in items:
        key, sep, text = item.partition("=")
        if sep and key and "/" not in key:
            spec[key] = parse_value(key, text)
        elif looks_like_path(item):
            guessed, note = guess(item)
            spec.update(guessed)
            notes.append(note)
        else:
            spec["name"] = item
    path = spec.get("path", spec.get("root"))
    if "name" not in spec and isinstance(path, str):  # --data path=... names no kind
        guessed, note = guess(path)
        spec["name"] = guessed["name"]
        notes.append(note)
    return spec, notes
