"""The curves' view ranges (kept by the dashboard, not pyqtgraph's auto-range), the redraw rate
of the dashboard, and the curves made ahead for the next run — on real pyqtgraph widgets."""
import math

import pytest

from studio.gui.dashboard.curve_ranges import x_end, y_range
from studio.train.run_data import RunData


def _run(name="r", steps=50, epochs=4, per_epoch=25):
    run = RunData(name)
    run.add({"event": "start", "config": {"epochs": epochs}, "steps_per_epoch": per_epoch})
    for i in range(1, steps + 1):
        run.add({"event": "step", "step": i, "loss": 2.0 / i, "lr": 0.01, "grad_norm": 1.0})
    return run


def _showing(qtbot, *runs):
    from studio.gui.dashboard.curves import CurvesView
    view = CurvesView()
    qtbot.addWidget(view)
    view.show_runs(list(runs))
    return view


def test_y_range_starts_at_zero_grows_with_headroom_and_holds_otherwise():
    assert y_range(0.2, 2.0, False, (0.0, 1.0)) == pytest.approx((0.0, 2.2))
    assert y_range(0.1, 2.1, False, (0.0, 2.2)) is None  # still fits, fills most of it
    assert y_range(0.1, 0.5, False, (0.0, 2.2)) == pytest.approx((0.0, 0.55))  # fills < half
    assert y_range(-5.0, -1.0, False, (0.0, 1.0)) == pytest.approx((-5.5, 0.0))  # an ELBO
    assert y_range(-1.0, 3.0, False, (0.0, 1.0)) == pytest.approx((-1.4, 3.4))
    # a metric: the data with room around it, so 0.96 -> 0.98 shows
    assert y_range(0.9, 0.98, False, (0.0, 1.0), from_zero=False) == pytest.approx((0.88, 1.0))
    assert y_range(0.9, 0.97, False, (0.88, 1.0), from_zero=False) is None
    assert y_range(math.log10(0.004), math.log10(2.0), True, (0.0, 1.0)) == (-3.0, 1.0)
    # a metric: the data with room around it, so 0.96 -> 0.98 shows
    assert y_range(0.9, 0.98, False, (0.0, 1.0), from_zero=False) == pytest.approx((0.88, 1.0))
    assert y_range(0.9, 0.97, False, (0.88, 1.0), from_zero=False) is None
    assert y_range(math.log10(0.004), math.log10(2.0), True, (-3.0, 1.0)) is None


def test_x_axis_spans_the_planned_steps_or_grows_by_half():
    assert x_end(1.0, 30.0, 240.0) == pytest.approx(244.8)  # the plan, and a sliver
    assert x_end(45.0, 30.0, None) == 45.0
    assert x_end(45.0, 46.0, None) == 69.0
    assert x_end(244.8, 250.0, 240.0) == 375.0  # a resumed run outgrew its plan


def test_curves_keep_their_range_until_the_data_outgrows_it(qtbot):
    run = _run()
    view = _showing(qtbot, run)
    loss = view.plots["loss"]
    assert loss.vb.viewRange()[0] == pytest.approx([0.0, 102.0])  # 4 epochs of 25 steps
    assert loss.vb.viewRange()[1] == pytest.approx([0.0, 2.2])
    changes = []
    loss.vb.sigRangeChanged.connect(lambda *_: changes.append(1))
    for i in range(51, 90):  # the loss keeps falling: the axes stay
        run.add({"event": "step", "step": i, "loss": 2.0 / i})
        view.refresh()
    assert not changes
    run.add({"event": "step", "step": 90, "loss": 5.0})  # a spike above the range
    view.refresh()
    assert loss.vb.viewRange()[1][1] == pytest.approx(5.5)
    view.set_log_scale(True)  # whole decades around 2/89 .. 5
    assert loss.vb.viewRange()[1] == pytest.approx([-2.0, 1.0])


def test_a_zoomed_plot_is_left_alone_until_its_auto_button(qtbot):
    run = _run()
    view = _showing(qtbot, run)
    loss = view.plots["loss"]
    loss.vb.scaleBy((0.5, 0.5))  # a mouse-wheel zoom
    loss.vb.sigRangeChangedManually.emit([True, True])
    zoomed = loss.vb.viewRange()
    run.add({"event": "step", "step": 51, "loss": 9.0})
    view.refresh()
    assert loss.vb.viewRange() == zoomed
    loss.autoBtn.clicked.emit(loss.autoBtn)
    assert loss.vb.viewRange()[1] == pytest.approx([0.0, 9.9])
    assert not loss.vb.autoRangeEnabled()[1]  # pyqtgraph's auto-range stays off


def test_the_next_runs_curves_are_made_ahead_and_recoloured(qtbot):
    from studio.gui.dashboard.curves import PALETTE
    first, second = _run("a"), _run("b")
    view = _showing(qtbot, first)
    view.prepare_spare()
    spare = view.spare
    view.show_runs([first, second])
    assert view.runs[id(second)][1] is spare and view.spare is None
    item = spare.items[("loss", "loss.smooth")]
    assert item.opts["pen"].color().name() == PALETTE[1]
    assert item.xData is not None and len(item.xData) == 50
    labels = [label.text for _, label in view.plots["loss"].legend.items]
    assert "b: loss (smoothed)" in labels and "a: loss (smoothed)" in labels
    assert "loss (smoothed)" not in labels  # the one-run label went when a second run came
    assert len(labels) == len(set(labels))


def test_dashboard_redraws_at_a_bounded_rate_and_the_last_state_lands(qtbot):
    from studio.gui.dashboard import dashboard as dashboard_module
    from studio.gui.dashboard.dashboard import Dashboard
    board = Dashboard()
    qtbot.addWidget(board)
    run = _run(steps=1)
    board.current = run
    board.set_history([run], run)
    draws = []
    original = board.curves.refresh
    board.curves.refresh = lambda *a, **k: (draws.append(1), original(*a, **k))[1]
    for i in range(2, 40):  # 38 ticks in a burst, as a fast run sends them
        run.add({"event": "step", "step": i, "loss": 1.0 / i})
        board.refresh()
    assert len(draws) <= 2
    qtbot.waitUntil(lambda: board.curves.runs[id(run)][1].shown.get(("loss", "loss.raw")) == 39,
                    timeout=int(dashboard_module.MAX_REDRAW_S * 1000) + 1000)


def test_redraws_are_spaced_by_what_drawing_costs(qtbot, monkeypatch):
    """Spacing follows the CPU of the last redraw and of its paint: all of a core's budget
    spent means the longest spacing, none the shortest."""
    from studio.gui.dashboard import dashboard as dashboard_module
    from studio.gui.dashboard.dashboard import Dashboard
    board = Dashboard()
    qtbot.addWidget(board)
    board.resize(900, 600)
    board.show()
    run = _run(steps=5)
    board.current = run
    board.set_history([run], run)
    view = board.curves.layout_widget
    qtbot.waitUntil(lambda: view.paint_cpu > 0, timeout=5000)  # painted: its cost counted
    monkeypatch.setattr(dashboard_module, "DRAW_SHARE", 1e-12)  # any cost is too much
    run.add({"event": "step", "step": 6, "loss": 0.3})
    board.refresh(force=True)
    assert board.redraw_s == dashboard_module.MAX_REDRAW_S
    monkeypatch.setattr(dashboard_module, "DRAW_SHARE", 1e12)  # any cost is nothing
    run.add({"event": "step", "step": 7, "loss": 0.2})
    board.refresh(force=True)
    assert board.redraw_s == dashboard_module.REDRAW_S
