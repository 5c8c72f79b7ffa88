"""A standalone bundle: ``model.py`` (plain PyTorch), ``weights.safetensors``, ``README.md`` and
the document, so the network runs anywhere with only torch and safetensors installed.

The generated code is executed and compared with the compiled module before anything is written;
the folder is assembled beside the target and moved into place at the end.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from studio.compile.codegen import export_code
from studio.compile.fx import Compiled
from studio.export.errors import ExportError
from studio.export.inputs import input_spec
from studio.export.parity import PARITY_BATCHES, Parity, as_tuple, compare
from studio.export.weights import weights_bytes

_UMASK = os.umask(0o022)  # read once at import (os.umask can only be read by setting it)
os.umask(_UMASK)

README = """# {title}

Exported by NetStudio {version} from {source} (network `{network}`{preset}).

| file | what it is |
|---|---|
| `model.py` | the network as a plain PyTorch module, class `{cls}`; needs only `torch` |
| `weights.safetensors` | its weights ({weights}) |
| `{document}` | the NetStudio document it came from (open it in NetStudio to edit) |

## Load and run

```python
import torch
from safetensors.torch import load_file
from model import {cls}

model = {cls}()
model.load_state_dict(load_file("weights.safetensors"))
model.eval()
with torch.no_grad():
    {call}
```

Inputs (batch first, any batch size):

{inputs}

Outputs, in order: {outputs}.
{classes}"""


def class_name_for(doc, network: str) -> str:
    """``lenet5`` -> ``Lenet5``; a GAN's generator -> ``DcganGenerator``."""
    words = re.split(r"[\W_]+", str(doc.meta.get("name") or "model"))
    if network != "model":
        words.append(network)
    name = "".join(w[:1].upper() + w[1:] for w in words if w)
    return name if name.isidentifier() else "Model"


def _load_generated(source: str, class_name: str):
    namespace: dict = {"__name__": "netstudio_bundle_check"}
    exec(compile(source, "model.py", "exec"), namespace)  # our own generated code, not input
    return namespace[class_name]


def _readme(compiled: Compiled, doc, network: str, cls: str, source: str,
            document: str, weights_note: str) -> str:
    import studio
    inputs = "\n".join(
        f"- `{name}`: {' x '.join(['N', *map(str, input_spec(compiled, name).shape[1:])])} "
        f"{input_spec(compiled, name).dtype}" for name in compiled.inputs)
    args = ", ".join(compiled.inputs)
    result = ", ".join(compiled.outputs) if len(compiled.outputs) > 1 else compiled.outputs[0]
    class_names = doc.training.get("class_names") or doc.meta.get("class_names")
    preset = doc.meta.get("preset")
    return README.format(
        title=doc.meta.get("title") or doc.meta.get("name") or network,
        version=studio.__version__, source=source, network=network,
        preset=f", preset `{preset}`" if preset else "", cls=cls, weights=weights_note,
        document=document, call=f"{result} = model({args})", inputs=inputs,
        outputs=", ".join(f"`{o}`" for o in compiled.outputs),
        classes=f"\nClass names: {', '.join(map(str, class_names))}.\n" if class_names else "")


def build_bundle(compiled: Compiled, doc, network: str, source: str,
                 weights_note: str, dynamic_batch: bool = True) -> tuple[dict, list[Parity]]:
    """The bundle's files as {name: bytes or str}, after checking the generated code."""
    from studio.core.serialize import dumps
    cls = class_name_for(doc, network)
    code = export_code(compiled, cls, source=source,
                       title=doc.meta.get("title") or "A NetStudio network")
    weights = weights_bytes(compiled.module)
    generated = _load_generated(code, cls)()
    generated.load_state_dict(compiled.module.state_dict())
    generated.eval()

    def run(inputs):
        import torch
        with torch.no_grad():
            return [t.numpy() for t in as_tuple(generated(*inputs))]

    batches = PARITY_BATCHES if dynamic_batch else PARITY_BATCHES[:1]
    parity = compare(compiled, doc, network, run, batches, "the generated model.py")
    document = f"{doc.meta.get('name') or network}.nnet.json"
    files = {"model.py": code, "weights.safetensors": weights, document: dumps(doc),
             "README.md": _readme(compiled, doc, network, cls, source, document, weights_note)}
    return files, parity


def write_folder(target: str | Path, files: dict) -> None:
    """Write ``files`` into ``target`` all at once: staged in a sibling temp folder, then moved.

    An existing folder keeps its other files; only the bundle's files are replaced."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target}: exists and is not a folder")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"{target}: the folder {parent} does not exist")
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    os.chmod(stage, 0o777 & ~_UMASK)  # mkdtemp makes it private; the bundle is for sharing
    try:
        for name, data in files.items():
            payload = data.encode("utf-8") if isinstance(data, str) else data
            (stage / name).write_bytes(payload)
        if not target.exists():
            os.replace(stage, target)
            return
        for name in files:
            os.replace(stage / name, target / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
