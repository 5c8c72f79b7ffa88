"""pytest-qt set-up: a headless Qt platform and throw-away settings/recovery folders, chosen
before Qt is imported (pytest-qt does not pick a headless platform itself)."""
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_home = tempfile.mkdtemp(prefix="netstudio-gui-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_home, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_home, "data")

import pytest  # noqa: E402


@pytest.fixture
def make_window(qtbot):
    """Build main windows on a template or document; dialogs answer through recorded hooks."""
    from studio.gui.app import build_window, create_app
    create_app()
    made = []

    def make(source="lenet5"):
        window = build_window(source)
        window.notes = []
        window.notify = lambda title, text: window.notes.append((title, text))
        window.ask_unsaved = lambda: "discard"
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        window.session.flush()
        made.append(window)
        return window

    yield make
    from shiboken6 import isValid
    for window in made:
        if isValid(window) and window.isVisible():
            window.close()  # a clean close removes the window's own recovery file


@pytest.fixture
def window(make_window):
    return make_window("lenet5")


@pytest.fixture
def trainer_window(make_window, tmp_path):
    """The mlp open, runs written under tmp_path, every run a QUICK one."""
    from support.gui_helpers import QUICK
    window = make_window("mlp")
    window.training.runs_root = tmp_path / "runs"
    window.training.overrides = dict(QUICK)
    return window
