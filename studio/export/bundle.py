"""A standalone bundle: ``model.py`` (plain PyTorch), ``weights.safetensors``, ``README.md`` and
the document, so the network runs anywhere with only torch and safetensors installed.

The generated code is executed and compared with the compiled module before anything is written;
the folder is assembled beside the target and moved into place at the end. The document's name,
title and node names are a stranger's text: the code is built from data (studio.compile.codegen),
README text is escaped for Markdown, and the document's file name goes through ``safe_filename``;
the writer refuses any file name that would leave the target folder.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from studio.compile import codegen
from studio.compile.fx import Compiled
from studio.core.names import PathEscapeError, inside, safe_filename
from studio.export.errors import ExportError
from studio.export.inputs import input_spec
from studio.export.parity import PARITY_BATCHES, Parity, as_tuple, compare
from studio.export.weights import weights_bytes

_UMASK = os.umask(0o022)  # read once at import (os.umask can only be read by setting it)
os.umask(_UMASK)

README = """# {title}

Exported by NetStudio {version} from {source} (network {network}{preset}).

| file | what it is |
|---|---|
| `model.py` | the network as a plain PyTorch module, class `{cls}`; needs only `torch` |
| `weights.safetensors` | its weights ({weights}) |
| {document} | the NetStudio document it came from (open it in NetStudio to edit) |

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
{classes}{preprocessing}"""

PREDICT = """
## Preprocessing and prediction

What the network was trained on (also in `bundle.json`, under `input`):

{lines}

`python predict.py IMAGE` (or `TABLE.csv`, or `--values 1,2,3`) prepares inputs this way and
prints the class name and its probability.
"""


def _load_generated(source: str, class_name: str):
    codegen.check_structure(source)  # built from data, checked again before it runs
    namespace: dict = {"__name__": "netstudio_bundle_check"}
    exec(compile(source, "model.py", "exec"), namespace)  # our own generated code, not input
    return namespace[class_name]


def _md(text) -> str:
    """``text`` as one line of plain Markdown: controls become spaces and markup characters are
    escaped, so a title cannot open a code block, a link, a table or HTML in the README."""
    line = " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())
    return re.sub(r"([\\`*_{}\[\]<>()#+\-.!|~&])", r"\\\1", line)


def _md_code(text) -> str:
    """``text`` as one Markdown code span, fenced by more backticks than it contains."""
    line = " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())
    fence = "`" * (max(map(len, re.findall(r"`+", line)), default=0) + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def _call(compiled: Compiled) -> str:
    """The README's example call; output names are used as variables only when they are
    identifiers that shadow nothing in the example."""
    args = ", ".join(compiled.inputs)  # placeholder names: identifiers by construction
    names = compiled.outputs
    usable = all(codegen.is_identifier(n) and n not in ("model", "torch", "load_file")
                 for n in names) and len(set(names)) == len(names)
    if not usable:
        return f"outputs = model({args})"
    return f"{', '.join(names)} = model({args})"


def _readme(compiled: Compiled, doc, network: str, cls: str, source: str,
            document: str, weights_note: str, pre=None) -> str:
    import studio
    inputs = "\n".join(
        f"- {_md_code(name)}: "
        f"{' x '.join(['N', *map(str, input_spec(compiled, name).shape[1:])])} "
        f"{input_spec(compiled, name).dtype}" for name in compiled.inputs)
    class_names = (pre.class_names if pre else None) or doc.training.get("class_names") \
        or doc.meta.get("class_names")
    preset = doc.meta.get("preset")
    lines = "\n".join(f"- {_md(line)}" for line in pre.describe()) if pre else ""
    return README.format(
        title=_md(doc.meta.get("title") or doc.meta.get("name") or network),
        version=studio.__version__, source=_md_code(source), network=_md_code(network),
        preset=f", preset {_md_code(preset)}" if preset else "", cls=cls,
        weights=_md(weights_note), document=_md_code(document), call=_call(compiled),
        inputs=inputs, outputs=", ".join(map(_md_code, compiled.outputs)),
        classes=f"\nClass names: {', '.join(map(_md, class_names))}.\n"
        if isinstance(class_names, (list, tuple)) and class_names else "",
        preprocessing=PREDICT.format(lines=lines) if pre else "")


def _record(doc, network: str, cls: str, pre) -> str:
    """``bundle.json``: what predict.py (and any other consumer) reads as data."""
    import json

    import studio
    from studio.core.document import SCHEMA_VERSION
    record = {"model_class": cls, "network": network,
              "document": {"name": str(doc.meta.get("name") or network),
                           "title": str(doc.meta.get("title") or ""),
                           "version": str(doc.meta.get("version") or SCHEMA_VERSION)},
              "netstudio_version": studio.__version__, "input": pre.to_json(),
              "class_names": pre.class_names or []}
    return json.dumps(record, indent=1, ensure_ascii=False) + "\n"


def _predict_source() -> str:
    return (Path(__file__).parent / "predict_script.py").read_text(encoding="utf-8")


def build_bundle(compiled: Compiled, doc, network: str, source: str,
                 weights_note: str, dynamic_batch: bool = True,
                 preprocessing=None) -> tuple[dict, list[Parity]]:
    """The bundle's files as {name: bytes or str}, after checking the generated code; with
    ``preprocessing`` also ``bundle.json`` and ``predict.py``, which prepares inputs that way."""
    from studio.core.serialize import dumps
    cls, code = codegen.document_code(compiled, doc, network, source)
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
    # the document's name is a stranger's text: it names a file only once made safe
    document = safe_filename(doc.meta.get("name") or network, network) + ".nnet.json"
    files = {"model.py": code, "weights.safetensors": weights, document: dumps(doc),
             "README.md": _readme(compiled, doc, network, cls, source, document, weights_note,
                                  preprocessing)}
    if preprocessing is not None:
        files["bundle.json"] = _record(doc, network, cls, preprocessing)
        files["predict.py"] = _predict_source()
    return files, parity


def write_folder(target: str | Path, files: dict) -> None:
    """Write ``files`` into ``target`` all at once: staged in a sibling temp folder, then moved.

    An existing folder keeps its other files; only the bundle's files are replaced. Each name
    must be a plain file name (:func:`safe_filename` leaves it as it is) that stays inside
    ``target``: nothing is written beside or above the folder the user chose."""
    target = Path(target)
    for name in files:
        if safe_filename(name, max_bytes=255) != name:
            raise ExportError(f"{target}: bundle file name {name!r} is not a plain file name")
        try:
            inside(target, name)
        except PathEscapeError as e:
            raise ExportError(f"{target}: bundle file {e}") from None
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
