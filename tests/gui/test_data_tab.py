"""The Data tab: samples with labels and the augmentation preview for the default template
(digits) and for a user's image folder; a shape mismatch shown with its fix, fixed by one
undoable click; the wizard setting a folder and fitting the network; a missing dataset is a
message in the tab, not a crash."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from studio.core.ops import SetTraining
from studio.gui.data.dataset_wizard import DatasetWizard

LOAD_MS = 90_000  # a loaded 2-core machine imports torchvision slowly the first time


def _load(qtbot, tab):
    dock = tab.parentWidget()  # the Data dock starts folded away, like the bottom panels
    dock.show()
    dock.raise_()
    with qtbot.waitSignal(tab.loaded, timeout=LOAD_MS) as blocker:
        tab.reload()
    return blocker.args[0]


@pytest.fixture
def folder(tmp_path):
    """An RGB image folder: 3 classes × 4 PNGs of 20×20 (a bar left, right or on top)."""
    rng = np.random.default_rng(0)
    for k, kind in enumerate(("left", "right", "top")):
        (tmp_path / "images" / kind).mkdir(parents=True)
        for i in range(4):
            image = rng.integers(0, 60, (20, 20, 3)).astype(np.uint8)
            image[(slice(None), slice(0, 7)) if k == 0 else (slice(None), slice(13, 20))
                  if k == 1 else (slice(0, 7), slice(None))] = (200, 150, 50)
            Image.fromarray(image).save(tmp_path / "images" / kind / f"{i}.png")
    return tmp_path / "images"


def test_digits_show_samples_histogram_and_augmentation(window, qtbot):
    tab = window.data_tab
    window.data_dock.raise_()
    overview = _load(qtbot, tab)
    assert not overview.error and not tab.error.isVisible()
    assert len(tab.samples.tiles) == 20
    assert {s.kind for s in overview.samples} == {"image"}
    labels = [t.findChild(type(tab.title), "sampleLabel").text() for t in tab.samples.tiles]
    assert all(label in "0123456789" and label for label in labels)
    # the original and eight draws of the template's RandomAffine, not all the same picture
    assert len(tab.augmented.tiles) == 9 and overview.augment_names == ["RandomAffine"]
    draws = [s.value for s in overview.augmented]
    assert any(not np.allclose(draws[0], d) for d in draws[1:])
    assert len(tab.histogram.counts) == 10 and sum(tab.histogram.counts) == \
        overview.description.splits["train"]
    assert "train" in tab.splits.text() and "pixel / 255" in tab.receives.text()
    assert not tab.mismatch.isVisible() and not tab.fit_button.isEnabled()
    assert tab.fields.item(0, 4).text() == "input1: (1, 32, 32)"


def test_image_folder_mismatch_is_shown_and_fitted_in_one_undo(window, qtbot, folder):
    tab = window.data_tab
    session = window.session
    session.apply(SetTraining(session.scope, {"augment": [
        {"name": "RandomHorizontalFlip", "p": 0.5}],
        "dataset": {"name": "folder", "path": str(folder), "size": 32, "channels": 3}}), "data")
    overview = _load(qtbot, tab)
    assert overview.samples[0].value.shape == (32, 32, 3)  # RGB pictures
    assert {s.label for s in overview.samples} == {"left", "right", "top"}
    assert len(tab.augmented.tiles) == 9
    assert tab.mismatch.isVisible() and "expects (1, 32, 32)" in tab.mismatch.text()
    assert "(3, 32, 32)" in tab.mismatch.text() and tab.fit_button.isEnabled()
    assert tab.fit_network()
    after = _load(qtbot, tab)
    assert all(c.ok for c in after.inputs) and not tab.mismatch.isVisible()
    session.undo.undo()  # the fit was one edit
    assert not all(c.ok for c in _load(qtbot, tab).inputs)


def test_wizard_sets_the_folder_and_fits_the_network(window, qtbot, folder):
    wizard = window.training_panel.open_data_wizard()  # the dataset picker's "…" button
    assert isinstance(wizard, DatasetWizard) and wizard.isVisible()
    with qtbot.waitSignal(wizard.previewed, timeout=LOAD_MS) as blocker:
        assert wizard.set_path(str(folder))
    preview = blocker.args[0]
    assert preview is not None and "image folder with 3 classes" in wizard.taken.text()
    assert any("classes (3)" in line for line in preview["lines"])
    # size and channels default to what lenet5's Input takes: only the class count is fitted
    assert (wizard.size.value(), wizard.channels.currentIndex()) == (32, 0)
    assert preview["changes"] == ["variable num_classes: 10 -> 3"]
    assert "num_classes: 10 -> 3" in wizard.receives.text()
    assert wizard.finish()
    dataset = window.session.doc.training["dataset"]
    assert dataset == {"name": "folder", "path": str(folder), "size": 32, "channels": 1}
    assert window.session.doc.variables["num_classes"] == 3
    window.session.undo.undo()
    assert window.session.doc.variables["num_classes"] == 10


def test_a_missing_dataset_is_a_message_in_the_tab(window, qtbot, tmp_path):
    session = window.session
    session.apply(SetTraining(session.scope, {"dataset": {"name": "csv",
                                                          "path": str(tmp_path / "no.csv")}}),
                  "data")
    overview = _load(qtbot, window.data_tab)
    assert "no.csv" in overview.error and window.data_tab.error.isVisible()
    assert "no such file" in window.data_tab.error.text()


def test_wizard_on_a_csv_picks_the_label_and_features(make_window, qtbot, tmp_path):
    window = make_window("mlp")
    rows = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    rows += [f"{5 + i % 3},{3 + i % 2},{1 + i % 3},{0.2 * (i % 3)},"
             f"{('setosa', 'versicolor', 'virginica')[i % 3]}" for i in range(30)]
    (tmp_path / "iris.csv").write_text("\n".join(rows) + "\n")
    wizard = DatasetWizard(window.session, window)
    with qtbot.waitSignal(wizard.previewed, timeout=LOAD_MS) as blocker:
        wizard.set_path(str(tmp_path / "iris.csv"))
    assert wizard.label.currentText() == "species"  # the string column, guessed by its name
    assert wizard.current_spec()["features"] == ["sepal_length", "sepal_width",
                                                 "petal_length", "petal_width"]
    assert any("x: shape (4,)" in line for line in blocker.args[0]["lines"])
    with qtbot.waitSignal(wizard.previewed, timeout=LOAD_MS) as blocker:
        wizard.features.item(3).setCheckState(Qt.Unchecked)  # leave petal_width out
    assert any("x: shape (3,)" in line for line in blocker.args[0]["lines"])
    assert wizard.finish()
    doc = window.session.doc
    assert doc.training["dataset"]["features"] == ["sepal_length", "sepal_width",
                                                   "petal_length"]
    assert doc.networks["model"].nodes["input1"].params["shape"] == [3]
    assert doc.variables["num_classes"] == 3


def test_sequences_tokens_and_tables_are_drawn_as_such(qtbot, tmp_path):
    from PySide6.QtWidgets import QLabel, QTableWidget

    from studio.core.templates import open_document
    from studio.gui.data.samples_view import SampleGrid
    from studio.train.data.overview import data_overview
    grid = SampleGrid(columns=4)
    qtbot.addWidget(grid)
    sequences = data_overview(open_document("lstm-classifier")[0], count=4)
    assert {s.kind for s in sequences.samples} == {"sequence"}
    grid.show_samples(sequences.samples)
    pictures = [t.findChildren(QLabel)[0].pixmap() for t in grid.tiles]
    assert len(pictures) == 4 and all(not p.isNull() and p.width() > 20 for p in pictures)
    tokens = data_overview(open_document("seq2seq")[0], count=3)
    assert {s.kind for s in tokens.samples} == {"tokens"} and tokens.samples[0].text
    grid.show_samples(tokens.samples)
    assert grid.tiles[0].findChildren(QLabel)[0].text() == tokens.samples[0].text
    doc = open_document("mlp")[0]
    (tmp_path / "t.csv").write_text("a,b,kind\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,10,x\n")
    doc.training["dataset"] = {"name": "csv", "path": str(tmp_path / "t.csv"), "label": "kind"}
    table = data_overview(doc, count=3)
    grid.show_samples(table.samples, table.columns)
    widget = grid.tiles[0]
    assert isinstance(widget, QTableWidget) and widget.rowCount() == 3
    assert [widget.horizontalHeaderItem(c).text() for c in range(3)] == ["a", "b", "label"]
    assert {widget.item(r, 2).text() for r in range(3)} <= {"x", "y"}
