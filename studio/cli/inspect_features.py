"""The feature-space commands of ``netstudio inspect``: ``style`` (Gatys style transfer or deep
feature interpolation) and ``neighbours`` (word vectors). Split from :mod:`studio.cli.inspect`
to keep both files small; the helpers come from there."""
from __future__ import annotations

from importlib import resources

import torch


def _bundled(name: str) -> str:
    return str(resources.files("studio.resources") / name)


def _split_layers(text, compiled, layer):
    return [layer(compiled, part.strip()) for part in text.split(",") if part.strip()]


def run_style(args, setup, layer, write, progress_printer) -> int:
    from studio.inspect.images import load_image, panel, to_rgb
    from studio.inspect.style import cached_vgg, default_layers, style_transfer
    if args.interpolate:
        return _interpolate(args, setup, layer, write, progress_printer)
    if args.vgg:
        model, style_layers, content_layer = cached_vgg(args.vgg)
        channels = 3
        pick = lambda node: node  # noqa: E731  (VGG layers are module paths already)
    else:
        from studio.inspect.load import image_spec
        _, compiled, _, _ = setup(args, image=False)
        model, channels = compiled.module, image_spec(compiled)[0]
        pick = lambda node: layer(compiled, node)  # noqa: E731
        style_layers = content_layer = None
    content = load_image(args.content or _bundled("sample_content.png"), channels)
    style = load_image(args.style or _bundled("sample_style.png"), channels)
    if args.style_layers:
        style_layers = [pick(n.strip()) for n in args.style_layers.split(",") if n.strip()]
    if args.content_layer:
        content_layer = pick(args.content_layer)
    if style_layers is None or content_layer is None:
        found_style, found_content = default_layers(model, content)
        style_layers = style_layers or found_style
        content_layer = content_layer or found_content
    r = style_transfer(model, content, style, style_layers, content_layer, args.steps,
                       progress=progress_printer("style"))
    write(args, panel([(to_rgb(content), "content"), (to_rgb(style), "style"),
                       (to_rgb(r.image), f"result\nstyle loss {r.start_value:.3g} -> "
                                         f"{r.final_value:.3g}")], min_side=192),
          f"style transfer ({', '.join(style_layers)} / {content_layer}): style loss "
          f"{r.start_value:.3f} -> {r.final_value:.3f}")
    return 0


def _interpolate(args, setup, layer, write, progress_printer) -> int:
    from studio.inspect.errors import InspectError
    from studio.inspect.images import panel, to_rgb
    from studio.inspect.load import dataset_samples
    from studio.inspect.network import predict
    from studio.inspect.style import default_layers, feature_interpolation
    try:
        source, target = (int(v) for v in args.interpolate.split(":"))
    except ValueError:
        raise InspectError(f"--interpolate expects FROM:TO class numbers, got "
                           f"{args.interpolate!r}") from None
    doc, compiled, x, _ = setup(args)
    data = dataset_samples(doc, 400)
    if data.labels is None:
        raise InspectError("feature interpolation needs a labelled dataset")
    sets = [data.inputs[data.labels == k].float()[:64] for k in (source, target)]
    for k, s in zip((source, target), sets):
        if len(s) == 0:
            raise InspectError(f"no samples of class {k} in the first {len(data.inputs)}")
    m = compiled.module
    layers = (_split_layers(args.style_layers, compiled, layer) if args.style_layers
              else default_layers(m, x)[0][-2:])
    r = feature_interpolation(m, x, sets[0], sets[1], layers, args.alpha, args.steps,
                              progress=progress_printer("interpolate"))
    (c0,), (p0,) = predict(m, x)
    (c1,), (p1,) = predict(m, r.image)
    names = data.classes or []
    label = lambda c: f"{c} {names[c]}" if c < len(names) else str(c)  # noqa: E731
    write(args, panel([(to_rgb(x), f"input\n{label(c0)} ({p0:.2f})"),
                       (to_rgb(r.image), f"towards {label(target)}\n{label(c1)} ({p1:.2f})")]),
          f"feature interpolation {label(source)} -> {label(target)} (alpha {args.alpha}): "
          f"now {label(c1)} ({p1:.2f})")
    return 0


def run_neighbours(args, setup, layer, write) -> int:
    from studio.inspect.embeddings import (analogy, embedding_weight, labelled_scatter,
                                           nearest_words, project_2d)
    from studio.inspect.errors import InspectError
    from studio.inspect.load import dataset_info
    if not args.word and not args.analogy:
        raise InspectError("give --word WORD or --analogy A:B:C")
    doc, compiled, _, _ = setup(args, image=False)
    name, weight = embedding_weight(compiled.module, layer(compiled, args.layer)
                                    if args.layer else None)
    vocab = dataset_info(doc).get("vocab")
    if not vocab:
        raise InspectError("the document's dataset has no vocabulary")
    if len(vocab) != len(weight):
        raise InspectError(f"the vocabulary has {len(vocab)} words but {name!r} has "
                           f"{len(weight)} rows")
    shown = []
    for word in args.word:
        found = nearest_words(weight, vocab, word, args.count)
        print(f"{word}: " + ", ".join(f"{w} {s:.3f}" for w, s in found))
        shown.append([word, *(w for w, _ in found)])
    for text in args.analogy:
        parts = text.split(":")
        if len(parts) != 3:
            raise InspectError(f"--analogy expects A:B:C, got {text!r}")
        found = analogy(weight, vocab, *parts, k=args.count)
        print(f"{parts[0]} : {parts[1]} :: {parts[2]} : " +
              ", ".join(f"{w} {s:.3f}" for w, s in found))
        shown.append([*parts, *(w for w, _ in found)])
    words = list(dict.fromkeys(shown[0]))
    vectors = weight[torch.tensor([vocab.index(w) for w in words])].float().numpy()
    write(args, labelled_scatter(project_2d(vectors), words), f"{len(words)} word vectors")
    return 0
