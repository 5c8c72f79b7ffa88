"""One metric registry: direction of every reported value and the dashboard's plots."""
import pytest

from studio.train.metric_registry import (MAX, MIN, PLOT_AXES, Metric, direction, lookup,
                                          plots, register)


@pytest.mark.parametrize("name, way", [
    ("val.loss", MIN), ("train.loss", MIN), ("val.loss/kl", MIN), ("val.accuracy", MAX),
    ("val.top5", MAX), ("val.miou", MAX), ("val.psnr", MAX), ("val.elbo", MAX),
    ("val.mse", MIN), ("val.mae", MIN), ("accuracy", MAX), ("test.accuracy", MAX),
    ("val.unheard_of", MIN), ("train.lr", MIN)])
def test_direction(name, way):
    assert direction(name) == way


def test_every_metric_the_accumulator_reports_is_registered():
    import torch
    from studio.train.metrics import Accumulator
    acc = Accumulator(num_classes=10, iou=True)
    acc.add_loss(4, 1.0, {"kl": 0.5})
    acc.add_classes(torch.randn(4, 10), torch.tensor([1, 2, 3, 4]))
    acc.add_regression(torch.zeros(4, 3), torch.ones(4, 3))
    acc.add_psnr(torch.zeros(4, 1, 2, 2), torch.ones(4, 1, 2, 2))
    reported = set(acc.result()) - {"confusion"}
    assert {name for name in reported if lookup(name) is None} == set()


def test_plots_come_from_the_registry():
    table = {title: (steps, epochs, label) for title, steps, epochs, label in plots()}
    assert list(table) == list(PLOT_AXES)
    assert table["loss"] == (["loss"], ["train.loss", "val.loss"], "loss")
    assert table["accuracy"][1] == ["train.accuracy", "val.accuracy", "val.miou", "val.psnr",
                                    "val.elbo", "val.topographic_error"]
    assert table["gradient norm"][0] == ["grad_norm", "grad_norm_g"]  # what the GAN reports


def test_a_bad_metric_is_refused():
    with pytest.raises(ValueError, match="direction"):
        register(Metric("speed", "up", "?"))
    with pytest.raises(ValueError, match="unknown plot 'nowhere'"):
        register(Metric("speed", MAX, "?", plot="nowhere"))
