"""The tie on the canvas and the layer-wise stages in the studio: a dashed curve joins a tied
node to the Linear it borrows from and follows edits and undo; a layerwise run started from the
studio (the training child process) names each stage in the dashboard's log."""
from PySide6.QtCore import QPointF

from studio.core.ops import MoveNodes, SetParams


def _curve_ends(window):
    item = window.scene.tie_links.items["decoder"]
    path = item.path()
    return path.pointAtPercent(0), path.pointAtPercent(1)


def test_a_tie_is_a_dashed_curve_that_follows_the_document(qtbot, make_window):
    window = make_window("tied-autoencoder")
    scene, session = window.scene, window.session
    qtbot.waitUntil(lambda: "decoder" in scene.tie_links.items)
    start, end = _curve_ends(window)
    decoder, encoder = scene.nodes["decoder"].sceneBoundingRect(), \
        scene.nodes["encoder"].sceneBoundingRect()
    assert abs(start.x() - decoder.center().x()) < 1 and abs(end.x() - encoder.center().x()) < 1
    assert "encoder" in scene.tie_links.items["decoder"].toolTip()

    x, y = session.graph.nodes["decoder"].ui["pos"]
    session.apply(MoveNodes(session.scope, {"decoder": [x + 200, y + 100]}), "Move")
    qtbot.waitUntil(lambda: abs(_curve_ends(window)[0].x() -
                                scene.nodes["decoder"].sceneBoundingRect().center().x()) < 1)
    assert _curve_ends(window)[0] != start

    session.apply(SetParams(session.scope, "decoder", {"tied_to": ""}), "Untie")
    qtbot.waitUntil(lambda: "decoder" not in scene.tie_links.items)
    qtbot.waitUntil(lambda: scene.nodes["decoder"].severity == "error")  # the empty tie
    session.undo.undo()
    qtbot.waitUntil(lambda: "decoder" in scene.tie_links.items)
    assert isinstance(_curve_ends(window)[1], QPointF)


def test_a_layerwise_run_names_its_stages_in_the_dashboard_log(qtbot, make_window, tmp_path):
    window = make_window("stacked-autoencoder-layerwise")
    window.training.runs_root = tmp_path / "runs"
    window.training.overrides = {"epochs": 5, "stage_epochs": 1, "limit": 48, "batch_size": 16,
                                 "log_every": 1, "device": "cpu"}
    run = window.start_training()
    qtbot.waitUntil(lambda: run.finished and not window.training.running, timeout=60000)
    assert run.status == "finished", list(run.log)
    stages = [line for line in run.log if "layerwise stage" in line]
    assert [line.split(":")[1].split()[-1] for line in stages] == \
        ["1/5", "2/5", "3/5", "4/5", "5/5"]
    dashboard = window.dashboard
    dashboard.tabs.setCurrentWidget(dashboard.log)
    dashboard.refresh()
    assert "layerwise stage 5/5: fine-tuning the whole stack end to end" in \
        dashboard.log.toPlainText()
