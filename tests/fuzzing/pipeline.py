"""The pipeline a document goes through, run on one fuzz case, and how its end is classified.

From the file's bytes: ``serialize.load`` (a real file in a temp folder) -> ``validate_document``
(structure, variables, shape inference) -> ``compile_network`` for every network (real modules,
real weights) -> ``serialize.save`` and load again (the studio saves whatever it opened).

Ends, as issue 18 counts them:

- ``clean``: the document was refused with diagnostics or with one of the project's own errors
  (a class defined in ``studio``/``nodes``) carrying a message;
- ``accepted``: no error diagnostics, every network compiled, the saved copy loads;
- ``crash``: any other exception; its signature is the exception type and the innermost frame
  in ``studio/`` or ``nodes/`` (where a fix would go);
- ``memory``: MemoryError or the allocator refusing (the worker's address space is limited);
- ``hang``: set by the sandbox when a case runs past its time limit.
"""
from __future__ import annotations

import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import studio

CLEAN, ACCEPTED, CRASH, HANG, MEMORY = "clean", "accepted", "crash", "hang", "memory"
KINDS = (CLEAN, ACCEPTED, CRASH, HANG, MEMORY)
FAILURES = (CRASH, HANG, MEMORY)

ROOT = Path(studio.__file__).resolve().parent.parent
PROJECT = tuple(str(ROOT / part) + "/" for part in ("studio", "nodes"))
# torch's CPU allocator raises RuntimeError, not MemoryError, when the address space is exhausted
ALLOCATION_FAILED = ("can't allocate memory", "not enough memory", "bad_alloc", "out of memory")


@dataclass
class Outcome:
    kind: str
    signature: str = ""  # crash / hang / memory: what reports group by
    message: str = ""  # the first line of the error, shortened
    stage: str = ""  # load, validate, compile, save
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.kind in FAILURES


def project_frame(frames) -> str:
    """``path:function`` of the innermost frame in studio/ or nodes/ (else the innermost one);
    ``frames`` are (filename, function) pairs, outermost first."""
    frames = list(frames)
    ours = [f for f in frames if f[0].startswith(PROJECT)] or frames[-1:]
    if not ours:
        return "?"
    filename, function = ours[-1]
    try:
        filename = str(Path(filename).resolve().relative_to(ROOT))
    except ValueError:
        filename = Path(filename).name
    return f"{filename}:{function}"


def _first_line(e: BaseException, limit: int = 160) -> str:
    try:
        text = str(e)
    except Exception as inner:  # noqa: BLE001  (e.g. a 5,000-digit int in the message)
        text = f"<message could not be rendered: {type(inner).__name__}>"
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _is_project_error(e: BaseException) -> bool:
    return type(e).__module__.split(".")[0] in ("studio", "nodes")


def classify(e: BaseException, stage: str) -> Outcome:
    """The outcome of an exception that ended the pipeline at ``stage``."""
    frames = [(f.filename, f.name) for f in traceback.extract_tb(e.__traceback__)]
    where = project_frame(frames)
    message = _first_line(e)
    if isinstance(e, MemoryError) or (
            isinstance(e, RuntimeError) and any(m in message for m in ALLOCATION_FAILED)):
        return Outcome(MEMORY, f"{type(e).__name__} in {where}", message, stage)
    if _is_project_error(e) and message:
        return Outcome(CLEAN, "", message, stage)
    if _is_project_error(e):
        return Outcome(CRASH, f"{type(e).__name__} without a message in {where}", "", stage)
    return Outcome(CRASH, f"{type(e).__name__} in {where}", message, stage)


def _run(data: bytes, training: bool, folder: Path, stages: list) -> Outcome:
    from studio.compile.fx import compile_network
    from studio.core import serialize
    from studio.core.diagnostics import errors
    from studio.core.validate import validate_document

    stages.append("load")
    path = folder / "case.nnet.json"
    path.write_bytes(data)
    doc, diagnostics = serialize.load(path)
    stages.append("validate")
    diagnostics = diagnostics + validate_document(doc)
    stages.append("compile")
    refused = None
    for network in list(doc.networks):
        try:
            compile_network(doc, network, doc.variables, training=training)
        except Exception as e:  # noqa: BLE001  (classified below; other networks still run)
            refused = refused or classify(e, "compile")
            if refused.failed:
                return refused
    stages.append("save")
    saved = folder / "saved.nnet.json"
    serialize.save(doc, saved)
    serialize.load(saved)
    if refused:
        return refused
    found = errors(diagnostics)
    return Outcome(CLEAN, "", str(found[0]), "validate") if found else Outcome(ACCEPTED)


def run_document(data: bytes, training: bool = False) -> Outcome:
    """Load, validate, compile and save one document file's bytes; never raises."""
    stages: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="netstudio-fuzz-") as folder:
        try:
            outcome = _run(data, training, Path(folder), stages)
        except Exception as e:  # noqa: BLE001  (every end is classified, none escapes)
            outcome = classify(e, stages[-1] if stages else "")
    outcome.seconds = time.perf_counter() - started
    return outcome
