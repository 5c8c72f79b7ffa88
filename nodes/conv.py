"""Convolutions: Conv1d/2d and their transposes (fractionally strided convolutions).

in_channels is read from the incoming tensor, so the user only chooses out_channels and the
kernel geometry. Params of kind ``ints`` take one int for every spatial dimension or one per
dimension (``[3, 5]``); a 1×1 convolution is just ``kernel_size = 1``.
"""
from torch import nn

from nodes.base import NodeType, Param, ctor, pair_or_int, register

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _geometry(dims: int, transposed: bool) -> tuple[Param, ...]:
    """The params shared by every convolution of ``dims`` spatial dimensions."""
    params = [
        Param("out_channels", "int", 16, "number of filters (output channels)", min=1),
        Param("kernel_size", "ints", 3, "size of the convolving kernel", min=1, length=dims),
        Param("stride", "ints", 1, "step of the kernel; > 1 downsamples"
              + (" (transposed: upsamples)" if transposed else ""), min=1, length=dims),
        Param("padding", "ints", 0, "zeros added to both sides of every spatial dimension"
              + (" (transposed: removed from the output)" if transposed else ""),
              min=0, length=dims),
    ]
    if transposed:
        params.append(Param("output_padding", "ints", 0,
                            "extra size added to one side of the output; must be < stride",
                            min=0, length=dims))
    else:
        params.append(Param("padding_mode", "choice", "zeros", "how padded values are filled",
                            choices=PADDING_MODES))
    params += [
        Param("dilation", "ints", 1, "spacing between kernel elements (atrous convolution)",
              min=1, length=dims),
        Param("groups", "int", 1, "blocked connections; must divide in and out channels "
              "(groups = in_channels is a depthwise convolution)", min=1),
        Param("bias", "bool", True, "learn an additive bias per output channel"),
    ]
    return tuple(params)


def _conv_kwargs(c, transposed: bool) -> dict:
    kwargs = {name: pair_or_int(c[name]) for name in ("kernel_size", "stride", "padding")}
    if transposed:
        kwargs["output_padding"] = pair_or_int(c["output_padding"])
    else:
        kwargs["padding_mode"] = c["padding_mode"]
    kwargs.update(dilation=pair_or_int(c["dilation"]), groups=c["groups"], bias=c["bias"])
    return kwargs


def _conv(cls, dims: int, transposed: bool, doc: str, shape_doc: str, cases) -> NodeType:
    name = cls.__name__
    return NodeType(
        id=f"conv.{name}", title=name, category="Convolution", doc=doc,
        params=_geometry(dims, transposed),
        build=lambda c: ctor(cls, c.in_channels, c["out_channels"], **_conv_kwargs(c, transposed)),
        summary=("out_channels", "kernel_size", "stride"), shape_doc=shape_doc, test_cases=cases,
    )


register(
    _conv(nn.Conv1d, 1, False,
          "1-D convolution over a sequence of channel vectors (N, C, L).",
          "(N, C, L) -> (N, out_channels, L')",
          (({"out_channels": 6, "kernel_size": 3}, [(2, 4, 20)]),
           ({"out_channels": 8, "kernel_size": 5, "stride": 2, "padding": 2, "dilation": 1,
             "groups": 2, "padding_mode": "reflect"}, [(2, 4, 17)]),
           ({"out_channels": 3, "kernel_size": 1, "bias": False}, [(2, 5, 7)]))),
    _conv(nn.Conv2d, 2, False,
          "2-D convolution over an image (N, C, H, W); kernel_size 1 is a 1×1 convolution.",
          "(N, C, H, W) -> (N, out_channels, H', W')",
          (({"out_channels": 6, "kernel_size": 5}, [(2, 1, 28, 28)]),
           ({"out_channels": 8, "kernel_size": [3, 5], "stride": [2, 1], "padding": [1, 2],
             "dilation": 2, "padding_mode": "circular"}, [(2, 3, 16, 15)]),
           ({"out_channels": 4, "kernel_size": 3, "padding": 1, "groups": 4}, [(2, 4, 9, 9)]),
           ({"out_channels": 10, "kernel_size": 1, "bias": False}, [(2, 3, 5, 5)]))),
    _conv(nn.ConvTranspose1d, 1, True,
          "Transposed 1-D convolution (fractional stride): upsamples a sequence.",
          "(N, C, L) -> (N, out_channels, (L-1)·stride - 2·padding + dilation·(k-1) "
          "+ output_padding + 1)",
          (({"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}, [(2, 8, 10)]),
           ({"out_channels": 6, "kernel_size": 3, "stride": 3, "output_padding": 2,
             "groups": 2, "bias": False}, [(2, 4, 5)]))),
    _conv(nn.ConvTranspose2d, 2, True,
          "Transposed 2-D convolution (fractional stride): upsamples an image, as in decoders.",
          "(N, C, H, W) -> (N, out_channels, (H-1)·stride - 2·padding + dilation·(k-1) "
          "+ output_padding + 1, …)",
          (({"out_channels": 16, "kernel_size": 4, "stride": 2, "padding": 1}, [(2, 32, 7, 7)]),
           ({"out_channels": 3, "kernel_size": [3, 2], "stride": 2, "output_padding": [1, 0],
             "dilation": 1}, [(2, 5, 4, 6)]),
           ({"out_channels": 2, "kernel_size": 3, "dilation": 2}, [(2, 3, 5, 5)]))),
)
