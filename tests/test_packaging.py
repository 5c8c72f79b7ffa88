"""The wheel carries the templates and resources, and every package folder is listed."""
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for top in ("studio", "nodes") for p in (ROOT / top).rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert {"studio.templates", "studio.resources"} <= listed


def test_wheel_installs_and_lists_templates(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("netstudio-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True)
    # dependencies (torch, ...) come from this environment, after the fresh venv's own packages
    # so that the wheel's copy of studio is the one imported
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(venv / "bin" / "netstudio"), "templates"], cwd=tmp_path,
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "lenet5" in out.stdout and "mlp" in out.stdout
    where = subprocess.run([str(python), "-c", "import studio.core.templates as t; print(t.template_dir())"],
                           cwd=tmp_path, capture_output=True, text=True, env=env, check=True)
    assert where.stdout.strip().startswith(site)
    resources = subprocess.run([str(python), "-c", "import importlib.resources as r; "
                                "print(r.files('studio.resources'))"], cwd=tmp_path,
                               capture_output=True, text=True, env=env, check=True)
    assert resources.stdout.strip().startswith(site)
