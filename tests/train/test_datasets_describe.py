"""Datasets describe themselves (fields, shapes, dtypes, ranges, classes, splits), a path alone
is understood as the kind it is, and ``path=`` is the one spelling (``root=`` still works)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.train.data import DataError, load_dataset
from studio.train.data.describe import describe
from studio.train.data.detect import guess, looks_like_path
from studio.train.data.registry import known
from support.user_files import image_npz, iris_csv, mnist_files, png_folder


def test_bundled_digits_describe_fields_classes_and_splits():
    d = describe({"name": "digits", "size": 8})
    image, label = d.field("image"), d.field("label")
    assert image.shape == (1, 8, 8) and image.dtype == "float32"
    assert 0.0 == pytest.approx(image.low) and image.high == pytest.approx(1.0)
    assert label.shape == () and label.dtype == "int64" and (label.low, label.high) == (0, 9)
    assert d.classes == [str(i) for i in range(10)] and len(d.class_counts) == 10
    assert sum(d.splits.values()) == 1797 and d.sampled is None
    assert sum(d.class_counts) == d.splits["train"]


def test_a_csv_describes_its_string_classes_and_the_label_it_took(tmp_path):
    d = describe(str(iris_csv(tmp_path / "iris.csv", rows=30)))
    assert d.name == "csv" and d.classes == ["setosa", "versicolor", "virginica"]
    assert d.field("x").shape == (4,)
    assert any("took column 'species' as the label" in n for n in d.notes)
    assert any("for a CSV table" in n for n in d.notes)


def test_an_image_folder_is_described_from_decoded_samples(tmp_path):
    d = describe({"name": "folder", "path": str(png_folder(tmp_path / "p", 2, 8, 3)),
                  "size": 8, "channels": 1})
    assert d.field("image").shape == (1, 8, 8) and d.classes == ["class_0", "class_1",
                                                                "class_2"]
    assert sum(d.class_counts) == d.splits["train"]
    assert "classes (3)" in "\n".join(d.lines())


@pytest.mark.parametrize("make, kind", [
    (lambda t: mnist_files(t / "m", 10, 5), "mnist"),
    (lambda t: png_folder(t / "p", 1, 8, 2), "folder"),
    (lambda t: iris_csv(t / "i.csv", 9), "csv"),
    (lambda t: image_npz(t / "a.npz", 10), "npz"),
])
def test_a_path_alone_is_taken_for_its_kind(tmp_path, make, kind):
    path = make(tmp_path)
    assert looks_like_path(str(path))
    spec, said = guess(str(path))
    assert spec == {"name": kind, "path": str(path)}
    assert said.startswith(f"took {path} for ") and f"--data {kind}" in said


def test_fashion_and_cifar_layouts_are_recognized(tmp_path):
    fashion = mnist_files(tmp_path / "FashionMNIST" / "raw", 10, 5)
    assert guess(str(tmp_path))[0]["name"] == "fashion-mnist"
    assert guess(str(fashion / "train-images-idx3-ubyte.gz"))[0]["name"] == "fashion-mnist"
    (tmp_path / "c" / "cifar-10-batches-py").mkdir(parents=True)
    assert guess(str(tmp_path / "c"))[0] == {"name": "cifar10", "path": str(tmp_path / "c")}


def test_an_unknown_path_says_what_was_looked_for(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="not a dataset folder.*--data KIND --data path="):
        guess(str(tmp_path / "empty"))
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(DataError, match="cannot tell what dataset this is"):
        guess(str(tmp_path / "notes.txt"))


def test_path_is_the_one_spelling_and_root_an_alias(tmp_path):
    folder = mnist_files(tmp_path / "m", 10, 5)
    by_path = load_dataset({"name": "mnist", "path": str(folder)}, 0, [])
    by_root = load_dataset({"name": "mnist", "root": str(folder)}, 0, [])
    assert torch.equal(by_path.test.fields["image"], by_root.test.fields["image"])
    for spec in known().values():  # every user-data kind reads path= (npy: paths=)
        assert "root" not in spec.options


def test_mnist_resizes_and_converts_on_request(tmp_path):
    folder = mnist_files(tmp_path / "m", 10, 5)
    data = load_dataset({"name": "mnist", "path": str(folder), "size": 32, "channels": 3}, 0)
    image = data.train[0]["image"]
    assert image.shape == (3, 32, 32) and 0 <= float(image.min()) <= float(image.max()) <= 1


def test_every_kind_declares_help_for_its_user_options_and_an_example():
    for name in ("folder", "mnist", "fashion-mnist", "cifar10", "csv", "npz", "npy"):
        spec = known()[name]
        assert set(spec.helps) == set(spec.options) and spec.example.startswith("--data ")


def test_a_keras_style_npz_keeps_its_own_test_split(tmp_path):
    rng = np.random.RandomState(0)
    np.savez(tmp_path / "cifar.npz", x_train=rng.randint(0, 256, (12, 8, 8, 3)).astype(np.uint8),
             y_train=rng.randint(0, 10, (12, 1)), x_test=rng.randint(0, 256, (5, 8, 8, 3))
             .astype(np.uint8), y_test=rng.randint(0, 10, (5, 1)))
    d = describe(str(tmp_path / "cifar.npz"))
    assert d.field("image").shape == (3, 8, 8) and d.field("label").shape == ()
    assert d.splits["test"] == 5 and d.splits["train"] + d.splits["val"] == 12
    assert 0 <= d.field("image").low and d.field("image").high <= 1
    assert any("own test split" in n for n in d.notes)


def test_a_path_option_without_a_kind_is_understood_too(tmp_path):
    from studio.train.data.detect import spec_from
    path = iris_csv(tmp_path / "iris.csv", 9)
    spec, notes = spec_from([f"path={path}", "label=species"], lambda key, text: text)
    assert spec == {"path": str(path), "label": "species", "name": "csv"}
    assert notes and notes[0].startswith(f"took {path} for a CSV table")


def test_a_segmentation_network_is_fitted_to_the_mask_classes_background_included():
    """unet on shapes predicts a mask: background plus the shape kinds, not the image classes."""
    from studio.core.templates import open_document
    from studio.train.data.fitting import fit_to_data
    from studio.train.config import resolve_config
    from studio.train.data.registry import load_dataset

    doc, _, _ = open_document("unet")
    bundle = load_dataset(resolve_config(doc)["dataset"])
    assert len(bundle.info["mask_classes"]) == len(bundle.info["classes"]) + 1
    fit = fit_to_data(doc, "model", bundle)
    assert not [c for c in fit.changes if "num_classes" in c], fit.changes


def test_the_training_section_sees_variables_evaluated():
    """dcgan's dataset size is ``$input_size``, itself ``=16*base``: the loader wants 32."""
    from studio.core.templates import open_document
    from studio.train.config import resolve_config

    doc, _, _ = open_document("dcgan")
    assert doc.variables["input_size"] == "=16*base"
    assert resolve_config(doc)["dataset"]["size"] == 16 * doc.variables["base"]
