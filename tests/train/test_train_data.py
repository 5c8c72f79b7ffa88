"""Datasets and the checks made before the first step: bad data stops with a message that
names the field and the node."""
import numpy as np
import pytest
import torch

from studio.cli import main
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.data import DataError, load_dataset
from studio.train.engine import Trainer

ARGS = ["--device", "cpu", "--limit", "16", "--batch-size", "8", "--max-steps", "1", "--quiet"]


def _train(argv, tmp_path, capsys):
    rc = main(["train", *argv, *ARGS, "--out", str(tmp_path / "run")])
    return rc, capsys.readouterr().err


def test_wrong_input_shape_names_field_and_node(tmp_path, capsys):
    rc, err = _train(["lenet5", "--data", "size=28"], tmp_path, capsys)
    assert rc == 2
    assert "'image'" in err and "(1, 28, 28)" in err and "'input1'" in err and "(1, 32, 32)" in err


def test_labels_out_of_range_name_the_loss_node(tmp_path, capsys):
    rc, err = _train(["mlp", "--var", "num_classes=5"], tmp_path, capsys)
    assert rc == 2
    assert "'label'" in err and "..9" in err and "crossentropy" in err and "0..4" in err


def test_missing_field_lists_what_the_dataset_has(tmp_path, capsys):
    rc, err = _train(["lenet5", "--data", "toy2d"], tmp_path, capsys)
    assert rc == 2 and "reads field 'image'" in err and "point" in err


def test_unknown_dataset_lists_known_ones(tmp_path, capsys):
    rc, err = _train(["mlp", "--data", "imagenet"], tmp_path, capsys)
    assert rc == 2 and "unknown dataset 'imagenet'" in err and "digits" in err


def test_missing_mnist_file_names_file_and_folder(tmp_path):
    with pytest.raises(DataError) as e:
        load_dataset({"name": "mnist", "root": str(tmp_path)})
    assert "train-images-idx3-ubyte" in str(e.value) and str(tmp_path) in str(e.value)


def test_nan_in_data_is_reported_before_training(tmp_path):
    x = np.random.rand(40, 1, 8, 8).astype(np.float32)
    x[3, 0, 2, 2] = np.nan
    np.savez(tmp_path / "d.npz", image=x, label=np.arange(40) % 10)
    doc, _, _ = open_document("mlp")
    trainer = Trainer(apply_preset(doc), {"dataset": {"name": "npz", "path": str(tmp_path / "d.npz"),
                                                      "split": {"val": 0, "test": 0}},
                                          "device": "cpu", "epochs": 1}, out=str(tmp_path / "r"))
    with pytest.raises(DataError, match="field 'image'.*NaN"):
        trainer.run()


def test_csv_with_text_labels_trains(tmp_path):
    rows = ["a,b,kind"] + [f"{i % 7},{(i * 3) % 5},{'cat' if i % 2 else 'dog'}" for i in range(60)]
    (tmp_path / "t.csv").write_text("\n".join(rows))
    data = load_dataset({"name": "csv", "path": str(tmp_path / "t.csv"), "label": "kind"})
    assert data.info["classes"] == ["cat", "dog"]
    sample = data.train[0]
    assert sample["x"].shape == (2,) and sample["label"].dtype == torch.int64


def test_image_folder_unreadable_file_is_named(tmp_path):
    from PIL import Image
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.new("RGB", (10, 10), (i * 40, 0, 0)).save(tmp_path / cls / f"{i}.png")
    data = load_dataset({"name": "folder", "path": str(tmp_path), "size": 16})
    assert data.train[0]["image"].shape == (3, 16, 16)
    (tmp_path / "b" / "broken.png").write_bytes(b"not an image")
    with pytest.raises(DataError, match="broken.png"):
        load_dataset({"name": "folder", "path": str(tmp_path), "size": 16})


def test_split_is_seeded_and_disjoint():
    a = load_dataset("digits", seed=3)
    b = load_dataset("digits", seed=3)
    c = load_dataset("digits", seed=4)
    assert torch.equal(a.train.indices, b.train.indices)
    assert not torch.equal(a.train.indices, c.train.indices)
    parts = [set(a.train.indices.tolist()), set(a.val.indices.tolist()), set(a.test.indices.tolist())]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert sum(map(len, parts)) == 1797


def test_augmentation_is_repeatable_and_moves_masks_with_images():
    from studio.train.data.augment import Augmented, build_transforms
    data = load_dataset({"name": "shapes", "count": 20}).train
    aug = Augmented(data, build_transforms([{"name": "RandomHorizontalFlip", "p": 1.0}], True), 0)
    sample, flipped = data[0], aug[0]
    assert torch.equal(flipped["image"], sample["image"].flip(-1))
    assert torch.equal(flipped["mask"], sample["mask"].flip(-1))
    noisy = Augmented(data, build_transforms([{"name": "GaussianNoise", "sigma": 0.1}], True), 0)
    assert torch.equal(noisy[1]["image"], noisy[1]["image"])
    noisy.set_epoch(1)
    assert not torch.equal(noisy[1]["image"], Augmented(data, noisy.transform, 0)[1]["image"])


def test_unknown_augmentation_is_an_error():
    from studio.train.data.augment import build_transforms
    with pytest.raises(DataError, match="Solarize"):
        build_transforms([{"name": "Solarize"}], True)


def test_skipgram_subsampling_drops_frequent_words_and_unknowns():
    spec = {"name": "text", "level": "word", "mode": "skipgram", "vocab": 500, "window": 2,
            "count": 10 ** 7}
    full, sub = load_dataset(spec), load_dataset({**spec, "subsample": 1e-3})
    vocab = full.info["vocab"]
    share = lambda d, w: float((d.train.fields["center"] == vocab.index(w)).float().mean())
    assert len(sub.train) < len(full.train)
    assert share(sub, "the") < share(full, "the") / 2  # the most frequent word: mostly dropped
    assert share(sub, "socket") > share(full, "socket")  # a rarer word: a bigger share
    assert int((sub.train.fields["center"] == 0).sum()) == 0


def test_limited_split_keeps_the_fast_field_path():
    """``--limit`` (a subset of the split subset) gathers whole batches, sample order kept."""
    data = load_dataset({"name": "digits"}, 0)
    cut = data.limited(20)
    assert hasattr(cut.train, "fields")
    for i in (0, 7, 19):
        assert torch.equal(cut.train[i]["image"], data.train[i]["image"])
        assert int(cut.train[i]["label"]) == int(data.train[i]["label"])


def test_tensor_batches_come_in_chunks_with_the_sampler_order(monkeypatch):
    """The fast path gathers a chunk of batches at once; the batches (order, sizes, values,
    the last partial one) are those of collating the sampler's indices one by one."""
    from torch.utils.data._utils.collate import default_collate

    from studio.train.data import batches as batches_module
    from studio.train.data.batches import Batches
    data = load_dataset({"name": "digits"}, 0).train
    per_batch = 7 * (data.fields["image"][0].numel() * 4 + 8)
    monkeypatch.setattr(batches_module, "CHUNK_BYTES", 3 * per_batch)  # 3 batches per chunk
    loader = Batches(data, 7, shuffle=True, seed=3)
    loader.set_epoch(2)
    got = list(loader)
    expected = [default_collate([data[i] for i in idx]) for idx in loader._index_batches()]
    assert len(got) == len(expected) == -(-len(data) // 7)
    for a, b in zip(got, expected):
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)
