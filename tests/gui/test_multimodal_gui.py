"""Two-input and text templates in the studio: the Data tab draws VQA's picture and question
side by side, the studio's training child feeds both inputs, and the Lab's word attribution
form explains a typed sentence."""
from PySide6.QtWidgets import QLabel

from support.gui_helpers import QUICK, run_tool

LOAD_MS = 90_000


def test_vqa_data_tab_shows_the_picture_beside_its_question(make_window, qtbot):
    window = make_window("vqa")
    tab = window.data_tab
    tab.parentWidget().show()
    with qtbot.waitSignal(tab.loaded, timeout=LOAD_MS) as blocker:
        tab.reload()
    overview = blocker.args[0]
    assert not overview.error, overview.error
    first = overview.samples[0]
    assert first.kind == "image" and first.value.shape == (24, 24, 3)
    (question,) = first.parts
    assert question.kind == "tokens" and question.text.split()[0] in ("what", "how")
    assert "<pad>" not in question.text and question.text.endswith("?")
    labels = tab.samples.tiles[0].findChildren(QLabel)
    assert labels[0].pixmap() is not None and not labels[0].pixmap().isNull()
    assert labels[1].text() == question.text and labels[2].text() == first.label
    assert {c.field for c in overview.inputs} == {"image", "question"}
    assert all(c.ok for c in overview.inputs) and not tab.mismatch.isVisible()


def test_vqa_trains_from_the_studio_with_two_inputs(make_window, qtbot, tmp_path):
    window = make_window("vqa")
    window.training.runs_root = tmp_path / "runs"
    window.training.overrides = {**QUICK, "epochs": 1, "limit": 64}
    run = window.start_training()
    assert run is not None
    qtbot.waitUntil(lambda: run.finished and not window.training.running, timeout=90_000)
    assert run.status == "finished", list(run.log)
    assert run.steps["loss"].n == 4  # 64 samples in batches of 16, both inputs bound


def test_lab_explains_a_typed_sentence_word_by_word(make_window, qtbot):
    window = make_window("sentiment")
    lab = window.lab
    result = run_tool(qtbot, lab, "word_attribution", text="the film was not good")
    assert lab.error == "", lab.error
    assert result.lines[0].startswith("strongest: ")
    (_, caption), = lab.pictures.tiles
    assert caption.text().startswith("words for class")
    run_tool(qtbot, lab, "word_attribution", text="a superb film")
    assert "not in the vocabulary: a, superb" in lab.error
