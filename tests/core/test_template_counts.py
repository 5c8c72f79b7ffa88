"""Paper presets against the published parameter counts and against reference implementations.

Counting needs no real tensors: `netstudio summary --json` counts by shape inference on the meta
device, and the reference models (torchvision, a hand-written U-Net, the PyTorch DCGAN
tutorial's networks) are built on the meta device too, so VGG-16 costs nothing here. Beyond the
totals, the multiset of parameter shapes must equal the reference's: the same layers, not just
the same sum.
"""
from __future__ import annotations

import json
from collections import Counter

import pytest
import torch
import torchvision
from torch import nn

from studio.cli import main
from support.template_checks import compile_on, configured

PUBLISHED = {
    "lenet5": 61_706,
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "unet": 31_030_658,  # not in the paper; this hand-written torch U-Net's count (below)
    "dcgan": {"generator": 3_576_704, "discriminator": 2_765_568},
}


def _double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())


class ReferenceUNet(nn.Module):
    """Ronneberger 2015 with padded convolutions: 4 levels, 64 base channels, no batch norm."""

    def __init__(self, in_channels=1, classes=2, width=64):
        super().__init__()
        widths = [width * 2 ** i for i in range(5)]
        self.inc = _double_conv(in_channels, width)
        self.down = nn.ModuleList(_double_conv(widths[i], widths[i + 1]) for i in range(4))
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
                                for i in reversed(range(4)))
        self.conv = nn.ModuleList(_double_conv(2 * widths[i], widths[i])
                                  for i in reversed(range(4)))
        self.out = nn.Conv2d(width, classes, 1)


def tutorial_generator(nz=100, ngf=64, nc=3) -> nn.Sequential:
    """The generator of the PyTorch DCGAN tutorial."""
    layers, channels = [], [nz, ngf * 8, ngf * 4, ngf * 2, ngf]
    for i, (cin, cout) in enumerate(zip(channels, channels[1:])):
        layers += [nn.ConvTranspose2d(cin, cout, 4, 1 if i == 0 else 2, 0 if i == 0 else 1,
                                      bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]
    return nn.Sequential(*layers, nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())


def tutorial_discriminator(ndf=64, nc=3) -> nn.Sequential:
    """The discriminator of the PyTorch DCGAN tutorial."""
    layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    for cin, cout in ((ndf, ndf * 2), (ndf * 2, ndf * 4), (ndf * 4, ndf * 8)):
        layers += [nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout),
                   nn.LeakyReLU(0.2, inplace=True)]
    return nn.Sequential(*layers, nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())


REFERENCES = {
    "alexnet": {"model": torchvision.models.alexnet},
    "vgg11": {"model": torchvision.models.vgg11},
    "vgg16": {"model": torchvision.models.vgg16},
    "resnet18": {"model": torchvision.models.resnet18},
    "resnet34": {"model": torchvision.models.resnet34},
    "resnet50": {"model": torchvision.models.resnet50},
    "unet": {"model": ReferenceUNet},
    "dcgan": {"generator": tutorial_generator, "discriminator": tutorial_discriminator},
}


def _shapes(module: nn.Module) -> Counter:
    return Counter(tuple(p.shape) for p in module.parameters() if p.requires_grad)


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", PUBLISHED)
def test_netstudio_summary_reports_the_published_count(name, capsys):
    assert main(["summary", name, "--preset", "paper", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    expected = PUBLISHED[name]
    if isinstance(expected, dict):
        assert summary["networks"] == expected
        expected = sum(expected.values())
    assert summary["total_params"] == expected


@pytest.mark.parametrize("name", REFERENCES)
def test_paper_preset_has_the_layers_of_the_reference(name):
    doc = configured(name, "paper")
    for network, make in REFERENCES[name].items():
        with torch.device("meta"):
            reference = make()
        ours = compile_on(doc, network, "meta").module
        expected = PUBLISHED[name][network] if isinstance(PUBLISHED[name], dict) \
            else PUBLISHED[name]
        assert _count(reference) == expected  # the reference itself has the published count
        assert _shapes(ours) == _shapes(reference)


@pytest.mark.parametrize("name, units", [("resnet18", 8), ("resnet34", 16), ("resnet50", 16)])
def test_resnet_reads_as_stem_blocks_and_head(name, units):
    graph = configured(name).networks["model"]
    blocks = [n for n in graph.nodes.values() if n.type == "block.Block"]
    assert sum(n.params.get("repeat", 1) for n in blocks) == units
    assert len(blocks) <= 8  # a stage is at most two Block nodes
    layers = [n for n in graph.nodes.values() if n.type not in (
        "block.Block", "io.Input", "io.Target", "io.Output", "loss.CrossEntropy")]
    assert len(layers) == 6  # stem conv, bn, relu, max pool; head pool, fc


def test_a_repeated_block_compiles_to_nested_submodules():
    modules = dict(compile_on(configured("resnet50"), "model").module.named_modules())
    assert {"layer1.0.conv1", "layer1.1.conv3", "layer1_0.downsample_conv"} <= set(modules)
    assert isinstance(modules["layer1.0.conv1"], nn.Conv2d)
