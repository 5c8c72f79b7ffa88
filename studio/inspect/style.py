"""Style transfer (Gatys 2015) and deep feature interpolation (Upchurch 2017) on any conv network.

Style is the Gram matrices of a few layers' feature maps (which channels fire together,
wherever they are); content is one deeper layer's feature map. Both losses are relative to the
target's own energy so the default weights work for a 30k-parameter network trained here as
well as for VGG. Deep feature interpolation moves an image's features along the difference
between two sets' mean features and reconstructs an image that has them.

torchvision's ImageNet VGG is offered only when its weights are already in the torch hub cache:
:func:`cached_vgg` never downloads.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import torch
from torch import nn

from studio.inspect.errors import InspectError
from studio.inspect.maximize import OptimizedImage, descend
from studio.inspect.network import capturing, features, frozen, total_variation


def gram(fmap: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, C) channel co-activations, averaged over positions."""
    n, c, h, w = fmap.shape
    flat = fmap.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


def _relative(got: torch.Tensor, goal: torch.Tensor) -> torch.Tensor:
    return (got - goal).pow(2).sum() / goal.pow(2).sum().clamp_min(1e-12)


def _spatial(model, layers, x):
    outs = features(model, layers, x)
    for name, out in zip(layers, outs):
        if not torch.is_tensor(out) or out.dim() != 4:
            raise InspectError(f"node {name!r} is not a convolutional feature map (N×C×H×W); "
                               f"style and content layers must be")
    return outs


def style_loss(model: nn.Module, layers: list[str], x: torch.Tensor, grams: list) -> torch.Tensor:
    """Sum over ``layers`` of the relative Gram-matrix distance to ``grams``."""
    outs = _spatial(model, layers, x)
    return sum(_relative(gram(f), g) for f, g in zip(outs, grams))


def style_transfer(model: nn.Module, content: torch.Tensor, style: torch.Tensor,
                   style_layers: list[str], content_layer: str, steps: int = 200,
                   lr: float = 0.02, content_weight: float = 0.05, tv: float = 0.01,
                   bounds=(0.0, 1.0), progress=None) -> OptimizedImage:
    """The content image repainted with the style image's Gram matrices.

    Values in the result are the style loss at the start (the content image) and the end.
    """
    if not style_layers:
        raise InspectError("style transfer needs at least one style layer")
    with frozen(model):
        with torch.no_grad():
            grams = [gram(f) for f in _spatial(model, style_layers, style)]
            goal = _spatial(model, [content_layer], content)[0]
            first = float(style_loss(model, style_layers, content, grams))
        layers = [*style_layers, content_layer]
        x = content.detach().clone().requires_grad_(True)

        def step_loss(x):
            with capturing(model, layers) as cap:
                cap.run(x)
                s = sum(_relative(gram(cap[n]), g) for n, g in zip(style_layers, grams))
                c = _relative(cap[content_layer], goal)
            return s + content_weight * c + tv * total_variation(x), s

        history, cancelled = descend(x, step_loss, steps, lr, bounds, progress)
        with torch.no_grad():
            final = float(style_loss(model, style_layers, x, grams))
    return OptimizedImage(x.detach(), first, final, history, cancelled)


def _phi(model, layers, x) -> torch.Tensor:
    """Concatenated features, each layer scaled to unit mean square so none dominates."""
    outs = features(model, layers, x)
    return torch.cat([f.flatten(1) / f[0].numel() ** 0.5 for f in outs], dim=1)


def feature_interpolation(model: nn.Module, image: torch.Tensor, source: torch.Tensor,
                          target: torch.Tensor, layers: list[str], alpha: float = 1.0,
                          steps: int = 200, lr: float = 0.02, tv: float = 0.05,
                          bounds=(0.0, 1.0), progress=None) -> OptimizedImage:
    """Deep feature interpolation: ``image`` moved ``alpha`` times from the mean features of
    ``source`` (N×C×H×W, e.g. circles) towards those of ``target`` (e.g. squares), then
    reconstructed. Values are the feature distance to the goal at the start and the end."""
    if len(source) == 0 or len(target) == 0:
        raise InspectError("feature interpolation needs samples of both the source and the "
                           "target attribute")
    with frozen(model):
        with torch.no_grad():
            shift = _phi(model, layers, target).mean(0) - _phi(model, layers, source).mean(0)
            goal = _phi(model, layers, image) + alpha * shift
        x = image.detach().clone().requires_grad_(True)
        distance = lambda z: (_phi(model, layers, z) - goal).pow(2).sum()
        with torch.no_grad():
            first = float(distance(x))

        def step_loss(x):
            d = distance(x)
            return d + tv * total_variation(x), d

        history, cancelled = descend(x, step_loss, steps, lr, bounds, progress)
        with torch.no_grad():
            final = float(distance(x))
    return OptimizedImage(x.detach(), first, final, history, cancelled)


def spatial_layers(model: nn.Module, x: torch.Tensor) -> list[str]:
    """Top-level layers whose output for ``x`` is a feature map, in execution order."""
    names = [n for n, _ in model.named_children()]
    with torch.no_grad(), frozen(model), capturing(model, names, stop_early=False) as cap:
        try:
            cap.run(x)
        except Exception:  # a head that rejects this image size: the conv part is captured
            pass
        order = list(cap)
    return [n for n in order if torch.is_tensor(cap[n]) and cap[n].dim() == 4]


def default_layers(model: nn.Module, x: torch.Tensor) -> tuple[list[str], str]:
    """Up to four style layers spread over the conv part, and a content layer after half way."""
    names = spatial_layers(model, x)
    if not names:
        raise InspectError("the network has no convolutional feature maps for style transfer")
    picks = sorted({round(i * (len(names) - 1) / 3) for i in range(4)})
    return [names[i] for i in picks], names[len(names) // 2]


# ---- torchvision VGG from the local cache only ---------------------------------------------

VGG_LAYERS = {  # Gatys et al.'s choice: relu1_1 .. relu5_1 for style, relu4_2 for content
    "vgg11": (["features.1", "features.4", "features.7", "features.12", "features.17"],
              "features.14"),
    "vgg19": (["features.1", "features.6", "features.11", "features.20", "features.29"],
              "features.22"),
    "vgg16": (["features.1", "features.6", "features.11", "features.18", "features.25"],
              "features.20"),
}


class ImageNetVGG(nn.Module):
    """VGG's conv part taking images in [0, 1]; ImageNet normalization inside."""

    def __init__(self, features: nn.Module):
        super().__init__()
        self.features = features
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x):
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return self.features((x - self.mean) / self.std)


def vgg_cache_file(name: str) -> Path:
    """Where torchvision keeps ``name``'s ImageNet weights in the torch hub cache."""
    import torchvision.models as tvm
    weights = tvm.get_model_weights(name).IMAGENET1K_V1
    return vgg_cache_folder() / Path(weights.url).name


def vgg_cache_folder() -> Path:
    """The folder torchvision reads downloaded weights from ($TORCH_HOME/hub/checkpoints)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def cached_vggs() -> list[str]:
    """The VGG variants whose weights are already on this machine."""
    return [n for n in VGG_LAYERS if vgg_cache_file(n).is_file()]


def cached_vgg(name: str = "vgg19") -> tuple[ImageNetVGG, list[str], str]:
    """(model, style layers, content layer) from the local cache; never downloads."""
    import torchvision.models as tvm
    if name not in VGG_LAYERS:
        raise InspectError(f"unknown VGG {name!r} (known: {', '.join(VGG_LAYERS)})")
    path = vgg_cache_file(name)
    if not path.is_file():
        raise InspectError(f"{name} ImageNet weights are not in the torch hub cache ({path}); "
                           f"NetStudio does not download them: put the file there or use a "
                           f"network of your own")
    try:  # weights_only refuses pickled code: a one-line error naming the file, no traceback
        state = torch.load(path, map_location="cpu", weights_only=True)  # before building VGG
        model = getattr(tvm, name)(weights=None)
        model.load_state_dict(state)
    except (pickle.UnpicklingError, EOFError, RuntimeError, ValueError, TypeError,
            AttributeError, KeyError) as e:
        first = (str(e).strip().splitlines() or [""])[0][:120]
        raise InspectError(f"{path}: expected torchvision's {name} weights as plain tensors; "
                           f"torch.load(weights_only=True) refused the file or it does not fit "
                           f"({type(e).__name__}: {first})") from None
    style, content = VGG_LAYERS[name]
    return ImageNetVGG(model.features).eval(), style, content
