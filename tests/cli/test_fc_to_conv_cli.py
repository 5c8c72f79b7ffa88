"""``netstudio fc-to-conv``: a trained run's classifier converted with its weights, the result
exported to ONNX with parity (the export command checks onnxruntime at batch 1 and 7), and
one-line refusals."""
import json

import numpy as np
import onnxruntime as ort

from studio.cli import main


def test_a_trained_run_converts_and_exports_with_a_class_map(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "mlp", "--device", "cpu", "--limit", "64", "--batch-size", "16",
                 "--max-steps", "3", "--out", str(run), "--quiet"]) == 0
    out = tmp_path / "fcn.nnet.json"
    assert main(["fc-to-conv", "mlp", "--weights", str(run), "--checkpoint", "last",
                 "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "converted linear1, linear2, linear3 to convolutions (first kernel 8x8)" in printed
    saved = json.loads(out.read_text())
    assert saved["training"]["init_weights"] == "fcn.safetensors"
    onnx_file = tmp_path / "fcn.onnx"
    code = main(["export", str(out), "--weights", str(tmp_path / "fcn.safetensors"),
                 "--onnx", str(onnx_file), "--dynamic-batch"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "onnxruntime parity batch 7" in captured.out
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["logits", "class_map"]
    logits, class_map = session.run(None, {session.get_inputs()[0].name:
                                           np.ones((2, 1, 8, 8), np.float32)})
    assert logits.shape == (2, 10) and class_map.shape == (2, 10, 1, 1)
    np.testing.assert_allclose(class_map[:, :, 0, 0], logits, atol=1e-6)


def test_refusals_are_one_line_naming_the_node(tmp_path, capsys):
    target = str(tmp_path / "x.nnet.json")
    assert main(["fc-to-conv", "lenet5", "--node", "c3", "-o", target]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("netstudio: error: c3: no Flatten -> Linear head here")
    assert "\n" not in err
    assert main(["fc-to-conv", "logistic-regression", "-o", target]) == 2
    assert "--node: name the head's Flatten or Linear (Flatten nodes: none)" in \
        capsys.readouterr().err
    assert not (tmp_path / "x.nnet.json").exists()
