"""`netstudio --help`, every command's --help and usage errors answer without importing torch
(seconds of a cold start): command modules import what they run inside their functions."""
import json
import subprocess
import sys

CHILD = """
import contextlib, io, json, sys
from studio.cli import build_parser, main
commands = sorted(build_parser()._subparsers._group_actions[0].choices)
answers = {}
for argv in [["--help"], ["summary"], ["nosuchcommand"], ["train", "--epochs", "many"],
             *[[c, "--help"] for c in commands]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as e:
            answers[" ".join(argv)] = [e.code, out.getvalue(), err.getvalue()]
print(json.dumps({"commands": commands, "answers": answers,
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in
                                  ("torch", "numpy", "nodes", "PySide6"))}))
"""


def test_help_and_usage_errors_do_not_import_torch():
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                           timeout=120, check=True)
    report = json.loads(child.stdout)
    assert report["heavy"] == []
    assert {"summary", "train", "export", "inspect"} <= set(report["commands"])
    answers = report["answers"]
    assert len(answers) == 4 + len(report["commands"])  # every one ended in argparse's exit
    code, out, _ = answers["--help"]
    assert code == 0 and all(c in out for c in report["commands"])
    for argv in ("summary", "nosuchcommand", "train --epochs many"):
        code, _, err = answers[argv]
        assert code == 2 and "error:" in err.strip().splitlines()[-1], argv
    for command in report["commands"]:
        code, out, _ = answers[f"{command} --help"]
        assert code == 0 and out.startswith(f"usage: netstudio {command}"), command
