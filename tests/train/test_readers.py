"""Readers of users' files say what is wrong with the file and name it: CSV rows, MNIST idx
headers, NumPy arrays, CIFAR-10 checksums, and weights (non-finite or of another dtype)."""
from __future__ import annotations

import struct

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from studio.cli import main
from studio.compile.fx import compile_network
from studio.core.serialize import save
from studio.export.errors import ExportError
from studio.export.weights import WeightsWarning, load_weights
from studio.train.data import DataError, load_dataset


def _idx(path, magic, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
                     + array.astype(np.uint8).tobytes())


def _mnist(root, images=0x803):
    raw = root / "MNIST" / "raw"
    rng = np.random.RandomState(0)
    for prefix, n in (("train", 6), ("t10k", 4)):
        _idx(raw / f"{prefix}-images-idx3-ubyte", images, rng.randint(0, 256, (n, 28, 28)))
        _idx(raw / f"{prefix}-labels-idx1-ubyte", 0x801, rng.randint(0, 10, n))
    return raw


def test_mnist_idx_files_load(tmp_path):
    _mnist(tmp_path)
    data = load_dataset({"name": "mnist", "root": str(tmp_path)}, 0, [])
    sample = data.train[0]
    assert sample["image"].shape == (1, 28, 28) and sample["image"].dtype == torch.float32
    assert 0 <= float(sample["image"].min()) and float(sample["image"].max()) <= 1
    assert data.info["classes"][0] == "0 - zero"


def test_mnist_wrong_magic_number_names_the_file(tmp_path):
    raw = _mnist(tmp_path, images=0x804)
    with pytest.raises(DataError) as e:
        load_dataset({"name": "mnist", "root": str(tmp_path)}, 0, [])
    assert str(raw / "train-images-idx3-ubyte") in str(e.value)
    assert "wrong magic number 0x00000804, expected 0x00000803" in str(e.value)


def test_mnist_truncated_file_and_legacy_cache_are_named(tmp_path):
    raw = _mnist(tmp_path)
    labels = raw / "train-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-2])
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: 12 bytes, expected 14 .*"
                                        r"truncated"):
        load_dataset({"name": "mnist", "root": str(tmp_path)}, 0, [])
    for f in raw.iterdir():
        f.unlink()
    (tmp_path / "MNIST" / "processed").mkdir()
    (tmp_path / "MNIST" / "processed" / "training.pt").write_bytes(b"\x80\x04pickle")
    with pytest.raises(DataError, match=r"missing train-images-idx3-ubyte.*older torchvision "
                                        r"cache \(\.pt pickles\), which is never read"):
        load_dataset({"name": "mnist", "root": str(tmp_path)}, 0, [])


def test_cifar_checksum_failure_is_not_called_missing(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]:
        (folder / name).write_bytes(b"not the original")
    with pytest.raises(DataError) as e:
        load_dataset({"name": "cifar10", "root": str(tmp_path)}, 0, [])
    assert "fail their checksum" in str(e.value) and "data_batch_1" in str(e.value)
    assert "missing" not in str(e.value)
    (folder / "data_batch_3").unlink()
    with pytest.raises(DataError, match=r"cifar10: missing data_batch_3 in .*cifar-10-batches"):
        load_dataset({"name": "cifar10", "root": str(tmp_path)}, 0, [])


def test_csv_short_row_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n1,2,0\n3,1\n")
    with pytest.raises(DataError, match=r"t.csv: line 3: 2 values, expected 3 \(one per column: "
                                        r"a, b, label\)"):
        load_dataset({"name": "csv", "path": str(path)}, 0, [])
    path.write_text("a,b,label\n1,2,0\n3,x,1\n")
    with pytest.raises(DataError, match=r"t.csv: row 2, column 'b': expected a number, "
                                        r"got 'x'"):
        load_dataset({"name": "csv", "path": str(path)}, 0, [])


def test_zero_dimensional_and_wrong_kind_arrays_are_named(tmp_path):
    scalar, table = tmp_path / "x.npy", tmp_path / "t.npz"
    np.save(scalar, np.array(3.0))
    np.savez(table, x=np.zeros((4, 2)), y=np.array(["a", "b", "c", "d"]))
    with pytest.raises(DataError, match=r"x.npy: a single value \(0-d array\)"):
        load_dataset({"name": "npy", "paths": {"x": str(scalar)}}, 0, [])
    with pytest.raises(DataError, match=r"t.npz: expected one array \(.npy\), got an archive"):
        load_dataset({"name": "npy", "paths": {"x": str(table)}}, 0, [])
    with pytest.raises(DataError, match=r"t.npz: array 'y': expected numbers, got array dtype "
                                        r"<U1"):
        load_dataset({"name": "npz", "path": str(table)}, 0, [])


def _weights_file(small_doc, tmp_path, change):
    state = {k: v.clone() for k, v in
             compile_network(small_doc, "model", seed=5).module.state_dict().items()}
    key = sorted(k for k in state if k.endswith("weight"))[0]
    state[key] = change(state[key])
    path = tmp_path / "w.safetensors"
    save_file(state, str(path))
    return path, key, state


def test_non_finite_weights_are_refused_before_export(small_doc, tmp_path, capsys):
    def poison(w):
        w[0, 0] = float("nan")
        return w
    path, key, _ = _weights_file(small_doc, tmp_path, poison)
    module = compile_network(small_doc, "model", seed=5).module
    with pytest.raises(ExportError, match=rf"w.safetensors: {key}: 1 of \d+ values are NaN or "
                                          r"infinite"):
        load_weights(module, path)
    doc_path, onnx = tmp_path / "net.nnet.json", tmp_path / "m.onnx"
    save(small_doc, doc_path)
    code = main(["export", str(doc_path), "--onnx", str(onnx), "--weights", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and key in err
    assert not onnx.exists()


def test_float64_weights_are_converted_with_a_warning_bool_refused(small_doc, tmp_path):
    path, key, state = _weights_file(small_doc, tmp_path, lambda w: w.double())
    module = compile_network(small_doc, "model", seed=5).module
    with pytest.warns(WeightsWarning, match=rf"1 tensor\(s\) of torch.float64 converted to the "
                                            rf"network's precision: {key}"):
        load_weights(module, path)
    assert module.state_dict()[key].dtype == torch.float32
    torch.testing.assert_close(module.state_dict()[key], state[key].float())
    path, key, _ = _weights_file(small_doc, tmp_path, lambda w: w > 0)
    with pytest.raises(ExportError, match=rf"{key}: expected torch.float32 values, got "
                                          r"torch.bool"):
        load_weights(module, path)
