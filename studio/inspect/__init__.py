"""The inspection lab: look inside and push on trained networks. No Qt here.

Every function takes a plain ``nn.Module`` (a compiled document network or a torchvision model),
layer names that are module paths in it (a compiled network's node ids in most cases, see
:func:`studio.inspect.network.layer_name`) and tensors, and returns numpy arrays or small result
dataclasses; the CLI (``netstudio inspect``) and the GUI's Lab draw them. Long optimizations take
``progress(fraction) -> bool``; returning False stops them early with the best result so far.

- :mod:`.attribution`: class activation maps, Grad-CAM, saliency, integrated gradients.
- :mod:`.maximize`: activation maximization with jitter, blur, L2 and total variation.
- :mod:`.adversarial`: FGSM, PGD and the smallest targeted perturbation.
- :mod:`.inversion`: reconstruct an input from a layer's features.
- :mod:`.style`: Gatys style transfer and deep feature interpolation; cached VGG.
- :mod:`.embeddings`: t-SNE of a layer's outputs, word-vector neighbours and analogies.
- :mod:`.preview`: per-node output thumbnails for the editor.
- :mod:`.images`: colormaps, overlays, grids and labelled panels as uint8 arrays; PNG in/out.
"""
from studio.inspect.errors import InspectError

__all__ = ["InspectError"]
