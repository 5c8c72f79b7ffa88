"""No name from a document leaves the folder the user chose: ``safe_filename`` and ``inside``
(studio.core.names), and every writer that derives a path from a name (run folders, the bundle's
document, the bundle writer itself), tried with ``..``, absolute paths, separators, Windows
device names, NUL and lone surrogates. Also the clean one-line refusal of pickled torch files."""
from __future__ import annotations

import json
import os
import pickle
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.cli import main
from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.core.names import (PathEscapeError, identifier, inside, is_identifier,
                               safe_filename)
from studio.core.serialize import save
from studio.core.templates import open_document
from studio.export.bundle import write_folder
from studio.export.errors import ExportError
from studio.train.runs import new_run_dir

HOSTILE_NAMES = ["../../escaped_run", "..", ".", "/tmp/absolute_run", "a/b", "a\\b", "C:\\x",
                 "CON", "con", "nul.txt", "COM1", "LPT9.log", "Aux .json", "a\x00b", "\ud800",
                 "tab\there", "new\nline", "", "   ", "...", ".hidden", "x" * 400, "é" * 200,
                 "a:b*c?d\"e<f>g|h", "trailing. . ", "\u202eevil"]
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}


def assert_plain_file_name(name: str, max_bytes: int = 120) -> None:
    """One plain name; ``max_bytes`` is 255 (the file systems' limit) for a name plus suffix."""
    assert name and name not in (".", "..") and ".." not in name
    assert not name.startswith((".", " ")) and not name.endswith((".", " "))
    assert not set(name) & set('/\\:*?"<>|')
    assert all(unicodedata.category(c)[0] != "C" for c in name), repr(name)
    assert len(name.encode("utf-8")) <= max_bytes
    assert name.split(".")[0].strip().upper() not in WINDOWS_DEVICES
    assert Path(name).name == name and not Path(name).is_absolute()


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_safe_filename_gives_one_plain_name(name):
    assert_plain_file_name(safe_filename(name, "fallback"))


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_safe_filename_holds_for_any_text(name):
    safe = safe_filename(name)
    assert_plain_file_name(safe)
    assert safe_filename(safe) == safe  # a safe name is left as it is


def test_safe_filename_keeps_ordinary_names_and_names_the_rest():
    assert safe_filename("LeNet-5 (small)") == "LeNet-5 (small)"
    assert safe_filename("réseau_1") == "réseau_1"
    assert safe_filename("../../escaped_run") == "_._escaped_run"
    assert safe_filename("/tmp/absolute_run") == "_tmp_absolute_run"
    assert safe_filename("NUL.txt") == "_NUL.txt" and safe_filename("com1") == "_com1"
    assert safe_filename("..", "run") == "run" and safe_filename("", "") == "untitled"


def test_inside_refuses_every_way_out(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    assert inside(root, "a/b.txt") == root.resolve() / "a" / "b.txt"
    for escape in ("../x", "a/../../x", str(tmp_path / "x"), "/etc/passwd", ".", "", "link/x"):
        with pytest.raises(PathEscapeError, match="expected a name inside the folder"):
            inside(root, escape)
    with pytest.raises(OSError):  # the CLI and the studio report OSErrors as one line
        inside(root, "..")


@pytest.mark.parametrize("text, expected", [("class", "class_"), ("ﬁ", "fi"), ("a²", "a2"),
                                            ("None", "None_"), ("3x3", "x_3x3"),
                                            ("../a/b", "___a_b"), ("\ud800", "_")])
def test_identifier_is_always_usable_in_source(text, expected):
    assert identifier(text) == expected and is_identifier(expected)
    assert not is_identifier(text)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_run_folders_stay_inside_runs(name, tmp_path):
    root = tmp_path / "runs"
    run = new_run_dir(None, name, root)
    assert run.parent == root and (run / "checkpoints").is_dir()
    assert_plain_file_name(run.name, 255)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def _tiny_doc(name: str) -> Document:
    doc = Document()
    b = GraphBuilder(doc)
    b.add("io.Output", b.add("linear.Linear", b.add("io.Input", shape=[3], name="x"),
                             out_features=2), name="y")
    doc.meta = {"name": name, "title": name}
    return doc


@pytest.mark.parametrize("kind", ["dotdot", "absolute"])
def test_training_a_hostile_name_writes_only_under_runs(kind, tmp_path, monkeypatch, capsys):
    """The reported cases end to end: `netstudio train` with no --out, from a nested folder, of
    a document named ``../../escaped_run`` or with an absolute path."""
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    doc, _, _ = open_document("perceptron")
    doc.meta["name"] = "../../escaped_run" if kind == "dotdot" else str(tmp_path / "abs_run")
    save(doc, work / "doc.nnet.json")
    monkeypatch.chdir(work)
    rc = main(["train", "doc.nnet.json", "--device", "cpu", "--limit", "8", "--batch-size", "4",
               "--max-steps", "1", "--quiet"])
    assert rc == 0, capsys.readouterr().err
    runs = list((work / "runs").iterdir())
    assert len(runs) == 1 and (runs[0] / "metrics.jsonl").is_file()
    assert_plain_file_name(runs[0].name)
    assert sorted(p.name for p in work.iterdir()) == ["doc.nnet.json", "runs"]
    assert [p.name for p in tmp_path.iterdir()] == ["a"]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_bundle_into_an_existing_folder_writes_only_inside_it(name, tmp_path, capsys):
    outer = tmp_path / "outer"
    target = outer / "bundle"
    target.mkdir(parents=True)
    (target / "keep.txt").write_text("the user's own file")
    doc = _tiny_doc(name)
    source = tmp_path / "net.nnet.json"  # JSON escapes, so that a lone surrogate can be saved
    source.write_text(json.dumps(doc.to_json(), ensure_ascii=True), encoding="ascii")
    rc = main(["export", str(source), "--bundle", str(target)])
    err = capsys.readouterr().err
    assert [p.name for p in outer.iterdir()] == ["bundle"]
    if "\ud800" in name:  # documents refuse lone surrogates: one line, nothing written
        assert rc == 2 and err.count("\n") == 1 and "surrogate" in err
        assert [p.name for p in target.iterdir()] == ["keep.txt"]
        return
    assert rc == 0, err
    written = sorted(p.name for p in target.iterdir())
    document = [n for n in written if n.endswith(".nnet.json")]
    # the bundle's own names (model.py, weights, README, bundle.json, predict.py) never depend
    # on the title; only the document's file is named after it
    fixed = {"model.py", "weights.safetensors", "README.md", "bundle.json", "predict.py"}
    assert set(written) - set(document) == fixed | {"keep.txt"} and len(document) == 1
    assert_plain_file_name(document[0], 255)


@pytest.mark.parametrize("bad", ["../escaped.txt", "/tmp/abs.txt", "a/b.txt", "..", "CON"])
def test_the_bundle_writer_refuses_a_file_name_that_is_not_plain(bad, tmp_path):
    target = tmp_path / "bundle"
    with pytest.raises(ExportError, match="not a plain file name"):
        write_folder(target, {"README.md": "ok", bad: "escaped"})
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def _pickle_with_code(path: Path) -> None:
    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {path.parent / 'PWNED'}",))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(Payload()))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_pickle_in_the_torch_hub_cache_is_one_line_naming_the_file(tmp_path, monkeypatch):
    from studio.inspect.errors import InspectError
    from studio.inspect.style import cached_vgg, vgg_cache_file
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    import torch
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    path = vgg_cache_file("vgg11")
    _pickle_with_code(path)
    with pytest.raises(InspectError) as e:
        cached_vgg("vgg11")
    message = str(e.value)
    assert str(path) in message and "\n" not in message and "weights_only" in message
    assert not (path.parent / "PWNED").exists()
    path.write_bytes(b"not a torch file")  # damaged: also one line naming the file
    with pytest.raises(InspectError, match=str(path.name)):
        cached_vgg("vgg11")


@pytest.mark.parametrize("name", ["../../escaped_doc", "/tmp/abs_doc", "a/b", "CON"])
def test_onnx_and_code_write_only_the_path_given(name, tmp_path, capsys):
    """Their file is the user's choice; the document's name reaches only metadata and text."""
    work = tmp_path / "a" / "work"
    work.mkdir(parents=True)
    save(_tiny_doc(name), work / "doc.nnet.json")
    assert main(["export", str(work / "doc.nnet.json"), "--onnx", str(work / "m.onnx"),
                 "--exporter", "torchscript"]) == 0, capsys.readouterr().err
    assert main(["code", str(work / "doc.nnet.json"), "-o", str(work / "m.py")]) == 0
    assert sorted(p.name for p in work.iterdir()) == ["doc.nnet.json", "m.onnx", "m.py"]
    assert [p.name for p in tmp_path.iterdir()] == ["a"]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["work"]


def test_a_legacy_mnist_pickle_is_never_loaded_and_named_in_one_line(tmp_path, capsys):
    processed = tmp_path / "MNIST" / "processed"
    for name in ("training.pt", "test.pt"):
        _pickle_with_code(processed / name)
    rc = main(["train", "lenet5", "--data", "mnist", "--data", f"root={tmp_path}",
               "--device", "cpu", "--max-steps", "1", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and str(processed) in err, err
    assert not (processed / "PWNED").exists()
