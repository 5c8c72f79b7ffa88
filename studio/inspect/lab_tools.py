"""What each Lab tool computes, as plain functions the Lab's worker thread runs (no Qt here).

A :class:`LabInput` is a snapshot taken on the GUI thread (a copy of the document, the weights
and the chosen image), so the worker never reads a document the user is editing. Each tool
opens the network through :mod:`studio.inspect.load`, calls one :mod:`studio.inspect` function
and returns a :class:`LabResult`: captioned pictures (uint8 RGB) plus, for t-SNE, the points.
Errors are :class:`~studio.inspect.errors.InspectError` with a one-line message.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.inspect.errors import InspectError


@dataclass
class LabInput:
    doc: object  # a Document copy
    network: str
    weights: str | None = None  # .safetensors file or run folder; None: initial weights
    image_path: str | None = None  # None: sample ``sample`` of the dataset
    sample: int = 0
    resize: bool = True  # the Lab scales a user's photo; the CLI asks for --resize


@dataclass
class Picture:
    rgb: np.ndarray  # (H, W, 3) uint8 at the network's resolution
    caption: str


@dataclass
class LabResult:
    tool: str
    pictures: list = field(default_factory=list)
    summary: str = ""
    cancelled: bool = False
    points: np.ndarray | None = None  # t-SNE: (N, 2)
    labels: np.ndarray | None = None
    names: list | None = None  # class names
    lines: list = field(default_factory=list)  # word neighbours: text rows
    predictions: list = field(default_factory=list)  # (class, confidence) pairs shown
    samples: np.ndarray | None = None  # t-SNE of images: (N, H, W, 3) uint8, shown on hover


@dataclass
class Context:
    doc: object
    compiled: object
    x: object = None  # 1×C×H×W image
    label: int | None = None
    classes: list | None = None

    def layer(self, node_id: str) -> str:
        from studio.inspect.network import layer_name, resolve_layer
        if not node_id:
            raise InspectError("choose a node")
        name = layer_name(self.compiled, node_id)
        resolve_layer(self.compiled.module, name)  # unknown node: an error listing the nodes
        return name

    def name(self, k) -> str:
        c = self.classes
        named = c and 0 <= k < len(c) and str(c[k]) != str(k)  # digits: "9", not "9 9"
        return f"{k} {c[k]}" if named else str(k)


def open_context(inp: LabInput, image: bool = True) -> Context:
    """Compile the snapshot's network, load its weights and (optionally) pick the image."""
    from studio.compile.fx import CompileError
    from studio.inspect.load import dataset_info, open_network, pick_image
    try:
        compiled = open_network(inp.doc, inp.network, inp.weights)
    except CompileError as e:
        first = e.diagnostics[0] if e.diagnostics else None
        raise InspectError(f"the network does not compile: {first}") from None
    ctx = Context(inp.doc, compiled)
    try:
        ctx.classes = dataset_info(inp.doc).get("classes")
    except Exception:  # noqa: BLE001 - class names are a nicety; a missing dataset is not fatal
        ctx.classes = None
    if image:
        ctx.x, ctx.label = pick_image(compiled, inp.doc, inp.image_path or None, inp.sample,
                                      inp.resize)
    return ctx


def _predicted(ctx, x) -> tuple[int, float]:
    from studio.inspect.network import predict
    (k,), (p,) = predict(ctx.compiled.module, x)
    return k, p


def attribution(inp: LabInput, method: str, layer: str = "", target: int = -1,
                alpha: float = 0.5, progress=None) -> LabResult:
    """Grad-CAM / CAM / saliency / integrated gradients, overlaid on the input."""
    from studio.inspect import attribution as A
    from studio.inspect.images import overlay, to_rgb
    ctx = open_context(inp)
    m, x, k = ctx.compiled.module, ctx.x, None if target < 0 else target
    if method == "Grad-CAM":
        if not layer:
            raise InspectError("Grad-CAM needs a convolutional layer (a node whose output is "
                               "N×C×H×W), and this network has none: try Saliency")
        heat, k = A.grad_cam(m, ctx.layer(layer), x, k)
    elif method == "CAM":
        heat, k = A.class_activation_map(m, x, k)
    elif method == "Saliency":
        heat, k = A.saliency(m, x, k)
    elif method == "Integrated gradients":
        heat, k = A.integrated_gradients(m, x, k)
    else:
        raise InspectError(f"unknown method {method!r}")
    pred, conf = _predicted(ctx, x)
    rgb = to_rgb(x)
    return LabResult("attribution", [
        Picture(rgb, f"input\npredicted {ctx.name(pred)} ({conf:.2f})"),
        Picture(overlay(rgb, heat, alpha), f"{method}\nexplains class {ctx.name(k)}")],
        f"{method} for class {ctx.name(k)}", predictions=[(pred, conf)])


def maximize(inp: LabInput, layer: str = "", index: int = 0, steps: int = 200,
             lr: float = 0.05, jitter: int = 2, blur_every: int = 4, l2: float = 1e-3,
             tv: float = 0.005, start: str = "gray", progress=None) -> LabResult:
    """The input that class ``index`` (or channel ``index`` of ``layer``) likes most."""
    from studio.inspect.images import to_rgb
    from studio.inspect.maximize import Regularizers, maximize as run, start_image
    ctx = open_context(inp)
    first = ctx.x if start == "image" else start_image(ctx.x, start)
    name = ctx.layer(layer) if layer else None
    reg = Regularizers(jitter=jitter, blur_every=blur_every, l2=l2, tv=tv)
    r = run(ctx.compiled.module, first, index, name, steps, lr, reg, progress=progress)
    what = f"channel {index} of {layer}" if name else f"class {ctx.name(index)}"
    tail = " (cancelled)" if r.cancelled else ""
    return LabResult("maximize", [
        Picture(to_rgb(first), "start"),
        Picture(to_rgb(r.image), f"{what}{tail}\n{r.start_value:.2f} → {r.final_value:.2f}")],
        f"maximized {what}: {r.start_value:.3f} → {r.final_value:.3f}{tail}", r.cancelled)


def attack(inp: LabInput, mode: str = "PGD", epsilon: float = 0.05, steps: int = 30,
           norm: str = "Linf", target: int = 0, progress=None) -> LabResult:
    """FGSM / PGD away from the prediction, or the smallest PGD perturbation to class k."""
    from studio.inspect import adversarial as A
    from studio.inspect.images import signed_rgb, to_rgb
    ctx = open_context(inp)
    m, x = ctx.compiled.module, ctx.x
    if mode == "Targeted":
        r = A.smallest_targeted(m, x, target, norm, steps=steps, progress=progress)
    elif mode == "FGSM":
        r = A.fgsm(m, x, epsilon)
    elif mode == "PGD":
        r = A.pgd(m, x, epsilon, steps, norm=norm)
    else:
        raise InspectError(f"unknown attack {mode!r}")
    amp = 0.5 / max(r.linf, 1e-12)
    verdict = "cancelled" if r.cancelled else "succeeded" if r.success else "failed"
    return LabResult("attack", [
        Picture(to_rgb(r.original), f"original\n{ctx.name(r.original_class)} "
                                    f"({r.original_confidence:.2f})"),
        Picture(signed_rgb(r.perturbation), f"perturbation ×{amp:.0f}\nLinf {r.linf:.3f} "
                                            f"L2 {r.l2:.3f}"),
        Picture(to_rgb(r.adversarial), f"result\n{ctx.name(r.adversarial_class)} "
                                       f"({r.adversarial_confidence:.2f})")],
        f"{mode} attack {verdict}: {ctx.name(r.original_class)} → "
        f"{ctx.name(r.adversarial_class)}", r.cancelled,
        predictions=[(r.original_class, r.original_confidence),
                     (r.adversarial_class, r.adversarial_confidence)])


def invert(inp: LabInput, layer: str = "", steps: int = 300, tv: float = 0.02,
           progress=None) -> LabResult:
    """Reconstruct the input from ``layer``'s features."""
    from studio.inspect.images import to_rgb
    from studio.inspect.inversion import invert as run
    ctx = open_context(inp)
    r = run(ctx.compiled.module, ctx.layer(layer), ctx.x, steps, tv=tv, progress=progress)
    tail = " (cancelled)" if r.cancelled else ""
    return LabResult("invert", [
        Picture(to_rgb(ctx.x), "input"),
        Picture(to_rgb(r.image), f"from {layer}{tail}\nfeature loss {r.final_value:.3f}")],
        f"inverted {layer}: feature loss {r.start_value:.3f} → {r.final_value:.3f}{tail}",
        r.cancelled)


def bundled(name: str) -> str:
    from importlib import resources
    return str(resources.files("studio.resources") / name)


def style(inp: LabInput, content: str = "", style_image: str = "", steps: int = 150,
          network: str = "", progress=None) -> LabResult:
    """Gatys style transfer on the network's conv layers, or on a cached pretrained VGG's
    (``network`` = "vgg19", ...); bundled images by default."""
    from studio.inspect.images import load_image, to_rgb
    from studio.inspect.load import image_spec
    from studio.inspect.style import cached_vgg, default_layers, style_transfer
    if network:
        m, style_layers, content_layer = cached_vgg(network)
        channels = 3
    else:
        ctx = open_context(inp, image=False)
        m = ctx.compiled.module
        channels = image_spec(ctx.compiled)[0]
    c = load_image(content or bundled("sample_content.png"), channels)
    s = load_image(style_image or bundled("sample_style.png"), channels)
    if not network:
        style_layers, content_layer = default_layers(m, c)
    r = style_transfer(m, c, s, style_layers, content_layer, steps, progress=progress)
    tail = " (cancelled)" if r.cancelled else ""
    return LabResult("style", [
        Picture(to_rgb(c), "content"), Picture(to_rgb(s), "style"),
        Picture(to_rgb(r.image), f"result{tail}\nstyle loss {r.start_value:.3g} → "
                                 f"{r.final_value:.3g}")],
        f"style transfer on {network or 'this network'} ({', '.join(style_layers)} / "
        f"{content_layer}){tail}", r.cancelled)


def interpolate(inp: LabInput, source: int = 0, target: int = 1, alpha: float = 1.0,
                steps: int = 200, tv: float = 0.05, progress=None) -> LabResult:
    """Deep feature interpolation (Upchurch 2017): the input moved from class ``source``'s mean
    features towards class ``target``'s, on the last two feature maps, then reconstructed."""
    from studio.inspect.images import to_rgb
    from studio.inspect.load import dataset_samples
    from studio.inspect.style import default_layers, feature_interpolation
    ctx = open_context(inp)
    data = dataset_samples(ctx.doc, 400)
    if data.labels is None or data.labels.dim() != 1:
        raise InspectError("feature interpolation needs a dataset with one label per sample")
    sets = [data.inputs[data.labels == k].float()[:64] for k in (source, target)]
    for k, samples in zip((source, target), sets):
        if len(samples) == 0:
            raise InspectError(f"no samples of class {ctx.name(k)} in the first "
                               f"{len(data.inputs)} of the dataset")
    m = ctx.compiled.module
    layers = default_layers(m, ctx.x)[0][-2:]  # deep features carry attributes (the paper)
    r = feature_interpolation(m, ctx.x, sets[0], sets[1], layers, alpha, steps, tv=tv,
                              progress=progress)
    before, after = _predicted(ctx, ctx.x), _predicted(ctx, r.image)
    tail = " (cancelled)" if r.cancelled else ""
    move = f"{ctx.name(source)} → {ctx.name(target)}"
    return LabResult("interpolate", [
        Picture(to_rgb(ctx.x), f"original\n{ctx.name(before[0])} ({before[1]:.2f})"),
        Picture(to_rgb(r.image), f"towards {ctx.name(target)}{tail}\n"
                                 f"{ctx.name(after[0])} ({after[1]:.2f})")],
        f"feature interpolation {move} ×{alpha:g} on {', '.join(layers)}: feature distance "
        f"{r.start_value:.3g} → {r.final_value:.3g}{tail}", r.cancelled,
        predictions=[before, after])


def tsne(inp: LabInput, layer: str = "", count: int = 300, perplexity: float = 30.0,
         progress=None) -> LabResult:
    """t-SNE of ``layer``'s outputs over ``count`` validation samples."""
    from studio.inspect.embeddings import layer_outputs, tsne as run
    from studio.inspect.load import dataset_samples
    ctx = open_context(inp, image=False)
    data = dataset_samples(ctx.doc, count)
    name = ctx.layer(layer)
    inputs = data.inputs.float() if data.inputs.is_floating_point() else data.inputs
    share = (lambda f: progress(0.5 * f)) if progress else None  # noqa: E731
    feats = layer_outputs(ctx.compiled.module, name, inputs, progress=share)
    if progress is not None and progress(0.5) is False:
        return LabResult("tsne", summary="t-SNE cancelled", cancelled=True)
    points = run(feats, perplexity)
    labels = (data.labels.numpy().astype(int) if data.labels is not None
              and data.labels.dim() == 1 else None)
    return LabResult("tsne", summary=f"t-SNE of {layer} over {len(points)} samples",
                     points=points, labels=labels, names=data.classes,
                     samples=_thumbnails(inputs))


def _thumbnails(inputs) -> np.ndarray | None:
    """Image samples (N×C×H×W, C = 1 or 3) as RGB for the hover preview; None otherwise
    (token sequences, tables: the hover names them without a picture)."""
    from studio.inspect.images import to_rgb
    if inputs.dim() != 4 or inputs.shape[1] not in (1, 3) or not inputs.is_floating_point():
        return None
    return np.stack([to_rgb(x) for x in inputs])


def words(inp: LabInput, word: str = "", analogy: str = "", count: int = 8,
          progress=None) -> LabResult:
    """Nearest words of ``word`` and the analogy ``A:B:C`` in the first Embedding's vectors."""
    import torch

    from studio.inspect import embeddings as E
    from studio.inspect.load import dataset_info
    word, analogy = word.strip(), analogy.strip()
    if not word and not analogy:
        raise InspectError("type a word, or an analogy A:B:C")
    ctx = open_context(inp, image=False)
    layer, weight = E.embedding_weight(ctx.compiled.module)
    vocab = dataset_info(ctx.doc).get("vocab")
    if not vocab:
        raise InspectError("the document's dataset has no vocabulary")
    if len(vocab) != len(weight):
        raise InspectError(f"the vocabulary has {len(vocab)} words but {layer!r} has "
                           f"{len(weight)} rows")
    lines, shown = [], []
    if word:
        found = E.nearest_words(weight, vocab, word, count)
        lines.append(f"{word}: " + ", ".join(f"{w} ({s:.2f})" for w, s in found))
        shown = [word, *(w for w, _ in found)]
    if analogy:
        parts = [p.strip() for p in analogy.split(":")]
        if len(parts) != 3 or not all(parts):
            raise InspectError(f"an analogy is A:B:C (A is to B as C is to ?), got {analogy!r}")
        found = E.analogy(weight, vocab, *parts, k=count)
        lines.append(f"{parts[0]} : {parts[1]} :: {parts[2]} : " +
                     ", ".join(f"{w} ({s:.2f})" for w, s in found))
        shown = shown or [*parts, *(w for w, _ in found)]
    shown = list(dict.fromkeys(shown))
    vectors = weight[torch.tensor([vocab.index(w) for w in shown])].float().numpy()
    picture = E.labelled_scatter(E.project_2d(vectors), shown, size=320)
    return LabResult("words", [Picture(picture, "word vectors (PCA)")],
                     f"{len(shown)} word vectors of {layer}", lines=lines)


def word_attribution(inp: LabInput, text: str = "", target: int = -1,
                     progress=None) -> LabResult:
    """Which words drove a text classifier's prediction (integrated gradients on the
    Embedding) for ``text`` or, when empty, the chosen dataset sample, as a strip of words."""
    from studio.inspect import word_attribution as W
    from studio.inspect.load import dataset_info
    ctx = open_context(inp, image=False)
    vocab = dataset_info(ctx.doc).get("vocab")
    if not vocab:
        raise InspectError("the document's dataset has no vocabulary")
    words, scores, k, probs = W.explain(ctx.compiled, ctx.doc, vocab, text, inp.sample,
                                        None if target < 0 else target)
    pred = int(probs.argmax())
    order = np.argsort(-np.abs(scores))[:3]
    return LabResult("word_attribution", [Picture(
        W.strip_picture(words, scores), f"words for class {ctx.name(k)}: green towards, "
        "red against")], f"predicted {ctx.name(pred)} ({float(probs[pred]):.2f}); explained "
        f"class {ctx.name(k)}", lines=["strongest: " + ", ".join(
            f"{words[i]} ({scores[i]:+.2f})" for i in order)],
        predictions=[(pred, float(probs[pred]))])


TOOLS = {"attribution": attribution, "maximize": maximize, "attack": attack, "invert": invert,
         "style": style, "interpolate": interpolate, "tsne": tsne, "words": words,
         "word_attribution": word_attribution}


def generate_class(inp: LabInput, label: int = 0, count: int = 8, seed: int = 0,
                   progress=None) -> LabResult:
    """``count`` pictures of class ``label`` (-1: every class, one row each) from a conditional
    generator (the document's ``generator`` network, else the one on view)."""
    import dataclasses

    from studio.inspect.generate import class_count, conditional_samples, picture_grid
    network = "generator" if "generator" in inp.doc.networks else inp.network
    ctx = open_context(dataclasses.replace(inp, network=network), image=False)
    known = class_count(ctx.doc, network, ctx.compiled)
    if not -1 <= label < known:
        raise InspectError(f"class {label} is out of range: the generator knows classes "
                           f"0..{known - 1} (-1: all of them)")
    if count < 1:
        raise InspectError(f"count must be at least 1, got {count}")
    classes = list(range(known)) if label < 0 else [label]
    images = conditional_samples(ctx.compiled, classes, count, seed)
    what = "every class, one row each" if label < 0 else f"class {ctx.name(label)}"
    return LabResult("generate", [Picture(picture_grid(images, count),
                                          f"{what}\n{count} per class, seed {seed}")],
                     f"generated {len(images)} pictures of {what} (seed {seed})",
                     lines=[f"rows: {', '.join(ctx.name(k) for k in classes)}"] if label < 0
                     else [])


TOOLS["generate"] = generate_class  # a conditional GAN asked for a chosen class
