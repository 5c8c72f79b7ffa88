"""A trained classifier converted to a fully convolutional one keeps its function: the same
outputs at the trained size, a class map on larger inputs whose every position is the old
network applied to that window (the ONNX export: tests/cli/test_fc_to_conv_cli.py)."""
import pytest
import torch

from studio.compile.fc_weights import convert_network
from studio.compile.fx import compile_network
from studio.core.fc_to_conv import FcToConvError
from studio.core.serialize import dumps
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.data.bundled import _digit_images


pytestmark = pytest.mark.usefixtures("one_thread")


def _trained(name: str, size: int, steps: int = 25):
    """The template compiled and trained a few Adam steps on digits (weights far from init)."""
    torch.manual_seed(0)
    doc = apply_preset(open_document(name)[0])
    module = compile_network(doc).module
    images, labels = _digit_images(size)
    opt = torch.optim.Adam(module.parameters(), 3e-3)
    for step in range(steps):
        batch = slice(32 * step, 32 * step + 32)
        loss = torch.nn.functional.cross_entropy(module(images[batch]), labels[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return doc, module.eval(), images[-16:]


def test_lenet5_converted_with_its_weights_slides_over_a_larger_picture():
    doc, before, x = _trained("lenet5", 32)
    _, head, state = convert_network(doc, "model", "f6", before.state_dict())
    after = compile_network(doc).module.eval()
    after.load_state_dict(state)
    with torch.no_grad():
        logits, class_map = after(x)
        assert class_map.shape == (16, 10, 1, 1)
        torch.testing.assert_close(logits, before(x), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(class_map.flatten(1), before(x), atol=1e-5, rtol=1e-5)
        # a 64x64 canvas: 9x9 positions, 4 pixels apart (two 2x2 poolings)
        canvas = torch.rand(2, 1, 64, 64)
        pooled, class_map = after(canvas)
        assert class_map.shape == (2, 10, 9, 9)
        for i, j in [(0, 0), (3, 5), (8, 8)]:
            window = canvas[:, :, 4 * i:4 * i + 32, 4 * j:4 * j + 32]
            torch.testing.assert_close(class_map[:, :, i, j], before(window), atol=1e-5,
                                       rtol=1e-5)
        torch.testing.assert_close(pooled, class_map.mean((2, 3)), atol=1e-6, rtol=1e-6)


def test_mlp_converted_from_its_flatten_gives_identical_logits():
    doc, before, x = _trained("mlp", 8)
    _, head, state = convert_network(doc, "model", "flatten1", before.state_dict())
    after = compile_network(doc).module.eval()
    after.load_state_dict(state)
    with torch.no_grad():
        logits, class_map = after(x)
        torch.testing.assert_close(logits, before(x), atol=1e-5, rtol=1e-5)
        assert after(torch.rand(3, 1, 12, 12))[1].shape == (3, 10, 5, 5)


def test_weights_of_another_network_are_refused_and_the_document_left_as_it_was():
    doc = apply_preset(open_document("mlp")[0])
    before = dumps(doc)
    other = compile_network(apply_preset(open_document("mlp")[0], "paper")).module.state_dict()
    with pytest.raises(FcToConvError, match="^weights do not fit the network: "):
        convert_network(doc, "model", "linear1", other)
    assert dumps(doc) == before
