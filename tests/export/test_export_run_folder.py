"""``netstudio export --weights RUN``: a user's image folder, a short training run, then a
bundle whose predict.py (in a subprocess, on the user's PNGs) agrees with the studio's own
inference, and an ONNX file whose metadata holds the preprocessing and the class names."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from studio.cli import main
from studio.compile.fx import compile_network
from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.core.serialize import load, save
from studio.export.weights import load_weights
from studio.train.data.user import ImageFolderDataset
from studio.train.engine import Trainer

CLASSES = ["left", "right", "top"]  # where the bright bar is
SIZE = 12


def _picture(kind: str, rng) -> np.ndarray:
    """A 20×20 RGB image (resized to SIZE by training and predict.py alike): a coloured bar
    on the left, right or top, on noise."""
    image = rng.integers(0, 60, (20, 20, 3)).astype(np.uint8)
    colour = rng.integers(150, 256, 3)
    region = {"left": (slice(None), slice(0, 7)), "right": (slice(None), slice(13, 20)),
              "top": (slice(0, 7), slice(None))}[kind]
    image[region] = colour
    return image


def image_folder(root, per_class: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    for kind in CLASSES:
        (root / kind).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(_picture(kind, rng)).save(root / kind / f"{kind}{i}.png")
    return root


def folder_doc(path) -> Document:
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[3, SIZE, SIZE])
    y = b.add("io.Target", shape=[], dtype="int64", id="label", name="label")
    logits = b.add("linear.Linear", b.add("reshape.Flatten", x), out_features=len(CLASSES))
    b.add("io.Output", logits, name="logits")
    b.add("loss.CrossEntropy", logits, y)
    doc.meta.update(name="bars", title="Bars", version="3")
    doc.training = {"dataset": {"name": "folder", "path": str(path), "size": SIZE,
                                "channels": 3},
                    "augment": [{"name": "Normalize", "mean": [0.5, 0.5, 0.5],
                                 "std": [0.25, 0.25, 0.25]}],
                    "optimizer": {"name": "adam", "lr": 0.01}, "epochs": 4, "batch_size": 8,
                    "log_every": 1000}
    return doc


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(document file, run folder, image folder) after a few seconds of training."""
    tmp = tmp_path_factory.mktemp("run")
    images = image_folder(tmp / "images")
    doc = folder_doc(images)
    save(doc, tmp / "bars.nnet.json")
    torch.manual_seed(0)
    Trainer(doc, out=str(tmp / "run")).run()
    return tmp / "bars.nnet.json", tmp / "run", images


def studio_predictions(run, files) -> list[str]:
    """The studio's own inference: the run's document compiled, its best weights, the PNGs
    through the training pipeline's image transform and the document's Normalize."""
    doc, _ = load(run / "document.nnet.json")
    compiled = compile_network(doc, "model", None)
    load_weights(compiled.module, run / "checkpoints" / "best.safetensors", "model")
    folder = ImageFolderDataset(files[0].parent.parent, SIZE, 3)
    by_path = {p: i for i, (p, _) in enumerate(folder.folder.samples)}
    x = torch.stack([folder[by_path[str(f)]]["image"] for f in files])
    x = (x - 0.5) / 0.25
    with torch.no_grad():
        out = compiled.module.eval()(x)
    return [CLASSES[k] for k in out.argmax(1).tolist()]


def test_bundle_predict_matches_the_studio_on_the_users_pngs(trained, tmp_path, capsys):
    _, run, images = trained
    files = sorted(images.glob("*/*.png"))[::3]
    bundle = tmp_path / "bundle"
    # the run folder as the document: exported as trained, with its best checkpoint
    assert main(["export", str(run), "--bundle", str(bundle)]) == 0
    out = capsys.readouterr().out
    assert f"run {run}, best checkpoint" in out and "pixel / 255" in out
    record = json.loads((bundle / "bundle.json").read_text())
    assert record["class_names"] == CLASSES and record["document"]["version"] == "3"
    assert record["input"]["mean"] == [0.5] * 3 and record["input"]["channel_order"] == "RGB"
    result = subprocess.run([sys.executable, str(bundle / "predict.py"), *map(str, files)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    got = [line.split(": ", 1)[1].split(" (")[0] for line in lines]
    expected = studio_predictions(run, files)
    assert got == expected
    truth = [f.parent.name for f in files]
    assert sum(g == t for g, t in zip(got, truth)) >= 0.8 * len(files)  # it learnt the bars
    assert all(0.0 < float(line.rsplit("p=", 1)[1].rstrip(")")) <= 1.0 for line in lines)
    missing = subprocess.run([sys.executable, str(bundle / "predict.py"), "gone.png"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stderr.strip() == "predict.py: gone.png: no such file"


def test_onnx_metadata_holds_preprocessing_and_class_names(trained, tmp_path, capsys):
    document, run, _ = trained
    target = tmp_path / "bars.onnx"
    # TorchScript: the quicker exporter here; both get the same metadata (add_metadata)
    assert main(["export", str(document), "--weights", str(run), "--checkpoint", "last",
                 "--onnx", str(target), "--exporter", "torchscript"]) == 0
    assert "last checkpoint" in capsys.readouterr().out
    props = {p.key: p.value for p in onnx.load(str(target)).metadata_props}
    assert json.loads(props["class_names"]) == CLASSES
    assert json.loads(props["netstudio.preprocessing.class_names"]) == CLASSES
    assert props["netstudio.preprocessing.layout"] == "NCHW"
    assert props["netstudio.preprocessing.channel_order"] == "RGB"
    assert props["netstudio.preprocessing.scale"] == "pixel / 255"
    assert json.loads(props["netstudio.preprocessing.std"]) == [0.25] * 3
    assert json.loads(props["netstudio.preprocessing.shape"]) == [3, SIZE, SIZE]
    assert props["name"] == "bars" and props["version"] == "3"


def test_run_folder_problems_are_one_line_naming_the_folder(trained, tmp_path, capsys):
    document, run, _ = trained
    empty = tmp_path / "not_a_run"
    empty.mkdir()
    assert main(["export", str(document), "--weights", str(empty), "--onnx",
                 str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a run folder (no config.json)" in err and str(empty) in err
    assert len(err.splitlines()) == 1
    other = folder_doc(tmp_path)
    other.networks["model"].nodes["linear1"].params["out_features"] = 5
    save(other, tmp_path / "other.nnet.json")
    assert main(["export", str(tmp_path / "other.nnet.json"), "--weights", str(run),
                 "--onnx", str(tmp_path / "y.onnx")]) == 2
    err = capsys.readouterr().err
    assert "document.nnet.json: export that document" in err
    assert not (tmp_path / "x.onnx").exists() and not (tmp_path / "y.onnx").exists()
