"""Pooling and resampling: max/average (fixed and adaptive), global average, unpooling, Upsample.

Kernel params of kind ``ints`` take one int for every spatial dimension or one per dimension.
``stride`` is explicit (default 2 with kernel 2) rather than torch's "same as kernel_size", so
the inspector always shows the value actually used.
"""
from torch import nn

from nodes.base import NodeType, Param, Port, ctor, pair_or_int, register


class GlobalAvgPool(nn.Module):
    """Mean over every spatial position: (N, C, *spatial) -> (N, C), as before a classifier."""

    def forward(self, x):
        return x.flatten(2).mean(-1)


class MaxUnpool2d(nn.MaxUnpool2d):
    """nn.MaxUnpool2d taking the output size from an optional third input ``like``.

    Without ``like`` the size follows the pooling formula, which cannot recover an odd input
    size that a floor-rounding pool lost; wiring the pre-pool tensor to ``like`` fixes that."""

    def forward(self, x, indices, like=None):
        size = None if like is None else like.shape[-2:]
        return super().forward(x, indices, output_size=size)


def _window(dims: int, max_pool: bool) -> tuple[Param, ...]:
    params = [
        Param("kernel_size", "ints", 2, "size of the pooling window", min=1, length=dims),
        Param("stride", "ints", 2, "step of the window", min=1, length=dims),
        Param("padding", "ints", 0, "implicit padding on both sides (at most kernel_size / 2)",
              min=0, length=dims),
    ]
    if max_pool:
        params.append(Param("dilation", "ints", 1, "spacing between window elements",
                            min=1, length=dims))
    params.append(Param("ceil_mode", "bool", False, "round the output size up instead of down"))
    if not max_pool:
        params.append(Param("count_include_pad", "bool", True,
                            "count padded zeros in the average"))
    return tuple(params)


def _window_kwargs(c, max_pool: bool) -> dict:
    names = ("kernel_size", "stride", "padding", "dilation") if max_pool else (
        "kernel_size", "stride", "padding")
    kwargs = {n: pair_or_int(c[n]) for n in names}
    kwargs["ceil_mode"] = c["ceil_mode"]
    if not max_pool:
        kwargs["count_include_pad"] = c["count_include_pad"]
    return kwargs


def _pool(type_name, cls, dims, doc, cases, indices=False) -> NodeType:
    max_pool = "Max" in type_name
    extra = {"return_indices": True} if indices else {}
    return NodeType(
        id=f"pooling.{type_name}", title=type_name, category="Pooling", doc=doc,
        outputs=(Port("y"), Port("indices", "argmax positions, for MaxUnpool2d")) if indices
        else (Port("y"),),
        params=_window(dims, max_pool),
        build=lambda c: ctor(cls, **_window_kwargs(c, max_pool), **extra),
        summary=("kernel_size", "stride"),
        shape_doc="(N, C, H, W) -> y (N, C, H', W'), indices (N, C, H', W') int64" if indices
        else "(N, C, L) -> (N, C, L')" if dims == 1 else "(N, C, H, W) -> (N, C, H', W')",
        test_cases=cases,
    )


def _adaptive(type_name, cls, dims, doc, cases) -> NodeType:
    return NodeType(
        id=f"pooling.{type_name}", title=type_name, category="Pooling", doc=doc,
        params=(Param("output_size", "ints", 1, "spatial size of the output", min=1,
                      length=dims),),
        build=lambda c: ctor(cls, pair_or_int(c["output_size"])),
        summary=("output_size",),
        shape_doc="(N, C, L) -> (N, C, output_size)" if dims == 1
        else "(N, C, H, W) -> (N, C, *output_size)",
        test_cases=cases,
    )


def _global_avg_pool(c):
    if len(c.x.shape) < 3:  # a (N, C) input would silently average the channels away
        raise ValueError(f"input: expected (N, C, *spatial), received {c.x.label()}")
    return ctor(GlobalAvgPool)


def _upsample_kwargs(c) -> dict:
    kwargs = {"scale_factor": float(c["scale_factor"]), "mode": c["mode"]}
    if c["mode"] != "nearest":  # torch rejects align_corners for nearest
        kwargs["align_corners"] = c["align_corners"]
    return kwargs


register(
    _pool("MaxPool1d", nn.MaxPool1d, 1, "Maximum over sliding windows of a sequence.",
          (({}, [(2, 3, 10)]),
           ({"kernel_size": 3, "stride": 1, "padding": 1, "ceil_mode": True}, [(2, 4, 9)]))),
    _pool("MaxPool2d", nn.MaxPool2d, 2, "Maximum over sliding windows of an image.",
          (({}, [(2, 6, 24, 24)]),
           ({"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1}, [(2, 3, 11, 11)]),
           ({"kernel_size": [2, 3], "stride": [1, 2], "ceil_mode": True}, [(2, 1, 7, 8)]))),
    _pool("MaxPool2dWithIndices", nn.MaxPool2d, 2,
          "Max pooling that also outputs the argmax indices, for MaxUnpool2d.",
          (({}, [(2, 6, 24, 24)]), ({"kernel_size": 3, "stride": 3}, [(2, 2, 9, 10)])),
          indices=True),
    NodeType(
        id="pooling.MaxUnpool2d", title="MaxUnpool2d", category="Pooling",
        doc="Inverse of max pooling: puts values back at their indices, zeros elsewhere.",
        inputs=(Port("x"), Port("indices", "from MaxPool2dWithIndices"),
                Port("like", "a tensor with the output's spatial size (the pre-pool tensor)",
                     optional=True)),
        params=(Param("kernel_size", "ints", 2, "kernel_size of the matching pool", min=1,
                      length=2),
                Param("stride", "ints", 2, "stride of the matching pool", min=1, length=2),
                Param("padding", "ints", 0, "padding of the matching pool", min=0, length=2)),
        build=lambda c: ctor(MaxUnpool2d, pair_or_int(c["kernel_size"]),
                             stride=pair_or_int(c["stride"]), padding=pair_or_int(c["padding"])),
        summary=("kernel_size", "stride"),
        shape_doc="x (N, C, H, W), indices (N, C, H, W) int64[, like (N, C, H0, W0)] -> "
                  "(N, C, (H-1)·stride - 2·padding + kernel_size, …) or (N, C, H0, W0)",
        test_cases=(({}, [(2, 3, 4, 4), ((2, 3, 4, 4), "int64")]),
                    ({"kernel_size": 3, "stride": 3}, [(2, 1, 3, 3), ((2, 1, 3, 3), "int64"),
                                                       (2, 1, 10, 11)])),
    ),
    _pool("AvgPool1d", nn.AvgPool1d, 1, "Average over sliding windows of a sequence.",
          (({}, [(2, 3, 10)]),
           ({"kernel_size": 3, "stride": 1, "padding": 1, "count_include_pad": False},
            [(2, 4, 9)]))),
    _pool("AvgPool2d", nn.AvgPool2d, 2, "Average over sliding windows of an image (LeNet's "
          "subsampling).",
          (({}, [(2, 6, 28, 28)]),
           ({"kernel_size": [3, 2], "stride": 2, "padding": 1, "ceil_mode": True},
            [(2, 3, 9, 8)]))),
    _adaptive("AdaptiveAvgPool1d", nn.AdaptiveAvgPool1d, 1,
              "Average pooling to a fixed output length, whatever the input length.",
              (({"output_size": 4}, [(2, 3, 10)]), ({}, [(2, 5, 7)]))),
    _adaptive("AdaptiveAvgPool2d", nn.AdaptiveAvgPool2d, 2,
              "Average pooling to a fixed output size, whatever the input size.",
              (({"output_size": [6, 6]}, [(2, 8, 13, 13)]), ({}, [(2, 3, 5, 7)]))),
    _adaptive("AdaptiveMaxPool2d", nn.AdaptiveMaxPool2d, 2,
              "Max pooling to a fixed output size, whatever the input size.",
              (({"output_size": 3}, [(2, 8, 13, 13)]), ({"output_size": [1, 2]},
                                                        [(2, 3, 5, 7)]))),
    NodeType(
        id="pooling.GlobalAvgPool", title="GlobalAvgPool", category="Pooling",
        doc="Mean over all spatial positions, dropping them: (N, C, *spatial) -> (N, C).",
        build=_global_avg_pool, shape_doc="(N, C, *spatial) -> (N, C)",
        test_cases=(({}, [(2, 16, 7, 7)]), ({}, [(2, 4, 9)]), ({}, [(2, 3, 2, 4, 5)])),
    ),
    NodeType(
        id="pooling.Upsample", title="Upsample", category="Pooling",
        doc="Scales the spatial size by a factor with nearest or bilinear interpolation.",
        params=(Param("scale_factor", "float", 2.0, "multiplier for every spatial size", min=0),
                Param("mode", "choice", "nearest", "interpolation; bilinear needs (N, C, H, W)",
                      choices=("nearest", "bilinear")),
                Param("align_corners", "bool", False, "bilinear only: align corner pixels")),
        build=lambda c: ctor(nn.Upsample, **_upsample_kwargs(c)),
        summary=("scale_factor", "mode"),
        shape_doc="(N, C, *spatial) -> (N, C, *floor(spatial · scale_factor))",
        test_cases=(({}, [(2, 3, 4, 4)]), ({"mode": "bilinear", "scale_factor": 1.5},
                                           [(2, 2, 5, 6)]),
                    ({"scale_factor": 3}, [(2, 4, 5)])),
    ),
)
