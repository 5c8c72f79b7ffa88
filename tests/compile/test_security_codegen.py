"""Generated code is built from data: no title, file name, node id or param string from a
document becomes code. Hostile strings go through codegen and bundle export; the results are
imported in an isolated subprocess (``python -I``, an empty working folder) beside a marker file
any injected payload would create, and must still load the compiled module's weights."""
from __future__ import annotations

import json
import runpy
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import save_file

from studio.cli import main
from studio.compile.codegen import CodegenError, check_structure, export_code, string_literal
from studio.compile.fx import CompileError, compile_network
from studio.core.builder import GraphBuilder
from studio.core.document import BlockDef, Document, Graph
from studio.core.serialize import document_from_json, save
from studio.export.bundle import build_bundle, write_folder

# Each payload, if it ever became code, would create the file named by MARKER.
PAYLOADS = ['"""\nopen(MARKER, "w").close()\n"""', "'''\nopen(MARKER, 'w').close()\n'''",
            '\\"""; open(MARKER, "w").close(); """', "x\\", 'q"', "a\r__import__('os')"
            ".system('touch ' + MARKER)", "a\nimport os; os.system('touch ' + MARKER)\n#",
            "# coding: latin-1\n\x00", "__import__('builtins').open(MARKER, 'w')", "__fc",
            "__init__", "../a/b", "/abs/path", "..", "C:\\evil", "CON", "ﬁle", "a²", "None",
            "class", "élan", "网络", "🙂", "\x00", "\u2028x", "{cls}", "{0}%s",
            "```python\nopen(MARKER, 'w').close()\n```", "<script>x</script>"]


def hostile(marker) -> list[str]:
    return [p.replace("MARKER", repr(str(marker))) for p in PAYLOADS]


def hostile_doc(text: str, i: int) -> Document:
    """Every place a user string reaches generated code: title, name, node ids (in a block
    too), Input and Output names, block name, class names. Built around a placeholder and
    substituted in the JSON, as a stranger's file would hold it (the edit ops refuse some of
    these strings themselves)."""
    doc = Document()
    doc.blocks["T_block"] = BlockDef(Graph())
    inner = GraphBuilder(doc, "block:T_block")
    inner.add("io.BlockOutput", inner.add("activation.Tanh", inner.add(
        "io.BlockInput", name="x"), id="T"), name="y")
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[3], name="T")
    h = b.add("linear.Linear", x, id="T", out_features=4)
    h = b.add("block.Block", h, id="T/blk", block="T_block")
    h = b.add("linear.Linear", h, id=f"__{i}T", out_features=2)
    b.add("io.Output", h, name="T")
    b.add("io.Output", b.add("activation.ReLU", h, id="T-relu"), name="T-2")
    doc.meta = {"name": "T", "title": "T", "class_names": ["T", "ok"]}
    raw = json.loads(json.dumps(doc.to_json()).replace('"T', '"' + json.dumps(text)[1:-1]))
    loaded, diagnostics = document_from_json(raw)
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    return loaded


LOADER = textwrap.dedent("""
    import importlib.util, json, os, sys
    import torch
    from safetensors.torch import load_file
    marker, cases = sys.argv[1], json.loads(sys.argv[2])
    assert os.listdir(".") == [], "the sandbox starts empty"
    for folder, cls in cases:
        io = load_file(folder + "/io.safetensors")
        for name, path, klass in (("code", folder + "/code.py", "Model"),
                                  ("bundle", folder + "/bundle/model.py", cls)):
            spec = importlib.util.spec_from_file_location("m_" + os.path.basename(folder), path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            assert not os.path.exists(marker), path + " ran a payload"
            model = getattr(module, klass)()
            model.load_state_dict(load_file(folder + "/bundle/weights.safetensors"))
            model.eval()
            with torch.no_grad():
                out = model(io["input"])
            out = out if isinstance(out, tuple) else (out,)
            for k, got in enumerate(out):
                torch.testing.assert_close(got, io[f"out{k}"], rtol=1e-5, atol=1e-6)
    assert os.listdir(".") == [], os.listdir(".")
    print("loaded", len(cases))
""")


def test_hostile_strings_never_run_and_the_code_still_loads(tmp_path):
    marker = tmp_path / "PWNED"
    cases = []
    for i, text in enumerate(hostile(marker)):
        doc = hostile_doc(text, i)
        compiled = compile_network(doc, "model", seed=i)
        folder = tmp_path / f"case{i}"
        files, _ = build_bundle(compiled, doc, "model", text, "fuzz")  # source: a file name
        folder.mkdir()
        write_folder(folder / "bundle", files)
        code = export_code(compiled, "Model", source=text, title=text)
        (folder / "code.py").write_text(code, encoding="utf-8")
        x = torch.randn(5, 3, generator=torch.Generator().manual_seed(i))
        with torch.no_grad():
            outs = compiled.module(x)
        save_file({"input": x, **{f"out{k}": t for k, t in enumerate(outs)}},
                  str(folder / "io.safetensors"))
        readme = files["README.md"]
        lines = readme.splitlines()
        fences = [n for n, line in enumerate(lines) if line.lstrip().startswith(("```", "~~~"))]
        assert [lines[n] for n in fences] == ["```python", "```"], readme  # no name opened one
        example = "\n".join(lines[fences[0] + 1:fences[1]])
        assert "open(" not in example and "import os" not in example, example
        cases.append((str(folder), class_name(files)))
        assert not marker.exists(), f"payload {text!r} ran during export"
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    result = subprocess.run([sys.executable, "-I", "-c", LOADER, str(marker), json.dumps(cases)],
                            cwd=sandbox, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"loaded {len(cases)}" in result.stdout
    assert not marker.exists()


def class_name(files: dict) -> str:
    line = next(s for s in files["README.md"].splitlines() if s.startswith("from model import"))
    return line.split()[-1]


@pytest.mark.parametrize("param", ['"""\nopen(MARKER, "w")', "=__import__('os')", "$__class__",
                                   "\ud800", "$x", "=1", "=" + "-" * 50 + "1"])
def test_hostile_param_strings_are_refused_before_any_code(param, tmp_path):
    param = param.replace("MARKER", repr(str(tmp_path / "PWNED")))
    doc = Document()
    b = GraphBuilder(doc)
    h = b.add("conv.Conv2d", b.add("io.Input", shape=[1, 4, 4]), out_channels=2,
              kernel_size=1)
    b.add("io.Output", h, name="y")
    doc.networks["model"].nodes[h].params["padding_mode"] = param  # as a loaded file holds it
    with pytest.raises(CompileError):
        compile_network(doc, "model")
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("node_id", ["__fc", "../a/b", "ﬁ", "a²", "__init__"])
def test_mangled_or_normalized_names_load_the_weights(node_id, tmp_path, capsys):
    """``self.__fc`` would be mangled inside the class; ``self.ﬁ`` read as ``self.fi``."""
    doc = Document()
    b = GraphBuilder(doc)
    h = b.add("linear.Linear", b.add("io.Input", shape=[3], name=node_id), id=node_id,
              out_features=2)
    b.add("io.Output", h, name="y")
    doc.meta = {"name": "net"}
    save(doc, tmp_path / "doc.nnet.json")
    assert main(["export", str(tmp_path / "doc.nnet.json"), "--bundle",
                 str(tmp_path / "bundle")]) == 0, capsys.readouterr().err
    assert main(["code", str(tmp_path / "doc.nnet.json"), "-o", str(tmp_path / "m.py")]) == 0
    compiled = compile_network(doc)
    namespace: dict = {}
    exec((tmp_path / "m.py").read_text(encoding="utf-8"), namespace)
    model = namespace["Net"]()
    model.load_state_dict(compiled.module.state_dict())  # strict: every key by its own name
    x = torch.randn(4, 3)
    torch.testing.assert_close(model(x), compiled.module(x))


def test_the_title_injection_of_the_report_is_inert_in_code_and_bundle(tmp_path, capsys,
                                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = Document()
    b = GraphBuilder(doc)
    b.add("io.Output", b.add("linear.Linear", b.add("io.Input", shape=[3], name="x"),
                             out_features=2), name="y")
    doc.meta = {"name": 'evil"""\nopen("PWNED", "w")\n"""',
                "title": '"""\nopen("PWNED", "w").close()\n"""'}
    save(doc, tmp_path / 'evil"""name.nnet.json')
    source = str(tmp_path / 'evil"""name.nnet.json')
    assert main(["export", source, "--bundle", str(tmp_path / "bundle")]) == 0
    assert main(["code", source, "-o", str(tmp_path / "m.py")]) == 0
    capsys.readouterr()
    for path in (tmp_path / "m.py", tmp_path / "bundle" / "model.py"):
        check_structure(path.read_text(encoding="utf-8"))
        # importing it here is safe: its payload only makes a file in tmp_path (the fuzz test
        # above imports such code in a sandboxed subprocess)
        assert "EvilOpenPWNEDW" in runpy.run_path(str(path))
    assert not (tmp_path / "PWNED").exists()


def test_string_literal_reads_back_exactly():
    for text in ['plain', 'a"""b', 'x\\', 'q"', 'a\r\nb', '\ud800', 'a\x00', 'two\nlines']:
        literal = string_literal(text)
        assert eval(literal, {"__builtins__": {}}) == text  # noqa: S307 (our literal, checked)
    assert string_literal("two\nlines") == '"""two\nlines"""'  # readable when it is safe
    # a lone surrogate (documents refuse them, code does not need to) is written escaped
    doc = Document()
    b = GraphBuilder(doc)
    b.add("io.Output", b.add("io.Input", shape=[2], name="x"), name="y")
    code = export_code(compile_network(doc), title="\ud800", source="a\ud800b")
    assert "\\ud800" in code and code.encode("utf-8")


def test_check_structure_refuses_code_outside_classes():
    check_structure('"""doc"""\nimport torch\nfrom torch import nn\nclass A(nn.Module):\n  pass\n')
    for bad in ['"""doc"""\nimport os\n', '"""d"""\nopen("x")\n',
                '"""d"""\n@print\nclass A:\n  pass\n']:
        with pytest.raises(CodegenError, match="expected only a docstring"):
            check_structure(bad)


@pytest.mark.parametrize("class_name", ["None", "1abc", "a-b", "ﬁ", "torch", "nn"])
def test_a_bad_class_name_is_one_line_with_exit_2(class_name, capsys):
    assert main(["code", "perceptron", "--class-name", class_name]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expected a Python identifier" in err


def test_block_and_document_names_never_make_a_bad_or_clashing_class(tmp_path):
    """Block classes named ``None``/``1st``/``Model`` and a document named like a copied layer
    class (``Reshape``) each get a class name of their own."""
    doc = Document()
    b = GraphBuilder(doc)
    h = b.add("io.Input", shape=[4], name="x")
    for name in ("none", "1st", "model", "reshape"):
        doc.blocks[name] = BlockDef(Graph())
        inner = GraphBuilder(doc, f"block:{name}")
        inner.add("io.BlockOutput", inner.add("activation.ReLU", inner.add(
            "io.BlockInput", name="x")), name="y")
        h = b.add("block.Block", h, block=name)
    h = b.add("reshape.Reshape", h, shape=[2, 2])
    b.add("io.Output", h, name="y")
    doc.meta = {"name": "reshape"}
    compiled = compile_network(doc)
    files, _ = build_bundle(compiled, doc, "model", "doc", "fresh")
    cls = class_name(files)
    assert cls == "ReshapeModel"
    namespace: dict = {}
    exec(files["model.py"], namespace)
    model = namespace[cls]()
    model.load_state_dict(compiled.module.state_dict())
    x = torch.randn(2, 4)
    torch.testing.assert_close(model(x), compiled.module(x))
