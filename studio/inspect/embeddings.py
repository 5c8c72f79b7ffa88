"""Embeddings: t-SNE of a layer's outputs over many samples, word vectors' neighbours and analogies.

:func:`layer_outputs` collects one flattened row per sample; :func:`tsne` (scikit-learn) maps
them to 2-D; :func:`scatter_image` draws the points coloured by label with numpy and Pillow.
The GUI keeps the returned points to show the sample under the mouse. Word vectors are the rows
of an Embedding node's weight, compared by cosine similarity.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from studio.inspect.errors import InspectError
from studio.inspect.images import PALETTE
from studio.inspect.network import capturing, frozen, resolve_layer


def layer_outputs(model: nn.Module, layer: str, inputs: torch.Tensor, batch_size: int = 128,
                  progress=None) -> np.ndarray:
    """(N, D) float32: ``layer``'s output for each sample of ``inputs``, flattened."""
    rows = []
    with torch.no_grad(), frozen(model), capturing(model, [layer]) as cap:
        for start in range(0, len(inputs), batch_size):
            cap.run(inputs[start:start + batch_size])
            out = cap[layer]
            if not torch.is_tensor(out):
                raise InspectError(f"node {layer!r} does not output a tensor")
            rows.append(out.reshape(out.shape[0], -1).float().cpu().numpy())
            if progress is not None and progress(min(1.0, (start + batch_size) / len(inputs))) \
                    is False:
                break
    return np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)


def tsne(points: np.ndarray, perplexity: float = 30.0, seed: int = 0) -> np.ndarray:
    """(N, D) -> (N, 2) with scikit-learn's Barnes-Hut t-SNE; PCA first above 50 dimensions."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    n = len(points)
    if n < 5:
        raise InspectError(f"t-SNE needs at least 5 samples, got {n}")
    points = np.asarray(points, np.float32).reshape(n, -1)
    if points.shape[1] > 50:  # the usual speed-up: t-SNE's neighbours barely change
        points = PCA(n_components=min(50, n), random_state=seed).fit_transform(points)
    perplexity = min(perplexity, (n - 1) / 3)  # scikit-learn requires perplexity < n
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                learning_rate="auto").fit_transform(points).astype(np.float32)


def scatter_image(points: np.ndarray, labels=None, names: list[str] | None = None,
                  size: int = 480, radius: int = 3) -> np.ndarray:
    """RGB uint8 scatter plot of (N, 2) ``points`` coloured by integer ``labels``, with a legend."""
    from PIL import Image, ImageDraw
    points = np.asarray(points, np.float32)
    labels = np.zeros(len(points), int) if labels is None else np.asarray(labels).astype(int)
    margin, legend = 12, 110 if names or labels.max(initial=0) > 0 else 0
    low, high = points.min(0), points.max(0)
    span = np.where(high > low, high - low, 1.0)
    xy = margin + (points - low) / span * (size - 2 * margin)
    canvas = Image.new("RGB", (size + legend, size), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for (x, y), k in zip(xy, labels):
        draw.ellipse((x - radius, size - y - radius, x + radius, size - y + radius),
                     fill=PALETTE[k % len(PALETTE)])
    if legend:
        for i, k in enumerate(sorted(set(labels.tolist()))):
            name = names[k] if names and 0 <= k < len(names) else str(k)
            y = margin + 16 * i
            draw.ellipse((size + 6, y + 3, size + 14, y + 11), fill=PALETTE[k % len(PALETTE)])
            draw.text((size + 20, y), name, fill=(20, 20, 20))
    return np.asarray(canvas)


def embedding_weight(model: nn.Module, layer: str | None = None) -> tuple[str, torch.Tensor]:
    """(name, weight) of the Embedding ``layer`` or, when None, of the first Embedding."""
    if layer is not None:
        module = resolve_layer(model, layer)
        if not isinstance(module, nn.Embedding):
            raise InspectError(f"node {layer!r} is a {type(module).__name__}, not an Embedding")
        return layer, module.weight.detach()
    for name, module in model.named_modules():
        if isinstance(module, nn.Embedding):
            return name, module.weight.detach()
    raise InspectError("the network has no Embedding node")


def _index(vocab: list[str], word: str) -> int:
    try:
        return vocab.index(word)
    except ValueError:
        raise InspectError(f"word {word!r} is not in the vocabulary "
                           f"({len(vocab)} words)") from None


def _ranked(weight: torch.Tensor, query: torch.Tensor, vocab, exclude: set, k: int):
    unit = torch.nn.functional.normalize(weight.float(), dim=1)
    sims = unit @ torch.nn.functional.normalize(query.float(), dim=0)
    order = sims.argsort(descending=True).tolist()
    return [(vocab[i], float(sims[i])) for i in order if i not in exclude][:k]


def nearest_words(weight: torch.Tensor, vocab: list[str], word: str, k: int = 8):
    """The ``k`` words whose vectors have the highest cosine similarity with ``word``'s."""
    i = _index(vocab, word)
    return _ranked(weight, weight[i], vocab, {i}, k)


def analogy(weight: torch.Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 5):
    """``a`` is to ``b`` as ``c`` is to ...: nearest words to ``b - a + c`` (inputs excluded)."""
    ia, ib, ic = (_index(vocab, w) for w in (a, b, c))
    return _ranked(weight, weight[ib] - weight[ia] + weight[ic], vocab, {ia, ib, ic}, k)


def project_2d(vectors: np.ndarray) -> np.ndarray:
    """Principal-component projection to 2-D (for labelling a handful of word vectors)."""
    v = np.asarray(vectors, np.float32)
    v = v - v.mean(0)
    _, _, vt = np.linalg.svd(v, full_matrices=False)
    return v @ vt[:2].T if vt.shape[0] >= 2 else np.pad(v @ vt[:1].T, ((0, 0), (0, 1)))


def labelled_scatter(points: np.ndarray, words: list[str], highlight: int = 0,
                     size: int = 420) -> np.ndarray:
    """A scatter of a few 2-D points with their words written beside them."""
    from PIL import Image, ImageDraw
    base = scatter_image(points, np.array([0 if i == highlight else 1 for i in range(len(words))]),
                         size=size, radius=4)[:, :size]
    canvas = Image.fromarray(np.ascontiguousarray(base))
    draw = ImageDraw.Draw(canvas)
    low, high = points.min(0), points.max(0)
    span = np.where(high > low, high - low, 1.0)
    xy = 12 + (points - low) / span * (size - 24)
    for (x, y), word in zip(xy, words):
        draw.text((min(x + 6, size - 6 * len(word)), size - y - 6), word, fill=(20, 20, 20))
    return np.asarray(canvas)
