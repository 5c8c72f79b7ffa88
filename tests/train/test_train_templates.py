"""Every bundled template trains a step from the CLI on its own bundled dataset (one case per
template, so pytest-xdist spreads them over the workers)."""
import json
import math

import pytest

from studio.cli import main
from studio.core.templates import template_names


def smoke(name, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["train", name, "--device", "cpu", "--limit", "16", "--batch-size", "8",
               "--max-steps", "1", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 0, err
    events = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [e for e in events if e["event"] == "step"]
    assert steps and math.isfinite(steps[-1]["loss"])
    assert events[-1]["event"] == "end"
    assert (out / "checkpoints" / "last.safetensors").is_file()


@pytest.mark.parametrize("name", template_names())
def test_template_trains_from_cli(name, tmp_path, capsys):
    smoke(name, tmp_path, capsys)
