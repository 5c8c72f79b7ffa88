"""Which words drove a text classifier's prediction: integrated gradients on the embedding.

Token ids are not differentiable, so the gradients are taken at the output of the network's
Embedding (Captum's ``LayerIntegratedGradients``), from the all-``<pad>`` sentence (token 0) to
the real one, and summed over the embedding's width: one signed score per word, positive when
the word pushed towards the explained class. The scores add up to the logit's change from the
padded sentence (the completeness of Sundararajan et al. 2017), so they compare across words.
A network with other inputs (VQA's picture) keeps them fixed while the words are explained.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from studio.inspect.errors import InspectError
from studio.inspect.network import logits_of

POSITIVE, NEGATIVE = (46, 160, 70), (214, 60, 50)  # towards / against the explained class


def first_embedding(model: nn.Module) -> tuple[str, nn.Embedding]:
    for name, module in model.named_modules():
        if isinstance(module, nn.Embedding):
            return name, module
    raise InspectError("word attribution needs a network with an Embedding node")


def tokenize(text: str, vocab: list, steps: int) -> tuple[torch.Tensor, list]:
    """``"not good"`` -> (1×steps token ids padded on the left with 0, the words kept)."""
    words = text.lower().split()
    if not words:
        raise InspectError("type a sentence to explain")
    lookup = {w: i for i, w in enumerate(vocab)}
    unknown = [w for w in words if w not in lookup]
    if unknown and vocab[0] != "<unk>":
        raise InspectError(f"not in the vocabulary: {', '.join(unknown[:5])} (known words "
                           f"include {', '.join(map(str, vocab[1:9]))})")
    if len(words) > steps:
        raise InspectError(f"the network reads {steps} words; the sentence has {len(words)}")
    ids = [0] * (steps - len(words)) + [lookup.get(w, 0) for w in words]
    return torch.tensor([ids]), words


def word_attribution(model: nn.Module, inputs: list, position: int = 0, target: int | None = None,
                     steps: int = 32) -> tuple[np.ndarray, int]:
    """(one signed score per token of ``inputs[position]``, the explained class): integrated
    gradients on the first Embedding, from all-pad tokens; ``target`` None = the prediction."""
    from captum.attr import LayerIntegratedGradients
    _, embedding = first_embedding(model)
    tokens = inputs[position]
    others = [x for i, x in enumerate(inputs) if i != position]

    def forward(t, *rest):
        args = list(rest)
        args.insert(position, t)
        return logits_of(model(*args)).flatten(1)

    with torch.no_grad():
        k = int(forward(tokens, *others).argmax(1)[0]) if target is None else target
    lig = LayerIntegratedGradients(forward, embedding)
    # Captum runs the ``steps`` points of the path as one batch (the picture repeated with them)
    scores = lig.attribute(tokens, baselines=torch.zeros_like(tokens), target=k,
                           additional_forward_args=tuple(others) or None, n_steps=steps)
    return scores.sum(-1)[0].detach().numpy(), k


def sample_arguments(compiled, doc, sample: int) -> list:
    """The network's arguments (1×… each) from sample ``sample`` of the validation split."""
    from studio.inspect.load import _bundle
    bundle = _bundle(doc)
    data = next((d for d in (bundle.val, bundle.test, bundle.train) if d is not None and len(d)),
                None)
    if data is None or not 0 <= sample < len(data):
        raise InspectError(f"sample {sample} out of range: the split has "
                           f"{0 if data is None else len(data)}")
    item, out = data[sample], []
    for name in compiled.inputs:
        field = compiled.shapes.params[compiled.node_map[name]].get("field", name)
        if field not in item:
            raise InspectError(f"input {name!r} reads field {field!r}, which the dataset lacks "
                               f"(fields: {', '.join(item)})")
        out.append(torch.as_tensor(item[field]).unsqueeze(0))
    return out


def token_position(compiled) -> int:
    """Which argument of the network holds word tokens (its Input's dtype is int64)."""
    for i, name in enumerate(compiled.inputs):
        if compiled.shapes.params[compiled.node_map[name]].get("dtype") == "int64":
            return i
    raise InspectError("word attribution needs an input of word tokens (an int64 Input)")


def explain(compiled, doc, vocab: list, text: str = "", sample: int = 0,
            target: int | None = None) -> tuple[list, np.ndarray, int, torch.Tensor]:
    """(words, their scores, the explained class, the class probabilities) for ``text`` or,
    when empty, for dataset sample ``sample`` (its other inputs are used either way)."""
    args = sample_arguments(compiled, doc, sample)
    position = token_position(compiled)
    steps = args[position].shape[1]
    if text.strip():
        args[position], _ = tokenize(text, vocab, steps)
    words = [vocab[i] if 0 <= i < len(vocab) else str(i) for i in args[position][0].tolist()]
    model = compiled.module.eval()
    with torch.no_grad():
        probs = torch.softmax(logits_of(model(*args)).flatten(1), 1)[0]
    if target is not None and not 0 <= target < len(probs):
        raise InspectError(f"class {target} out of range: the network outputs {len(probs)} "
                           f"classes (0..{len(probs) - 1})")
    scores, k = word_attribution(model, args, position, target)
    shown = [i for i, t in enumerate(args[position][0].tolist()) if t != 0]  # not the padding
    return [words[i] for i in shown], scores[shown], k, probs


def strip_picture(words: list, scores: np.ndarray) -> np.ndarray:
    """The sentence as a strip of word boxes tinted by their score, a bar under each: up and
    green towards the class, down and red against it (H×W×3 uint8)."""
    from PIL import Image, ImageDraw, ImageFont
    top = max(float(np.abs(scores).max()), 1e-8) if len(scores) else 1.0
    font = ImageFont.load_default(size=15)  # Pillow's bundled scalable font: no system fonts
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    widths = [max(48, int(draw.textlength(w, font=font)) + 16) for w in words]
    image = Image.new("RGB", (sum(widths) + 8 + 4 * len(words), 112), (255, 255, 255))
    draw, x = ImageDraw.Draw(image), 4
    for word, width, score in zip(words, widths, scores):
        share = float(score) / top
        colour = np.array(POSITIVE if share >= 0 else NEGATIVE, float)
        tint = tuple(int(v) for v in 255 - abs(share) * (255 - colour))
        draw.rectangle([x, 6, x + width, 34], fill=tint, outline=(150, 150, 150))
        draw.text((x + width / 2, 20), word, fill=(0, 0, 0), anchor="mm", font=font)
        bar = int(round(abs(share) * 34))
        y0, y1 = (74 - bar, 74) if share >= 0 else (74, 74 + bar)
        draw.rectangle([x + 8, y0, x + width - 8, y1], fill=tuple(int(v) for v in colour))
        draw.text((x + width / 2, 86 if share >= 0 else 62), f"{score:+.2f}", fill=(60, 60, 60),
                  anchor="mm", font=ImageFont.load_default(size=12))
        x += width + 4
    draw.line([4, 74, x, 74], fill=(120, 120, 120))
    return np.asarray(image, np.uint8)
