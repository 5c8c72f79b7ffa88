"""The preprocessing a network expects, derived from its dataset: layout, scaling, channel
order, Normalize, CSV columns and class names; in ONNX metadata and readable back."""
from __future__ import annotations

import json

import onnx
import pytest

from studio.compile.fx import compile_network
from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.export.onnx_export import export_onnx
from studio.export.run_source import preprocessing, resolve_weights
from studio.export.errors import ExportError
from studio.train.data.preprocess import Preprocessing, layout_of, preprocessing_for


def table_doc(path, label="species") -> Document:
    """4 named feature columns -> 3 classes, trained on a CSV with a string label column."""
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[4], field="x")
    logits = b.add("linear.Linear", x, out_features=3)
    b.add("io.Output", logits, name="logits")
    doc.meta.update(name="iris", version="2")
    doc.training = {"dataset": {"name": "csv", "path": str(path)}}
    if label:
        doc.training["dataset"]["label"] = label
    return doc


@pytest.fixture
def iris_csv(tmp_path):
    rows = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    for i in range(12):
        kind = ("setosa", "versicolor", "virginica")[i % 3]
        rows.append(f"{5 + i % 3},{3 + i % 2},{1 + i % 3},{0.2 * (i % 3)},{kind}")
    path = tmp_path / "iris.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_layouts_follow_the_input_shape_and_dtype():
    assert layout_of([3, 32, 32], "float32") == "NCHW"
    assert layout_of([4], "float32") == "features"
    assert layout_of([28, 28], "float32") == "sequence"
    assert layout_of([12], "int64") == "tokens"


def test_image_datasets_scale_pixels_and_keep_normalize_and_range():
    config = {"dataset": {"name": "digits", "range": [-1, 1]},
              "augment": [{"name": "RandomRotation", "degrees": 5},
                          {"name": "Normalize", "mean": [0.5], "std": [0.2]}]}
    pre = preprocessing_for(config, [1, 16, 16], info={"classes": list("0123456789")})
    assert (pre.layout, pre.channel_order, pre.resize) == ("NCHW", "gray", [16, 16])
    assert pre.scale == "pixel / 255" and pre.value_range == [-1.0, 1.0]
    assert (pre.mean, pre.std) == ([0.5], [0.2])
    assert pre.class_names == list("0123456789")
    text = "\n".join(pre.describe())
    assert "gray" in text and "-1..1" in text and "normalize" in text
    assert Preprocessing.from_json(json.loads(json.dumps(pre.to_json()))) == pre


def test_user_arrays_are_passed_as_they_are():
    pre = preprocessing_for({"dataset": {"name": "npz", "path": "x.npz"}}, [3, 8, 8])
    assert pre.channel_order == "RGB" and pre.scale is None and pre.mean is None


def test_csv_records_columns_label_and_string_classes(iris_csv):
    doc = table_doc(iris_csv)
    compiled = compile_network(doc, "model", None)
    pre = preprocessing(doc, compiled)
    assert pre.layout == "features" and pre.field == "x"
    assert pre.feature_columns == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert pre.label_column == "species"
    assert pre.class_names == ["setosa", "versicolor", "virginica"]
    assert not pre.notes


def test_a_guessed_label_column_is_recorded_too(iris_csv):
    """Without ``label=`` the loader takes the last non-numeric column and says which."""
    doc = table_doc(iris_csv, label=None)
    pre = preprocessing(doc, compile_network(doc, "model", None))
    assert pre.label_column == "species"


def test_onnx_metadata_holds_each_fact_under_its_own_key(iris_csv):
    doc = table_doc(iris_csv)
    compiled = compile_network(doc, "model", None)
    compiled.module.eval()
    pre = preprocessing(doc, compiled)
    model = export_onnx(compiled, doc, "model", exporter="torchscript",
                        preprocessing=pre).model
    props = {p.key: p.value for p in onnx.load_from_string(model.SerializeToString())
             .metadata_props}
    assert props["netstudio.preprocessing.layout"] == "features"
    assert json.loads(props["netstudio.preprocessing.feature_columns"])[0] == "sepal_length"
    assert props["netstudio.preprocessing.label_column"] == "species"
    assert json.loads(props["class_names"]) == ["setosa", "versicolor", "virginica"]
    assert props["name"] == "iris" and props["version"] == "2"


def test_a_missing_dataset_leaves_a_note_not_a_crash(tmp_path):
    doc = table_doc(tmp_path / "gone.csv")
    compiled = compile_network(doc, "model", None)
    pre = preprocessing(doc, compiled)
    assert pre.class_names is None and pre.feature_columns is None
    assert len(pre.notes) == 1 and "gone.csv" in pre.notes[0]


def test_weights_sources_name_what_is_wrong(tmp_path):
    with pytest.raises(ExportError, match="no such weights file or run folder"):
        resolve_weights(tmp_path / "nothing")
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    with pytest.raises(ExportError, match="no 'last' checkpoint"):
        resolve_weights(run, "last")
    with pytest.raises(ExportError, match="expected best or last"):
        resolve_weights(run, "first")
    (run / "checkpoints" / "last.safetensors").write_bytes(b"")
    source = resolve_weights(run)  # no best kept: the last one, and the report says so
    assert source.file.name == "last.safetensors" and source.config == {}
    assert "the run kept no best one" in source.label()
