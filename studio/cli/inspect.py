"""``netstudio inspect {cam,maximize,attack,invert,style,tsne,neighbours}``: the Lab, headless.

Each sub-command compiles the document's network, loads ``--weights`` (a ``.safetensors`` file
or a training run folder), takes an image from ``--image FILE`` or ``--sample N`` of the
document's validation split, runs one function of :mod:`studio.inspect` and writes a PNG
(``-o``, default ``<command>.png``). Bad input is one line naming the node, file or value.
"""
from __future__ import annotations

import functools
import sys

from studio.cli.common import add_document_args, load_configured
from studio.cli.errors import UserError


def _common(p, image: bool = True) -> None:
    add_document_args(p)
    p.add_argument("--weights", metavar="FILE|RUN",
                   help="trained weights: a .safetensors file or a run folder (best checkpoint)")
    if image:
        p.add_argument("--image", metavar="FILE", help="input image (PNG, JPEG, ...)")
        p.add_argument("--sample", type=int, default=0,
                       help="use this sample of the document's validation split (default 0)")
        p.add_argument("--resize", action="store_true",
                       help="scale --image to the network's input size instead of refusing")
    p.add_argument("-o", "--output", metavar="PNG", help="picture to write")
    p.add_argument("--seed", type=int, default=0)


def add_parsers(sub) -> None:
    top = sub.add_parser("inspect", help="look inside a network: CAM, maximization, attacks, "
                         "inversion, style, t-SNE, word neighbours (writes PNGs)")
    cmds = top.add_subparsers(dest="inspect_command", metavar="WHAT", required=True)

    p = cmds.add_parser("cam", help="where the network looks: CAM, Grad-CAM, saliency, IG")
    _common(p)
    p.add_argument("--method", choices=("cam", "gradcam", "saliency", "ig"), default="gradcam")
    p.add_argument("--layer", help="conv node for Grad-CAM (default: the last feature map)")
    p.add_argument("--target", type=int, help="class to explain (default: the predicted one)")
    p.add_argument("--alpha", type=float, default=0.5, help="heat map opacity 0..1")
    p.set_defaults(run=_guarded(run_cam))

    p = cmds.add_parser("maximize", help="the input a class or a channel likes most")
    _common(p)
    p.add_argument("--target", type=int, default=0, help="class, or channel with --layer")
    p.add_argument("--layer", help="maximize channel --target of this node instead of a class")
    p.add_argument("--start", choices=("gray", "noise", "image"), default="gray")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--jitter", type=int, default=2)
    p.add_argument("--blur-every", type=int, default=4)
    p.add_argument("--l2", type=float, default=1e-3)
    p.add_argument("--tv", type=float, default=0.005)
    p.set_defaults(run=_guarded(run_maximize))

    p = cmds.add_parser("attack", help="adversarial perturbation (FGSM, PGD, targeted)")
    _common(p)
    p.add_argument("--target", type=int,
                   help="make it say this class, with the smallest perturbation found")
    p.add_argument("--method", choices=("fgsm", "pgd"), default="pgd",
                   help="untargeted attack (without --target)")
    p.add_argument("--epsilon", type=float, default=0.05, help="budget of untargeted attacks")
    p.add_argument("--norm", choices=("Linf", "L2"), default="Linf")
    p.add_argument("--steps", type=int, default=30, help="PGD steps")
    p.set_defaults(run=_guarded(run_attack))

    p = cmds.add_parser("invert", help="reconstruct the input from a layer's features")
    _common(p)
    p.add_argument("--layer", required=True, help="node whose features are matched")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--tv", type=float, default=0.02)
    p.set_defaults(run=_guarded(run_invert))

    p = cmds.add_parser("style", help="style transfer (Gatys) or deep feature interpolation")
    _common(p)
    p.add_argument("--content", metavar="FILE", help="content image (default: bundled sample)")
    p.add_argument("--style", metavar="FILE", help="style image (default: bundled sample)")
    p.add_argument("--vgg", choices=("vgg11", "vgg16", "vgg19"),
                   help="use torchvision's ImageNet VGG when its weights are in the local cache")
    p.add_argument("--style-layers", help="comma-separated nodes (default: spread over depth)")
    p.add_argument("--content-layer", help="node (default: one past half way)")
    p.add_argument("--interpolate", metavar="FROM:TO",
                   help="deep feature interpolation of --image/--sample from class FROM "
                        "towards class TO (dataset samples) instead of style transfer")
    p.add_argument("--alpha", type=float, default=1.0, help="interpolation strength")
    p.add_argument("--steps", type=int, default=200)
    p.set_defaults(run=_guarded(run_style))

    p = cmds.add_parser("tsne", help="t-SNE of a node's output over the validation split")
    _common(p, image=False)
    p.add_argument("--layer", help="node (default: the one feeding the last layer)")
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--split", choices=("val", "test", "train"), default="val")
    p.add_argument("--perplexity", type=float, default=30.0)
    p.set_defaults(run=_guarded(run_tsne))

    p = cmds.add_parser("neighbours", help="word2vec: nearest words and analogies")
    _common(p, image=False)
    p.add_argument("--word", action="append", default=[], help="word to look up (repeatable)")
    p.add_argument("--analogy", action="append", default=[], metavar="A:B:C",
                   help="A is to B as C is to ? (repeatable)")
    p.add_argument("--layer", help="Embedding node (default: the first)")
    p.add_argument("--count", type=int, default=8)
    p.set_defaults(run=_guarded(run_neighbours))


def _guarded(fn):
    """Engine errors a user can fix become the CLI's one-line UserError."""
    @functools.wraps(fn)
    def run(args):
        from studio.inspect.errors import InspectError
        try:
            import torch
            torch.manual_seed(args.seed)
            return fn(args)
        except InspectError as e:
            raise UserError(f"inspect {args.inspect_command}: {e}") from None
    return run


def _setup(args, image: bool = True):
    from studio.inspect.load import open_network, pick_image
    doc, _, _ = load_configured(args)
    compiled = open_network(doc, args.network, args.weights)
    if not args.weights:
        print("note: no --weights given: the network has its initial random weights",
              file=sys.stderr)
    if not image:
        return doc, compiled, None, None
    x, label = pick_image(compiled, doc, args.image, args.sample, args.resize)
    return doc, compiled, x, label


def _layer(compiled, node):
    from studio.inspect.network import layer_name, resolve_layer
    name = layer_name(compiled, node)
    resolve_layer(compiled.module, name)  # unknown node -> error listing the nodes
    return name


def _write(args, rgb, what: str) -> None:
    from studio.inspect.images import save_png
    path = save_png(rgb, args.output or f"{args.inspect_command}.png")
    print(f"{what} -> {path}")


def _name(classes, k) -> str:
    return f"{k} {classes[k]}" if classes and 0 <= k < len(classes) else str(k)


def _classes(doc):
    try:
        from studio.inspect.load import dataset_info
        return dataset_info(doc).get("classes")
    except Exception:  # names are a nicety; a missing dataset must not stop the picture
        return None


def run_cam(args) -> int:
    from studio.inspect import attribution as A
    from studio.inspect.images import enlarge, overlay, panel, to_rgb
    from studio.inspect.network import predict
    from studio.inspect.style import spatial_layers
    doc, compiled, x, _ = _setup(args)
    m = compiled.module
    if args.method == "cam":
        heat, k = A.class_activation_map(m, x, args.target)
    elif args.method == "gradcam":
        layer = _layer(compiled, args.layer) if args.layer else (spatial_layers(m, x) or [""])[-1]
        heat, k = A.grad_cam(m, layer, x, args.target)
    elif args.method == "saliency":
        heat, k = A.saliency(m, x, args.target)
    else:
        heat, k = A.integrated_gradients(m, x, args.target)
    (pred,), (conf,) = predict(m, x)
    classes = _classes(doc)
    rgb = enlarge(to_rgb(x))
    _write(args, panel([(rgb, f"input\npredicted {_name(classes, pred)} ({conf:.2f})"),
                        (overlay(rgb, heat, args.alpha),
                         f"{args.method}\nclass {_name(classes, k)}")]),
           f"{args.method} for class {_name(classes, k)}")
    return 0


def _progress_printer(label: str):
    tty = sys.stderr.isatty()

    def progress(fraction: float) -> bool:
        if tty:
            print(f"\r{label} {fraction * 100:3.0f}%", end="", file=sys.stderr, flush=True)
            if fraction >= 1:
                print(file=sys.stderr)
        return True
    return progress


def run_maximize(args) -> int:
    from studio.inspect.images import panel, to_rgb
    from studio.inspect.maximize import Regularizers, maximize, start_image
    doc, compiled, x, _ = _setup(args)
    start = x if args.start == "image" else start_image(x, args.start, args.seed)
    layer = _layer(compiled, args.layer) if args.layer else None
    reg = Regularizers(jitter=args.jitter, blur_every=args.blur_every, l2=args.l2, tv=args.tv)
    result = maximize(compiled.module, start, args.target, layer, args.steps, args.lr, reg,
                      progress=_progress_printer("maximize"))
    what = f"channel {args.target} of {args.layer}" if layer else \
        f"class {_name(_classes(doc), args.target)}"
    caption = f"{what}\n{result.start_value:.2f} -> {result.final_value:.2f}"
    _write(args, panel([(to_rgb(start), "start"), (to_rgb(result.image), caption)]),
           f"maximized {what}: {result.start_value:.3f} -> {result.final_value:.3f}")
    return 0


def run_attack(args) -> int:
    from studio.inspect import adversarial as A
    from studio.inspect.images import panel, signed_rgb, to_rgb
    doc, compiled, x, label = _setup(args)
    m = compiled.module
    if args.target is not None:
        r = A.smallest_targeted(m, x, args.target, args.norm, steps=args.steps,
                                progress=_progress_printer("attack"))
    elif args.method == "fgsm":
        r = A.fgsm(m, x, args.epsilon, label)
    else:
        r = A.pgd(m, x, args.epsilon, args.steps, label=label, norm=args.norm)
    classes = _classes(doc)
    amp = 0.5 / max(r.linf, 1e-12)
    items = [(to_rgb(r.original), f"original\n{_name(classes, r.original_class)} "
                                  f"({r.original_confidence:.2f})"),
             (signed_rgb(r.perturbation), f"perturbation x{amp:.0f}\nLinf {r.linf:.3f} "
                                          f"L2 {r.l2:.3f}"),
             (to_rgb(r.adversarial), f"result\n{_name(classes, r.adversarial_class)} "
                                     f"({r.adversarial_confidence:.2f})")]
    verdict = "succeeded" if r.success else "failed"
    _write(args, panel(items), f"attack {verdict}: {_name(classes, r.original_class)} -> "
           f"{_name(classes, r.adversarial_class)} ({r.adversarial_confidence:.2f}) with "
           f"Linf {r.linf:.4f}, L2 {r.l2:.4f}")
    return 0


def run_invert(args) -> int:
    from studio.inspect.images import panel, to_rgb
    from studio.inspect.inversion import invert
    _, compiled, x, _ = _setup(args)
    layer = _layer(compiled, args.layer)
    r = invert(compiled.module, layer, x, args.steps, tv=args.tv, seed=args.seed,
               progress=_progress_printer("invert"))
    _write(args, panel([(to_rgb(x), "input"),
                        (to_rgb(r.image), f"from {args.layer}\nfeature loss {r.final_value:.3f}")]),
           f"inverted {args.layer}: relative feature loss {r.start_value:.3f} -> "
           f"{r.final_value:.3f}")
    return 0


def run_style(args) -> int:
    from studio.cli.inspect_features import run_style as run
    return run(args, _setup, _layer, _write, _progress_printer)


def run_tsne(args) -> int:
    from studio.inspect.embeddings import layer_outputs, scatter_image, tsne
    from studio.inspect.load import dataset_samples
    doc, compiled, _, _ = _setup(args, image=False)
    data = dataset_samples(doc, args.count, args.split)
    if len(data.inputs) < args.count:
        print(f"note: the dataset's {args.split} split has {len(data.inputs)} samples",
              file=sys.stderr)
    layer = _layer(compiled, args.layer) if args.layer else _penultimate(compiled)
    feats = layer_outputs(compiled.module, layer, data.inputs.float() if
                          data.inputs.is_floating_point() else data.inputs)
    points = tsne(feats, args.perplexity, args.seed)
    labels = data.labels.numpy() if data.labels is not None and data.labels.dim() == 1 else None
    _write(args, scatter_image(points, labels, data.classes),
           f"t-SNE of {layer} over {len(points)} samples")
    return 0


def _penultimate(compiled) -> str:
    """The module feeding the last one: the features a classifier separates."""
    names = [n for n, _ in compiled.module.named_children()]
    if not names:
        from studio.inspect.errors import InspectError
        raise InspectError("the network has no layers")
    return names[-2] if len(names) > 1 else names[-1]


def run_neighbours(args) -> int:
    from studio.cli.inspect_features import run_neighbours as run
    return run(args, _setup, _layer, _write)
