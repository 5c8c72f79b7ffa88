"""The bundled digits come from the table shipped in studio.resources, without scikit-learn
(an import of seconds), and equal what scikit-learn's load_digits gave before."""
import subprocess
import sys

import torch
import torch.nn.functional as F

from studio.train.data import bundled

LOAD = """
import sys
from studio.train.data import load_dataset
data = load_dataset({"name": "digits", "size": 28}, 0)
assert len(data.train) + len(data.val) + len(data.test) == 1797
print("sklearn" in sys.modules)
"""


def test_digits_load_without_importing_sklearn():
    child = subprocess.run([sys.executable, "-c", LOAD], capture_output=True, text=True,
                           timeout=120, check=True)
    assert child.stdout.strip() == "False"


def _previous(size: int):
    """The loader as it was, reading through scikit-learn."""
    from sklearn.datasets import load_digits
    raw = load_digits()
    images = torch.tensor(raw.images, dtype=torch.float32).unsqueeze(1) / 16.0
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    return images.clamp(0, 1), torch.tensor(raw.target, dtype=torch.int64)


def test_digits_equal_scikit_learns():
    for size in (8, 28):
        fields = bundled.digits({"size": size, "channels": 1, "binarize": False,
                                 "range": [0, 1]}, 0)[0].fields
        images, labels = _previous(size)
        assert torch.equal(fields["image"], images) and torch.equal(fields["label"], labels)
