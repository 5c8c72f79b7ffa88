"""Start-up: the first window appears before torch is imported; no display gives one line."""
import os
import subprocess
import sys

from studio.gui.app import HEADLESS_HINT, display_problem


def test_no_display_is_reported_in_one_line():
    assert display_problem({}) == HEADLESS_HINT
    assert display_problem({"DISPLAY": ":0"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}) == HEADLESS_HINT


def test_netstudio_without_a_display_points_to_the_headless_commands():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "studio"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no display" in lines[0] and "netstudio --help" in lines[0]


def test_the_splash_shows_before_torch_is_imported():
    code = ("import sys; from studio.gui.app import create_app, show_splash; app = create_app(); "
            "s = show_splash(app); print(s.isVisible(), 'torch' in sys.modules); "
            "from studio.gui.app import build_window; w = build_window(); "
            "print('torch' in sys.modules)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "True"]
