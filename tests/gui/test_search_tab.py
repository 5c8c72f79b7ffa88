"""The Search tab under pytest-qt: dimensions added from the variables panel and the training
form (undoable), a real search in a child process with its trials in theirs, the table filling
from the study storage, a trial opened in the dashboard, the best one opened as a document."""
from pathlib import Path

from PySide6.QtCore import Qt

from studio.core.ops import SetTraining


def _action(widget, text):
    return next(a for a in widget.actions() if a.text().startswith(text))


def test_search_tab_from_dimensions_to_the_best_document(qtbot, make_window, tmp_path):
    w = make_window("mlp")
    w.session.apply(SetTraining("model", {"epochs": 1, "limit": 150}), "quick")
    tab = w.search_tab
    tab.root = tmp_path / "searches"
    w.training.runs_root = tmp_path / "runs"
    # right-click "Search over…" on a variable and on the learning-rate label
    table = w.variables.table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "hidden1")
    table.setCurrentCell(row, 0)
    _action(table, "Search over").trigger()
    label = w.training_panel.form.labelForField(w.training_panel.widgets["optimizer.lr"])
    _action(label, "Search over optimizer.lr").trigger()
    dims = w.session.doc.search["dimensions"]
    assert [d["name"] for d in dims] == ["$hidden1", "optimizer.lr"]
    assert dims[1]["log"] and dims[1]["low"] < 0.002 < dims[1]["high"]
    assert tab.dimensions.table.rowCount() == 2
    w.session.undo.undo()  # the search section is undoable like every edit
    assert [d["name"] for d in w.session.doc.search["dimensions"]] == ["$hidden1"]
    assert tab.dimensions.table.rowCount() == 1
    w.session.undo.redo()
    tab.dimensions.trials.setValue(2)
    assert w.session.doc.search["trials"] == 2
    tab.jobs.setValue(2)
    assert tab.start() and not tab.start_button.isEnabled()
    qtbot.waitUntil(lambda: tab.job is None, timeout=240000)
    assert [r["state"] for r in tab.rows] == ["complete", "complete"], tab.rows
    assert tab.table.rowCount() == 2 and tab.best_button.isEnabled()
    assert len(tab.views.points.xData) == 2 and len(tab.views.lines) == 2
    tab.table.sortItems(2, Qt.DescendingOrder)  # by value, best first
    best_run = tab.table.item(0, 0).data(Qt.UserRole)
    assert float(tab.table.item(0, 2).text()) >= float(tab.table.item(1, 2).text())
    tab._double_clicked(0, 0)
    assert Path(w.dashboard.current.folder) == Path(best_run)
    doc = tab.open_best()
    best = max(tab.rows, key=lambda r: r["value"])
    assert w.session.doc is doc and doc.meta["search"]["trial"] == best["number"]
    assert doc.variables["hidden1"] == best["params"]["$hidden1"]
    assert doc.training["optimizer"]["lr"] == best["params"]["optimizer.lr"]
    assert doc.search == {}
