"""The Lab dock in a real window: each tool runs in its worker thread on a real compiled network
and the result lands in real widgets; cancelling stops an optimization; bad input is a message."""
from __future__ import annotations

import numpy as np

from PySide6.QtWidgets import QGraphicsPixmapItem

from support.gui_helpers import WAIT, run_tool


def test_grad_cam_overlays_a_map_of_the_input_size(window, qtbot):
    lab = window.lab
    assert lab.forms["attribution"].widgets["layer"].currentText() == "tanh3"  # last feature map
    lab.set_input(sample=2)
    result = run_tool(qtbot, lab, "attribution", method="Grad-CAM")
    assert lab.error == ""
    original, overlaid = (p.rgb for p in lab.pictures.pictures)
    assert original.shape == overlaid.shape == (32, 32, 3)  # lenet5's input is 1×32×32
    assert not np.array_equal(original, overlaid)
    assert result.summary.startswith("Grad-CAM for class")
    shown = lab.pictures.tiles[1][0].pixmap()
    assert (shown.width(), shown.height()) == (192, 192)  # 32 px enlarged ×6, not smoothed


def test_class_activation_map_on_the_fcn_template(make_window, qtbot):
    lab = make_window("fcn").lab
    result = run_tool(qtbot, lab, "attribution", method="CAM")
    assert lab.error == "", lab.error
    inp, cam = result.pictures
    assert inp.rgb.shape == cam.rgb.shape and inp.rgb.shape[:2] == (32, 32)
    assert "CAM" in lab.status.text()


def test_maximization_can_be_cancelled_and_says_so(window, qtbot):
    lab = window.lab
    form = lab.select_tool("maximize")
    form.set_value("steps", 5000)
    form.set_value("index", 3)
    with qtbot.waitSignal(lab.finished, timeout=WAIT) as blocker:
        assert lab.run()
        assert lab.busy and not lab.run_button.isEnabled()
        qtbot.waitUntil(lambda: 0 < lab.progress.value() < 100 and
                        lab.progress.maximum() == 100, timeout=WAIT)
        lab.cancel_button.click()
    result = blocker.args[0]
    qtbot.waitUntil(lambda: not lab.busy, timeout=WAIT)
    assert result.cancelled
    assert "cancelled" in lab.status.text()
    assert lab.run_button.isEnabled() and not lab.cancel_button.isEnabled()
    assert result.pictures[1].rgb.shape == (32, 32, 3)


def test_attack_shows_original_perturbation_result_and_both_predictions(window, qtbot):
    lab = window.lab
    result = run_tool(qtbot, lab, "attack", mode="FGSM", epsilon=0.1)
    assert lab.error == ""
    assert len(result.predictions) == 2
    captions = [caption.text() for _, caption in lab.pictures.tiles]
    assert captions[0].startswith("original") and captions[2].startswith("result")
    for (k, p), caption in zip(result.predictions, (captions[0], captions[2])):
        assert 0 <= k < 10 and 0 < p <= 1
        assert f"({p:.2f})" in caption
    original, perturbation, adversarial = (p.rgb for p in result.pictures)
    assert not np.array_equal(original, adversarial)
    assert perturbation.shape == original.shape


def test_tsne_draws_one_point_per_sample_and_names_the_hovered_one(window, qtbot):
    lab = window.lab
    result = run_tool(qtbot, lab, "tsne", count=40, perplexity=10)
    assert lab.error == ""
    assert lab.views.currentWidget() is lab.scatter
    assert result.points.shape == (40, 2)
    assert lab.scatter.point_count() == 40
    label = int(result.labels[7])
    assert lab.scatter.describe(7) == f"sample 7 · label {label}"


def test_previews_appear_when_toggled_and_follow_an_edit(window, qtbot):
    from studio.core.ops import SetParams
    previews = window.node_previews
    assert not previews.items
    previews.action.trigger()  # View > Node previews
    assert previews.enabled
    c1 = window.scene.nodes["c1"]
    assert previews.items["c1"].parentItem() is c1
    before = previews.thumbnails["c1"].shape
    assert set(previews.thumbnails) >= {"input1", "c1", "s2", "output"}
    session = window.session
    node = session.graph.nodes["c1"]
    assert node.params.get("out_channels", 6) == 6
    assert session.apply(SetParams(session.scope, "c1", {"out_channels": 16}), "edit")
    qtbot.waitUntil(lambda: previews.thumbnails.get("c1") is not None and
                    previews.thumbnails["c1"].shape != before, timeout=5000)
    # 6 maps tile as 3×2, 16 as 4×4: the grid went from wide to square
    after = previews.thumbnails["c1"].shape
    assert before[1] > before[0] and after[0] == after[1]
    pixmap = previews.items["c1"].pixmap()
    assert (pixmap.height(), pixmap.width()) == after[:2]
    previews.action.trigger()  # off again: the thumbnails leave the canvas
    assert not previews.enabled and not previews.items
    assert not any(isinstance(child, QGraphicsPixmapItem) for child in c1.childItems())


def test_bad_input_is_a_message_and_nothing_crashes(make_window, qtbot, tmp_path):
    lab = make_window("mlp").lab  # no convolution anywhere
    run_tool(qtbot, lab, "attribution", method="Grad-CAM")
    assert "Grad-CAM needs a convolutional layer" in lab.error
    assert "Grad-CAM needs" in lab.status.text()
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture at all")
    lab.set_input(image=str(broken))
    run_tool(qtbot, lab, "attribution", method="Saliency")
    assert "cannot read image" in lab.error and str(broken) in lab.error
    lab.input_mode.setCurrentText("Image file")
    lab.image_file.edit.setText("")
    assert lab.run() is None  # image mode without a file: refused before any thread starts
    assert "choose an image file" in lab.error and not lab.busy
    lab.set_input(sample=1)
    result = run_tool(qtbot, lab, "attribution", method="Saliency")  # still works afterwards
    assert lab.error == ""
    size = window_input_size(lab)
    assert result.pictures[0].rgb.shape == result.pictures[1].rgb.shape == (size, size, 3)


def window_input_size(lab) -> int:
    spec = lab.session.shapes.outputs["input1"]
    return next(iter(spec.values())).shape[-1]


def test_weights_choices_that_cannot_load_are_messages(window, qtbot, tmp_path):
    lab = window.lab
    lab.weights_mode.setCurrentText("Last trained run")
    assert lab.run() is None and "no trained run" in lab.error and not lab.busy
    missing = tmp_path / "nothing.safetensors"
    lab.set_weights(str(missing))
    run_tool(qtbot, lab, "attribution", method="Saliency")
    assert "no such weights file" in lab.error and str(missing) in lab.error


def test_inversion_style_and_word_neighbours_run(make_window, qtbot):
    lab = make_window("fcn").lab
    result = run_tool(qtbot, lab, "invert", layer="pool1", steps=4)
    assert lab.error == "" and result.pictures[1].rgb.shape == (32, 32, 3)
    result = run_tool(qtbot, lab, "style", steps=3)
    assert lab.error == "" and [p.caption.split("\n")[0] for p in result.pictures] == \
        ["content", "style", "result"]
    from studio.inspect.load import dataset_info
    words = make_window("word2vec")
    lab = words.lab
    vocab = dataset_info(words.session.doc)["vocab"]
    result = run_tool(qtbot, lab, "words", word=vocab[3], count=5)
    assert lab.error == "", lab.error
    assert result.lines[0].startswith(f"{vocab[3]}: ") and result.lines[0].count("(") == 5
    assert vocab[3] in lab.status.text()
    run_tool(qtbot, lab, "words", word="", analogy="not-a-word:b:c")
    assert "'not-a-word' is not in the vocabulary" in lab.error
