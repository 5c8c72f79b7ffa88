"""Leaf modules -> catalogue node types, every constructor argument read back from the module.

``map_module(module)`` gives ``(type_id, params)`` or None when the module has no catalogue
equivalent (it then becomes a Module node, or the tracer walks into it). Each reader refuses a
module whose settings the node type cannot express (``padding="same"``, ``momentum=None``,
a LayerNorm without bias...) rather than changing what the network computes.
"""
from __future__ import annotations

from torch import nn

import nodes.activation as A
import nodes.generative as G
import nodes.merge as M
import nodes.norm as NO
import nodes.pooling as P
import nodes.recurrent as R
import nodes.reshape as RS
import nodes.som as SOM
import nodes.transformer as T


def uniform_value(tensor, otherwise: float = 1e-6) -> float:
    """The one value of a tensor whose entries all agree (a scale as initialized), else
    ``otherwise``: what a fresh copy of the layer would start from."""
    flat = tensor.detach().flatten()
    return float(flat[0]) if flat.numel() and bool((flat == flat[0]).all()) else otherwise


def ints(value):
    """An int-or-tuple torch setting as a param: one int when all entries agree."""
    if isinstance(value, (tuple, list)):
        values = [int(v) for v in value]
        return values[0] if len(set(values)) == 1 else values
    return int(value)


def _conv(m):
    if isinstance(m.padding, str):
        return None  # "same"/"valid" padding: the node takes explicit sizes
    params = {"out_channels": m.out_channels, "kernel_size": ints(m.kernel_size),
              "stride": ints(m.stride), "padding": ints(m.padding), "dilation": ints(m.dilation),
              "groups": m.groups, "bias": m.bias is not None}
    if m.transposed:
        params["output_padding"] = ints(m.output_padding)
    else:
        params["padding_mode"] = m.padding_mode
    return params


def _batch_norm(m):
    if m.momentum is None or not m.track_running_stats:
        return None
    return {"eps": float(m.eps), "momentum": float(m.momentum), "affine": m.affine}


def _layer_norm(m):
    if m.elementwise_affine and getattr(m, "bias", True) is None:
        return None  # bias=False: the node always learns a shift with its scale
    return {"dims": len(m.normalized_shape), "eps": float(m.eps),
            "elementwise_affine": m.elementwise_affine}


def _max_pool(m):
    return {"kernel_size": ints(m.kernel_size), "stride": ints(m.stride),
            "padding": ints(m.padding), "dilation": ints(m.dilation), "ceil_mode": m.ceil_mode}


def _avg_pool(m):
    if getattr(m, "divisor_override", None) is not None:
        return None
    return {"kernel_size": ints(m.kernel_size), "stride": ints(m.stride),
            "padding": ints(m.padding), "ceil_mode": m.ceil_mode,
            "count_include_pad": m.count_include_pad}


def _adaptive(m):
    size = m.output_size
    if size is None or (isinstance(size, (tuple, list)) and None in size):
        return None
    return {"output_size": ints(size)}


def _upsample(m):
    if m.size is not None or m.mode not in ("nearest", "bilinear") or m.recompute_scale_factor:
        return None
    scale = m.scale_factor
    if isinstance(scale, (tuple, list)):
        if len(set(scale)) != 1:
            return None
        scale = scale[0]
    return {"scale_factor": float(scale), "mode": m.mode, "align_corners": bool(m.align_corners)}


def _recurrent(m):
    rnn = m.rnn
    params = {"hidden_size": rnn.hidden_size, "num_layers": rnn.num_layers,
              "bidirectional": rnn.bidirectional, "dropout": float(rnn.dropout)}
    if m.cell == "RNN":
        params["nonlinearity"] = rnn.nonlinearity
    return params


def _torchvision_stochastic_depth(m):
    return {"p": float(m.p), "mode": m.mode}


# class -> (type id, reader); a reader returns params or None (not expressible)
_READERS = {
    nn.Conv1d: ("conv.Conv1d", _conv), nn.Conv2d: ("conv.Conv2d", _conv),
    nn.ConvTranspose1d: ("conv.ConvTranspose1d", _conv),
    nn.ConvTranspose2d: ("conv.ConvTranspose2d", _conv),
    nn.Linear: ("linear.Linear", lambda m: {"out_features": m.out_features,
                                            "bias": m.bias is not None}),
    nn.Identity: ("linear.Identity", lambda m: {}),
    nn.BatchNorm1d: ("norm.BatchNorm1d", _batch_norm),
    nn.BatchNorm2d: ("norm.BatchNorm2d", _batch_norm),
    nn.LayerNorm: ("norm.LayerNorm", _layer_norm),
    nn.GroupNorm: ("norm.GroupNorm", lambda m: {"num_groups": m.num_groups, "eps": float(m.eps),
                                                "affine": m.affine}),
    nn.LocalResponseNorm: ("norm.LocalResponseNorm", lambda m: {
        "size": m.size, "alpha": float(m.alpha), "beta": float(m.beta), "k": float(m.k)}),
    nn.Dropout: ("norm.Dropout", lambda m: {"p": float(m.p)}),
    nn.Dropout2d: ("norm.Dropout2d", lambda m: {"p": float(m.p)}),
    NO.StochasticDepth: ("norm.StochasticDepth", lambda m: {"p": float(m.p), "mode": m.mode}),
    A.Step: ("activation.Step", lambda m: {"threshold": float(m.threshold)}),
    nn.Sigmoid: ("activation.Sigmoid", lambda m: {}),
    nn.Tanh: ("activation.Tanh", lambda m: {}),
    nn.ReLU: ("activation.ReLU", lambda m: {}),
    nn.ReLU6: ("activation.ReLU6", lambda m: {}),
    nn.SiLU: ("activation.SiLU", lambda m: {}),
    nn.Hardswish: ("activation.Hardswish", lambda m: {}),
    nn.Hardsigmoid: ("activation.Hardsigmoid", lambda m: {}),
    nn.Mish: ("activation.Mish", lambda m: {}),
    nn.LeakyReLU: ("activation.LeakyReLU", lambda m: {"negative_slope": float(m.negative_slope)}),
    nn.ELU: ("activation.ELU", lambda m: {"alpha": float(m.alpha)}),
    nn.GELU: ("activation.GELU", lambda m: {"approximate": m.approximate}),
    nn.Softmax: ("activation.Softmax", lambda m: None if m.dim is None else {"dim": m.dim}),
    nn.LogSoftmax: ("activation.LogSoftmax", lambda m: None if m.dim is None else {"dim": m.dim}),
    nn.MaxPool1d: ("pooling.MaxPool1d", _max_pool),
    nn.MaxPool2d: ("pooling.MaxPool2d", _max_pool),
    nn.AvgPool1d: ("pooling.AvgPool1d", _avg_pool),
    nn.AvgPool2d: ("pooling.AvgPool2d", _avg_pool),
    nn.AdaptiveAvgPool1d: ("pooling.AdaptiveAvgPool1d", _adaptive),
    nn.AdaptiveAvgPool2d: ("pooling.AdaptiveAvgPool2d", _adaptive),
    nn.AdaptiveMaxPool2d: ("pooling.AdaptiveMaxPool2d",
                           lambda m: None if m.return_indices else _adaptive(m)),
    P.GlobalAvgPool: ("pooling.GlobalAvgPool", lambda m: {}),
    P.MaxUnpool2d: ("pooling.MaxUnpool2d", lambda m: {
        "kernel_size": ints(m.kernel_size), "stride": ints(m.stride), "padding": ints(m.padding)}),
    nn.Upsample: ("pooling.Upsample", _upsample),
    nn.Flatten: ("reshape.Flatten", lambda m: None if m.start_dim < 1 else {
        "start_dim": m.start_dim, "end_dim": m.end_dim}),
    RS.Reshape: ("reshape.Reshape", lambda m: {"shape": list(m.shape)}),
    RS.Permute: ("reshape.Permute", lambda m: {"dims": list(m.dims)}),
    M.Concat: ("merge.Concat", lambda m: {"dim": m.dim}),
    M.Add: ("merge.Add", lambda m: {}),
    M.Multiply: ("merge.Multiply", lambda m: {}),
    M.Split: ("merge.Split", lambda m: {"dim": m.dim, "first_size": m.sizes[0]}),
    G.GaussianNoise: ("generative.GaussianNoise", lambda m: {"std": float(m.std)}),
    G.Reparameterize: ("generative.Reparameterize", lambda m: {}),
    R.Recurrent: (None, _recurrent),  # the type follows the cell: recurrent.LSTM ...
    R.LastStep: ("recurrent.LastStep", lambda m: {}),
    R.RepeatSteps: ("recurrent.RepeatSteps", lambda m: {"steps": m.steps}),
}


def _attention(m):
    if not m.batch_first or not m._qkv_same_embed_dim or m.bias_k is not None or \
            m.add_zero_attn:
        return None
    return {"num_heads": m.num_heads, "dropout": float(m.dropout),
            "bias": m.in_proj_bias is not None}


_READERS.update({
    nn.MultiheadAttention: ("transformer.MultiheadAttention", _attention),
    T.MultiheadAttention: ("transformer.MultiheadAttention", _attention),
    T.ClassToken: ("transformer.ClassToken", lambda m: {}),
    T.PositionalEmbedding: ("transformer.PositionalEmbedding", lambda m: {}),
    T.LayerScale: ("transformer.LayerScale", lambda m: {
        "init": uniform_value(m.weight), "axis": "last" if m.weight.dim() == 1 else "channels"}),
    T.Select: ("transformer.Select", lambda m: {"dim": m.dim, "index": m.index}),
    SOM.SelfOrganizingMap: ("som.SelfOrganizingMap", lambda m: {
        "rows": m.rows, "cols": m.cols, "output": m.output}),
})


def _extra_readers():
    try:
        from torchvision.ops import StochasticDepth
    except ImportError:  # pragma: no cover - torchvision is a core dependency
        return {}
    return {StochasticDepth: ("norm.StochasticDepth", _torchvision_stochastic_depth)}


_READERS.update(_extra_readers())


def map_module(module: nn.Module) -> tuple[str, dict] | None:
    """``(type_id, params)`` for a module of a catalogue type (exact class), else None."""
    entry = _READERS.get(type(module))
    if entry is None:
        return None
    type_id, reader = entry
    params = reader(module)
    if params is None:
        return None
    if type_id is None:  # Recurrent
        type_id = f"recurrent.{module.cell}"
    if isinstance(module, nn.MaxPool2d) and module.return_indices:
        type_id = "pooling.MaxPool2dWithIndices"
    elif isinstance(module, (nn.MaxPool1d,)) and module.return_indices:
        return None
    return type_id, params


def is_mappable(module: nn.Module) -> bool:
    return type(module) in _READERS
