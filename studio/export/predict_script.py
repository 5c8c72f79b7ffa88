"""Predict with this NetStudio bundle: the class of an image file or of CSV rows.

Usage:
    python predict.py IMAGE [IMAGE ...]          images (PNG, JPEG, ...): one line each
    python predict.py TABLE.csv [--row N]        every row of a CSV (or row N, from 0)
    python predict.py --values 5.1,3.5,1.4,0.2   one row of feature values

Inputs are prepared as in training, from ``bundle.json`` beside this file: images converted to
the channel order, resized, scaled (pixel / 255 onto the value range) and normalized; CSV rows
read by the feature columns' names. Each line says the input, the class name and its
probability. Needs torch, safetensors, numpy and Pillow (images only).
(This file is copied verbatim into every bundle by NetStudio; it reads its settings as data.)
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def fail(message: str) -> None:
    print(f"predict.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def load_record() -> dict:
    try:
        return json.loads((HERE / "bundle.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        fail(f"cannot read bundle.json beside predict.py ({e})")


def load_model(record: dict):
    try:
        from safetensors.torch import load_file
        spec = importlib.util.spec_from_file_location("bundle_model", HERE / "model.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except ImportError as e:
        fail(f"{e.name or e} is missing: pip install torch safetensors numpy pillow")
    model = getattr(module, record["model_class"])()
    model.load_state_dict(load_file(str(HERE / "weights.safetensors")))
    return model.eval()


def image_input(path: Path, pre: dict) -> np.ndarray:
    """C×H×W float32 prepared like the training images."""
    from PIL import Image
    channels, height, width = pre["shape"]
    try:
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB")
            height, width = pre.get("resize") or (height, width)
            if image.size != (width, height):
                bilinear = getattr(Image, "Resampling", Image).BILINEAR  # Pillow 9.1 moved it
                image = image.resize((width, height), bilinear)
            x = np.asarray(image, dtype=np.float32)
    except OSError as e:
        fail(f"{path}: not a readable image ({e})")
    x = x[None] if x.ndim == 2 else x.transpose(2, 0, 1)
    if pre.get("scale"):
        low, high = pre.get("value_range") or (0.0, 1.0)
        x = x / 255.0 * (high - low) + low
    return normalized(x, pre)


def normalized(x: np.ndarray, pre: dict) -> np.ndarray:
    if pre.get("mean") is None:
        return x.astype(np.float32)
    shape = (-1,) + (1,) * (x.ndim - 1) if x.ndim == 3 else (-1,)
    mean = np.asarray(pre["mean"], np.float32).reshape(shape)
    std = np.asarray(pre["std"], np.float32).reshape(shape)
    return ((x - mean) / std).astype(np.float32)


def csv_inputs(path: Path, pre: dict, row: int | None) -> list:
    """[(label, features)] of the CSV's rows, columns picked by name."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        fail(f"{path}: not a readable CSV table ({e})")
    columns = pre.get("feature_columns")
    if not columns:
        columns = [c for c in (rows[0] if rows else {}) if c != pre.get("label_column")]
    out = []
    for i, values in enumerate(rows):
        if row is not None and i != row:
            continue
        missing = [c for c in columns if c not in values]
        if missing:
            fail(f"{path}: no column(s) {', '.join(missing)} (columns: {', '.join(values)})")
        try:
            x = np.array([float(values[c]) for c in columns], np.float32)
        except ValueError:
            fail(f"{path}: row {i}: every feature column ({', '.join(columns)}) must be a number")
        out.append((f"{path.name} row {i}", normalized(x, pre)))
    if row is not None and not out:
        fail(f"{path}: no row {row} (it has {len(rows)})")
    return out


def predict(model, x: np.ndarray) -> tuple[int, float]:
    import torch
    with torch.no_grad():
        out = model(torch.from_numpy(x[None]))
    out = out[0] if isinstance(out, (tuple, list)) else out
    scores = out.reshape(-1).double()
    is_probability = bool((scores >= 0).all() and (scores <= 1).all()
                          and abs(float(scores.sum()) - 1) < 1e-4)
    probs = scores if is_probability else torch.softmax(scores, 0)
    k = int(probs.argmax())
    return k, float(probs[k])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="image files or .csv tables")
    parser.add_argument("--row", type=int, help="only this row of each CSV (from 0)")
    parser.add_argument("--values", help="comma-separated feature values of one row")
    args = parser.parse_args(argv)
    record = load_record()
    pre, classes = record["input"], record.get("class_names") or []
    if not args.files and not args.values:
        parser.error("give image files, a .csv file or --values")
    items = []
    if args.values:
        try:
            x = np.array([float(v) for v in args.values.split(",")], np.float32)
        except ValueError:
            fail(f"--values: expected comma-separated numbers, got {args.values!r}")
        items.append(("values", normalized(x, pre)))
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            fail(f"{path}: no such file")
        if path.suffix.lower() == ".csv":
            items.extend(csv_inputs(path, pre, args.row))
        elif pre["layout"] == "NCHW":
            items.append((str(path), image_input(path, pre)))
        else:
            fail(f"{path}: this network takes {pre['layout']} input, not an image")
    model = load_model(record)
    for label, x in items:
        if list(x.shape) != list(pre["shape"]):
            fail(f"{label}: prepared input has shape {list(x.shape)}, the network expects "
                 f"{pre['shape']}")
        k, p = predict(model, x)
        name = classes[k] if k < len(classes) else str(k)
        print(f"{label}: {name} (class {k}, p={p:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
