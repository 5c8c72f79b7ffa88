"""What a network expects of its input, derived from the dataset it trains on.

A shipped model is only usable when its user can prepare an input the way training did: the
layout (images N×C×H×W, feature vectors, sequences, token ids), the scaling of pixel values
(``pixel / 255``, then mapped onto the dataset's value range), a ``Normalize`` step of the
augment list (mean/std, applied on every split), the channel order (RGB or gray), the CSV
columns in order and the class names. :func:`preprocessing_for` reads all of it from the
resolved training config (``studio.train.config.resolve_config``) and the network's input shape;
export writes it into ONNX metadata and bundles, the studio's Data tab shows it.

No Qt and no torchvision here: a plain record of numbers and names, JSON in and out.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field as dataclass_field

# datasets whose image field holds pixels scaled from 0..255 to 0..1 (before Normalize)
IMAGE_DATASETS = {"folder", "mnist", "fashion-mnist", "cifar10", "digits", "shapes"}
LAYOUTS = ("NCHW", "features", "sequence", "tokens", "other")
METADATA_PREFIX = "netstudio.preprocessing."


@dataclass
class Preprocessing:
    """How to turn a user's file into the network's input; every field is JSON."""

    layout: str  # one of LAYOUTS
    shape: list  # one sample's input shape (no batch axis)
    dtype: str = "float32"
    field: str = ""  # the dataset field that feeds the input
    dataset: str = ""  # the dataset kind it was derived from
    channel_order: str | None = None  # "RGB" or "gray" for images
    resize: list | None = None  # [H, W] images are resized to
    scale: str | None = None  # "pixel / 255" when pixels are scaled to 0..1
    value_range: list | None = None  # [low, high] the 0..1 pixels are mapped onto
    mean: list | None = None  # Normalize: (x - mean) / std per channel, after scaling
    std: list | None = None
    feature_columns: list | None = None  # CSV: the feature columns, in input order
    label_column: str | None = None
    class_names: list | None = None
    notes: list = dataclass_field(default_factory=list)  # what could not be found out, said plainly

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], "")}

    @classmethod
    def from_json(cls, data: dict) -> "Preprocessing":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    def metadata(self) -> dict[str, str]:
        """Flat string pairs for ONNX ``metadata_props``: one key per fact, lists as JSON,
        so a consumer reads ``netstudio.preprocessing.mean`` without parsing the rest."""
        out = {}
        for key, value in self.to_json().items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            out[METADATA_PREFIX + key] = text
        return out

    def describe(self, notes: bool = True) -> list[str]:
        """Lines a person reads: what the network receives and how to prepare it."""
        shape = "×".join(map(str, self.shape))
        lines = [f"input: {self.layout} {shape} {self.dtype}"
                 + (f" (field {self.field!r})" if self.field else "")]
        if self.layout == "NCHW":
            lines.append(f"image: {self.channel_order or '?'}, resized to "
                         f"{'×'.join(map(str, self.resize or self.shape[1:]))}")
        if self.scale:
            low, high = self.value_range or (0, 1)
            lines.append(f"scaling: {self.scale} -> {low:g}..{high:g}")
        if self.mean is not None:
            lines.append(f"normalize: (x - {self.mean}) / {self.std}")
        if self.feature_columns:
            lines.append(f"columns: {', '.join(self.feature_columns)}"
                         + (f" (label: {self.label_column})" if self.label_column else ""))
        if self.class_names:
            names = ", ".join(map(str, self.class_names[:12]))
            more = f" and {len(self.class_names) - 12} more" if len(self.class_names) > 12 else ""
            lines.append(f"classes ({len(self.class_names)}): {names}{more}")
        return lines + [f"note: {n}" for n in self.notes if notes]


def layout_of(shape, dtype: str) -> str:
    """The kind of input a per-sample ``shape`` and ``dtype`` describe."""
    if str(dtype).startswith("int"):
        return "tokens"
    return {3: "NCHW", 1: "features", 2: "sequence"}.get(len(shape), "other")


def _normalize(augment: list) -> tuple[list | None, list | None]:
    """mean/std of the augment list's Normalize (the one step applied on every split)."""
    for step in augment or []:
        if isinstance(step, dict) and step.get("name") == "Normalize":
            as_list = lambda v: [float(x) for x in (v if isinstance(v, (list, tuple)) else [v])]
            return as_list(step.get("mean", 0.0)), as_list(step.get("std", 1.0))
    return None, None


def _range(options: dict) -> list | None:
    value = options.get("range")
    if isinstance(value, (list, tuple)) and len(value) == 2 and list(value) != [0, 1]:
        return [float(value[0]), float(value[1])]
    return None


def preprocessing_for(config: dict, shape, dtype: str = "float32", field_name: str = "",
                      info: dict | None = None) -> Preprocessing:
    """The preprocessing of a network whose input has per-sample ``shape`` and ``dtype``,
    trained with the resolved ``config``; ``info`` is the dataset's (class names, CSV
    features) when it was loaded."""
    spec = config.get("dataset") or {}
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = str(spec.get("name") or "")
    info = info or {}
    shape = [int(s) for s in shape]
    layout = layout_of(shape, dtype)
    pre = Preprocessing(layout, shape, str(dtype), field_name, name)
    if layout == "NCHW":
        pre.channel_order = {1: "gray", 3: "RGB"}.get(shape[0])
        pre.resize = shape[1:]
        if name in IMAGE_DATASETS:
            pre.scale = "pixel / 255"
            pre.value_range = _range(spec)
    pre.mean, pre.std = _normalize(config.get("augment") or spec.get("augment") or [])
    if name == "csv":
        pre.feature_columns = info.get("features") or spec.get("features")
        # the loader may have guessed the label column; it says so in info when it does
        pre.label_column = info.get("label") or spec.get("label")
    # names the document states itself win over the dataset's (folder names, label strings)
    classes = config.get("class_names") or info.get("classes")
    if isinstance(classes, (list, tuple)) and classes:
        pre.class_names = [str(c) for c in classes]
    return pre
