"""Only studio/gui may import Qt: every other module imports with PySide6/pyqtgraph blocked."""
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import importlib, pkgutil, sys
    for blocked in ("PySide6", "pyqtgraph", "shiboken6"):
        sys.modules[blocked] = None  # any import of them now raises ImportError
    import nodes, studio
    names = ["nodes", "studio"]
    for package in (nodes, studio):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.startswith("studio.gui") or info.name == "studio.__main__":
                continue
            names.append(info.name)
    for name in names:
        importlib.import_module(name)
    print(len(names))
""")


def test_core_layers_import_without_qt():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) > 20
