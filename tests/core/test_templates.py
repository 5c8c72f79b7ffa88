"""Every bundled template, in every preset: loads, validates, compiles, runs, round-trips,
exports, and learns. Parametrized over the template folder, so a new template is covered by
being written.

Paper presets are compiled and run on the meta device (VGG-16 has 138 M parameters): shapes
are exact there and nothing is allocated. Everything numeric uses the small preset on the CPU.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from studio.cli import main
from studio.compile.codegen import export_code
from studio.core.diagnostics import ERROR
from studio.core.serialize import dumps, load, save
from studio.core.templates import template_info, template_names, template_path
from studio.core.validate import validate_document
from support.template_checks import (as_dict, cases, compile_on, configured, declared_outputs,
                                     inputs_for, targets_for)

ROOT = Path(__file__).resolve().parents[2]
NAMES = template_names()
# Every network of the template zoo (issue 3); a missing file fails here, not silently.
REQUIRED = """perceptron logistic-regression mlp lenet5 alexnet vgg11 vgg16 resnet18 resnet34
resnet50 fcn deconvnet unet rnn-classifier gru-classifier lstm-classifier deep-lstm lstm-tagger
seq2seq captioner char-rnn conv1d-sequence bag-of-words autoencoder sparse-autoencoder
denoising-autoencoder conv-autoencoder stacked-autoencoder vae conv-vae dcgan word2vec
rbm""".split()
RECIPES = {"classification", "regression", "segmentation", "sequence", "reconstruction", "vae",
           "gan", "skip-gram", "contrastive-divergence"}
DATASETS = {"digits", "shapes", "toy2d", "digit-rows", "sine", "adding", "copy", "reverse",
            "sort", "text"}
SPECIAL = {"gan", "contrastive-divergence"}  # recipes that do not minimize the graph's losses
REQUIRED += ["som", "som-colours"]  # issue 20: Kohonen maps, trained by competition (no loss)
DATASETS.add("colours")
REQUIRED += ["vqa", "sentiment"]  # issue 20: two inputs; many-to-one text
DATASETS |= {"vqa", "sentiment"}
RECIPES.add("som")
REQUIRED += ["softmax-regression", "linear-regression", "mlp-regression", "fc-as-conv"]  # #20
DATASETS.add("friedman1")  # issue 20: square-loss regression
REQUIRED += ["rotation-pretext", "linear-probe", "cbow"]  # issue 20: self-supervised; CBOW
DATASETS.add("rotations")
RECIPES.add("cbow")
SPECIAL.add("som")
REQUIRED += ["tied-autoencoder", "stacked-autoencoder-layerwise"]  # issue 20
RECIPES.add("layerwise")
REQUIRED.append("cgan")  # issue 20: conditional GAN (labels into G and D)
RECIPES.add("conditional-gan")
SPECIAL.add("conditional-gan")
OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
OPTIMIZERS["adamw"] = torch.optim.AdamW  # cbow: decoupled weight decay


pytestmark = pytest.mark.usefixtures("one_thread_module")


def _recipe(name: str) -> str:
    return configured(name).training["recipe"]


def test_every_network_of_the_course_is_a_template():
    assert sorted(set(REQUIRED) - set(NAMES)) == []


@pytest.mark.parametrize("name", NAMES)
def test_template_describes_itself_and_binds_a_dataset(name):
    info = template_info(name)
    for key in ("title", "summary", "description", "source", "course"):
        assert isinstance(info.get(key), str) and info[key].strip(), key
    assert "\n" not in info["summary"]
    assert "small" in info["presets"]
    training = configured(name).training
    assert training["recipe"] in RECIPES
    assert training["dataset"]["name"] in DATASETS


@pytest.mark.parametrize("name, preset", cases())
def test_validates_compiles_and_gives_declared_outputs(name, preset):
    doc = configured(name, preset)
    errors = [str(d) for d in validate_document(doc) if d.severity == ERROR]
    assert errors == []
    device = "meta" if preset == "paper" else "cpu"
    for network in doc.networks:
        compiled = compile_on(doc, network, device)
        module = compiled.module.eval()
        with torch.no_grad():
            result = as_dict(compiled, module(*inputs_for(compiled, device)))
        got = {k: tuple(v.shape) for k, v in result.items()}
        assert got == declared_outputs(doc, network, compiled)
        if device == "cpu":  # the real module holds exactly the parameters inference counted
            real = sum(p.numel() for p in module.parameters() if p.requires_grad)
            assert real == compiled.shapes.total_params


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_give_an_identical_document(name, tmp_path):
    doc, diagnostics = load(template_path(name))
    assert diagnostics == []
    assert dumps(doc) == template_path(name).read_text(encoding="utf-8")
    save(doc, tmp_path / "copy.nnet.json")
    again, diagnostics = load(tmp_path / "copy.nnet.json")
    assert diagnostics == [] and again.to_json() == doc.to_json()


@pytest.mark.parametrize("name", NAMES)
def test_exported_code_gives_identical_outputs(name):
    doc = configured(name)
    for network in doc.networks:
        compiled = compile_on(doc, network, seed=0)
        source = export_code(compiled, "Exported")
        namespace: dict = {}
        exec(compile(source, f"<{name}.{network}>", "exec"), namespace)
        exported = namespace["Exported"]()
        exported.load_state_dict(compiled.module.state_dict())
        inputs = inputs_for(compiled)
        with torch.no_grad():
            want = compiled.module.eval()(*inputs)
            got = exported.eval()(*inputs)
        want, got = as_dict(compiled, want), as_dict(compiled, got)
        assert want.keys() == got.keys()
        for key in want:
            torch.testing.assert_close(got[key], want[key], rtol=0, atol=0)


def _total_loss(compiled, batch, seed=0) -> torch.Tensor:
    torch.manual_seed(seed)  # the same noise / dropout / samples for every evaluation
    losses = compiled.module(*batch)["losses"]
    assert losses, "a trainable template needs at least one loss node"
    return sum(losses.values())


@pytest.mark.parametrize("name", [n for n in NAMES if _recipe(n) not in SPECIAL])
def test_a_few_optimizer_steps_lower_the_loss(name):
    doc = configured(name)
    compiled = compile_on(doc, "model", training=True, seed=0)
    inputs = inputs_for(compiled)
    batch = [*inputs, *targets_for(compiled, inputs)]
    module = compiled.module.train()
    settings = doc.training["optimizer"]  # the template's own optimizer and learning rate
    optimizer = OPTIMIZERS[settings["name"]](module.parameters(), lr=settings["lr"])
    before = _total_loss(compiled, batch).item()
    for step in range(10):
        optimizer.zero_grad()
        loss = _total_loss(compiled, batch, seed=step + 1)
        loss.backward()
        optimizer.step()
    after = _total_loss(compiled, batch).item()
    assert after < before, (before, after)


@pytest.mark.parametrize("name", [n for n in NAMES if _recipe(n) == "gan"])
def test_adversarial_steps_keep_losses_finite_and_move_the_generator(name):
    doc = configured(name)
    g = compile_on(doc, "generator", seed=0)
    d = compile_on(doc, "discriminator", seed=1)
    z, = inputs_for(g)
    z = torch.randn_like(z)
    real = inputs_for(d)[0] * 2 - 1  # images in the generator's tanh range
    opt_g = torch.optim.Adam(g.module.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.module.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g.module.eval()
    with torch.no_grad():
        start = g.module(z).clone()
    g.module.train(), d.module.train()
    for _ in range(3):
        fake = g.module(z)
        real_score, fake_score = d.module(real), d.module(fake.detach())
        loss_d = (F.binary_cross_entropy_with_logits(real_score, torch.ones_like(real_score)) +
                  F.binary_cross_entropy_with_logits(fake_score, torch.zeros_like(fake_score)))
        opt_d.zero_grad(), loss_d.backward(), opt_d.step()
        score = d.module(fake)
        loss_g = F.binary_cross_entropy_with_logits(score, torch.ones_like(score))
        opt_g.zero_grad(), loss_g.backward(), opt_g.step()
        assert torch.isfinite(loss_d) and torch.isfinite(loss_g)
    g.module.eval()
    with torch.no_grad():
        assert not torch.allclose(g.module(z), start)


@pytest.mark.parametrize("name", [n for n in NAMES if _recipe(n) == "contrastive-divergence"])
def test_contrastive_divergence_lowers_the_reconstruction_error(name):
    """CD-1 with the graph as p(h|v) and its transposed weights (plus a visible bias held by
    the recipe) as p(v|h): the free-energy gradient estimate, applied by hand."""
    compiled = compile_on(configured(name), "model", seed=0)
    model = compiled.module.eval()
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linear) == 1, "an RBM has one weight matrix between visible and hidden units"
    weight, hidden_bias = linear[0].weight, linear[0].bias
    v = (inputs_for(compiled)[0] > 0.5).float()
    flat = v.flatten(1)
    visible_bias = torch.zeros(flat.shape[1])
    torch.manual_seed(0)

    def reconstruction_error() -> float:
        h = model(v)
        return (torch.sigmoid(h @ weight + visible_bias) - flat).pow(2).mean().item()

    with torch.no_grad():
        before = reconstruction_error()
        for _ in range(30):
            p_h = model(v)
            p_v = torch.sigmoid(torch.bernoulli(p_h) @ weight + visible_bias)
            p_h1 = model(p_v.reshape(v.shape))
            weight += 0.1 * (p_h.T @ flat - p_h1.T @ p_v) / len(flat)
            hidden_bias += 0.1 * (p_h - p_h1).mean(0)
            visible_bias += 0.1 * (flat - p_v).mean(0)
        assert reconstruction_error() < before


def test_cli_lists_every_template_with_its_summary(capsys):
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in NAMES:
        line = next(line for line in lines if line.split()[0] == name)
        assert template_info(name)["summary"] in line


def test_template_files_are_up_to_date():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_templates.py"), "--check"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
