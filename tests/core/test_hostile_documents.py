"""Hostile documents end in a diagnostic or a one-line error, never a crash, a hang or a huge
allocation: one regression test per signature found by the adversarial pass of issue #18, each
with its smallest reproducer, through the real loader, validator, compiler and CLI. The size
budgets are in test_hostile_sizes.py."""
import json
import subprocess
import sys
import time

import pytest

from studio.cli import main
from studio.compile.fx import CompileError, compile_network
from studio.core import params as P
from studio.core.diagnostics import DocumentError
from studio.core.document import Document
from studio.core.ports import block_ports
from studio.core.serialize import document_from_json, dumps, load, save
from studio.core.validate import validate_document
from support.hostile import errors_of, has, node, template, write


# ---- expressions: bounded values, not only restricted syntax -------------------------------
HOSTILE_EXPRESSIONS = [
    ("=0**-1", "division by zero"),
    ("=7 // (2 - 2)", "division by zero"),
    ("=2.0**10000", "too large for a number"),
    ("=9**9**9", "too large"),
    ("=9**99 * 9**99", "too large"),
    ("=2**40 * 2**40", "too large"),
    ("=1e308 * 10", "not a finite number"),
    ("=(-8)**0.5", "not a real number"),
    ("=dims * 999999999", "expressions compute with numbers"),
    ("=" + "-" * 3000 + "1", "too long"),
    ("=" + "-" * 150 + "1", "nests more than"),
    ("=1\x00", "cannot read expression"),
    ("=__import__('os')", "not allowed in an expression"),
]


@pytest.mark.parametrize("expression, expected", HOSTILE_EXPRESSIONS,
                         ids=[e[:16] for e, _ in HOSTILE_EXPRESSIONS])
def test_a_hostile_expression_is_a_diagnostic_on_its_param(expression, expected):
    raw = template("mlp")
    raw["variables"]["dims"] = [1, 2]
    node(raw, "linear1")["params"]["out_features"] = expression
    started = time.perf_counter()
    messages = errors_of(raw)
    assert has(messages, "linear1.params.out_features", expected), messages
    assert time.perf_counter() - started < 10  # 9**9**9 alone would take minutes


def test_a_hostile_variable_is_a_diagnostic_on_the_variables():
    raw = template("mlp")
    raw["variables"]["hidden1"] = "=0**-1"
    assert has(errors_of(raw), "variables", "division by zero")


@pytest.mark.parametrize("expression, value", [
    ("=2*width*(input_size//4)**2", 2 * 3 * (28 // 4) ** 2), ("=1/4", 0.25), ("=8/2", 4),
    ("=2**63", 2**63), ("=-(2**63)", -(2**63)), ("=width", 3), ("=2.5**2", 6.25)])
def test_ordinary_expressions_still_evaluate(expression, value):
    got = P.resolve(expression, {"width": 3, "input_size": 28})
    assert got == value and type(got) is type(value)


def test_non_finite_literal_floats_fail_the_schema_check():
    raw = template("mlp")
    node(raw, "linear1")["params"]["out_features"] = float("nan")
    _, diags = document_from_json(raw)
    assert has([str(d) for d in diags], "nodes[3].params.out_features", "got nan")
    from nodes.base import Param
    assert P.check(Param("p", "float", 1.0), float("nan")) is not None
    assert P.check(Param("p", "float", 1.0), float("inf")) is not None
    assert P.check(Param("p", "float", 1.0), 10**400) is None  # an int that no float holds


# ---- JSON: depth, number length, lone surrogates -------------------------------------------
def test_json_nested_1000_deep_is_refused_with_its_line(tmp_path):
    text = '{"format": "netstudio",\n "meta": ' + "[" * 1000 + "]" * 1000 + "}"
    with pytest.raises(DocumentError, match=r"hostile.nnet.json: JSON nested more than 64 "
                                            r"levels deep at line 2, column 73"):
        load(write(tmp_path, None, text))


def test_unbalanced_deep_json_is_refused_too(tmp_path):
    with pytest.raises(DocumentError, match="hostile.nnet.json"):
        load(write(tmp_path, None, '{"meta": ' + "[" * 100_000))


def test_ordinary_nesting_and_brackets_inside_strings_load(tmp_path):
    raw = template("mlp")
    raw["meta"]["deep"] = json.loads("[" * 50 + "]" * 50)
    raw["meta"]["title"] = "[" * 5000 + "{"  # brackets in a string are not nesting
    doc, _ = load(write(tmp_path, raw))
    assert doc.meta["title"].startswith("[[[")


def test_a_4301_digit_integer_is_refused_naming_its_place(tmp_path):
    text = json.dumps(template("mlp")).replace('"num_classes": 10', '"num_classes": ' + "9" * 4301)
    with pytest.raises(DocumentError, match=r"variables\.num_classes: a number of 4301 "
                                            r"characters \(at most 100\)"):
        load(write(tmp_path, None, text))


def test_a_lone_surrogate_is_refused_at_load_naming_its_place(tmp_path):
    raw = template("mlp")
    node(raw, "linear1")["id"] = "\ud800"
    with pytest.raises(DocumentError, match=r"networks\.model\.nodes\[3\]\.id: contains a lone "
                                            "surrogate"):
        load(write(tmp_path, raw))


def test_a_surrogate_made_through_the_api_is_a_document_error_at_save(tmp_path):
    doc = Document()
    doc.meta["title"] = "bad \udfff title"
    with pytest.raises(DocumentError, match=r"meta\.title: contains a lone surrogate"):
        save(doc, tmp_path / "x.nnet.json")
    assert list(tmp_path.iterdir()) == []


# ---- old-schema files ----------------------------------------------------------------------
@pytest.mark.parametrize("damage, place", [
    (lambda r: r["networks"]["model"].__setitem__("edges", [None]), r"networks\.model\.edges\[0\]"),
    (lambda r: r["networks"]["model"].__setitem__("edges", [{"from": 3, "to": None}]),
     r"networks\.model\.edges\[0\]\.src"),
    (lambda r: r["networks"]["model"].__setitem__("nodes", [7]), r"networks\.model\.nodes\[0\]"),
    (lambda r: r["networks"].__setitem__("model", [1]), r"networks\.model: expected an object"),
    (lambda r: r.__setitem__("networks", [1]), r"networks: expected an object"),
    (lambda r: r.__setitem__("blocks", None),
     r"blocks: expected an object, got nothing \(the key is missing or null\)"),
    (lambda r: r["networks"]["model"].__setitem__("edges", "x"), r"networks\.model\.edges"),
], ids=["null-edge", "int-edge-end", "int-node", "list-network", "list-networks", "null-blocks",
        "string-edges"])
def test_damaged_version_1_files_name_the_place(tmp_path, damage, place):
    raw = template("mlp")
    raw["schema_version"] = 1
    damage(raw)
    with pytest.raises(DocumentError, match=place):
        load(write(tmp_path, raw))


def test_a_well_formed_version_1_file_still_upgrades():
    raw = template("mlp")
    raw["schema_version"] = 1
    raw["networks"]["model"]["edges"] = [
        {"from": f"{e['src'][0]}:{e['src'][1]}", "to": f"{e['dst'][0]}:{e['dst'][1]}"}
        for e in raw["networks"]["model"]["edges"]]
    assert errors_of(raw) == []


# ---- blocks: cycles through variables, names of the wrong type, repeats --------------------
def add_inner_block(raw, block: str, target, **params):
    body = raw["blocks"][block]
    body["nodes"].append({"id": "inner", "type": "block.Block",
                          "params": {"block": target, **params}})
    body["edges"].append({"src": ["relu", "y"], "dst": ["inner", "x"]})


def test_a_block_using_itself_through_a_block_parameter_is_a_cycle():
    raw = template("resnet18")
    raw["blocks"]["basic"]["params"]["me"] = "basic"
    add_inner_block(raw, "basic", "$me")
    assert has(errors_of(raw), "block:basic", "block uses itself: basic -> basic")
    with pytest.raises(CompileError, match="block uses itself"):
        compile_network(document_from_json(raw)[0])


def test_a_block_using_itself_through_a_document_variable_is_a_cycle():
    raw = template("resnet18")
    raw["variables"]["which"] = "basic"
    add_inner_block(raw, "basic", "=which")
    assert has(errors_of(raw), "block uses itself: basic -> basic")


def test_mutually_referencing_blocks_are_one_cycle_naming_both():
    raw = template("resnet18")
    for name, peer in (("basic", "basic_down"), ("basic_down", "basic")):
        raw["blocks"][name]["params"]["peer"] = peer
        add_inner_block(raw, name, "$peer")
    assert has(errors_of(raw), "block uses itself:", "basic -> basic_down") or \
        has(errors_of(raw), "block uses itself:", "basic_down -> basic")


def test_a_caller_argument_that_makes_a_block_use_itself_is_found_while_expanding():
    raw = template("resnet18")
    raw["blocks"]["basic"]["params"]["target"] = "basic_down"  # statically harmless
    add_inner_block(raw, "basic", "$target")
    node(raw, "layer1")["params"]["target"] = "basic"  # ...but this caller closes the loop
    messages = errors_of(raw)
    assert has(messages, "layer1", "block uses itself: basic -> basic"), messages
    with pytest.raises(CompileError):
        compile_network(document_from_json(raw)[0])


def test_a_block_input_named_minus_one_is_a_diagnostic():
    raw = template("resnet18")
    node(raw, "in_x", "block:basic")["params"]["name"] = -1
    doc, diags = document_from_json(raw)
    messages = [str(d) for d in diags + validate_document(doc)]
    assert has(messages, "blocks.basic.nodes[0].params.name", "expected str, got -1")
    assert has(messages, "layer1", "no input port 'x' (it has: -1)")


def test_a_list_where_a_block_name_belongs_is_a_diagnostic():
    raw = template("resnet18")
    node(raw, "layer1")["params"]["block"] = ["basic"]
    assert has(errors_of(raw), "layer1.params.block", "expected block name, got ['basic']")
    assert block_ports(document_from_json(raw)[0], ["basic"]) == ((), ())


def test_a_runaway_repeat_is_refused_before_expanding():
    raw = template("resnet18")
    node(raw, "layer1")["params"]["repeat"] = 10**9
    started = time.perf_counter()
    assert has(errors_of(raw), "layer1", "repeat 1000000000 is more than 1000 copies")
    assert time.perf_counter() - started < 30


def chained_blocks(count: int, closing: bool) -> dict:
    """Flatten as ``b0`` using ``b1``... using ``b{count-1}``, which flattens; ``closing``
    makes every block also use every other one (a dense web of cycles)."""
    raw = template("mlp")
    raw["blocks"] = {}
    for i in range(count):
        inner = [f"b{i + 1}"] if i + 1 < count else []
        inner += [f"b{j}" for j in range(count) if closing and j != i + 1]
        body = [{"id": "in", "type": "io.BlockInput", "params": {"name": "x"}},
                {"id": "out", "type": "io.BlockOutput", "params": {"name": "y"}}]
        body += [{"id": f"use_{b}", "type": "block.Block", "params": {"block": b}} for b in inner]
        if not inner:  # the innermost block does the work of the node it stands in for
            body.append({"id": "use_flat", "type": "reshape.Flatten", "params": {}})
            inner = ["flat"]
        edges = [{"src": ["in", "y"], "dst": [f"use_{inner[0]}", "x"]},
                 {"src": [f"use_{inner[0]}", "y"], "dst": ["out", "x"]}]
        raw["blocks"][f"b{i}"] = {"params": {}, "nodes": body, "edges": edges}
    node(raw, "flatten1")["type"] = "block.Block"
    node(raw, "flatten1")["params"] = {"block": "b0"}
    return raw


def test_blocks_that_all_use_each_other_are_reported_quickly():
    started = time.perf_counter()
    messages = errors_of(chained_blocks(14, closing=True))  # ~10**10 simple cycles
    assert has(messages, "block uses itself: b0 -> ")
    assert time.perf_counter() - started < 30


def test_blocks_nested_past_the_depth_limit_are_a_diagnostic():
    assert errors_of(chained_blocks(10, closing=False)) == []
    messages = errors_of(chained_blocks(24, closing=False))
    assert has(messages, "flatten1", "blocks nested more than 16 deep: b0 -> b1 ->"), messages


# ---- saving what loaded --------------------------------------------------------------------
def hostile_but_loadable() -> list[dict]:
    out = []
    for expression, _ in HOSTILE_EXPRESSIONS[:9]:
        raw = template("mlp")
        node(raw, "linear1")["params"]["out_features"] = expression
        out.append(raw)
    for key, value in (("id", "😀 \x00\n\t\u2028"), ("name", "\ud83d\ude00 pair"),
                       ("params", {"out_features": float("nan"), "extra": [[[]]]}),
                       ("ui", {"pos": [1e308, -0.0], "x": None})):
        raw = template("mlp")
        node(raw, "linear1")[key] = value
        out.append(raw)
    raw = template("resnet18")
    node(raw, "layer1")["params"]["block"] = ["basic"]
    node(raw, "in_x", "block:basic")["params"]["name"] = -1
    out.append(raw)
    raw = template("mlp")
    raw["meta"] = {"title": '"""\nimport os  # not code', "deep": json.loads("[" * 60 + "]" * 60)}
    out.append(raw)
    return out


@pytest.mark.parametrize("raw", hostile_but_loadable())
def test_every_document_that_loads_saves_and_loads_back_the_same(tmp_path, raw):
    first, _ = load(write(tmp_path, raw))
    save(first, tmp_path / "again.nnet.json")
    second, _ = load(tmp_path / "again.nnet.json")
    assert dumps(second) == dumps(first)


# ---- the CLI: one line, exit 2 -------------------------------------------------------------
def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", ["summary", "validate", "code"])
def test_cli_errors_on_unreadable_documents_are_one_line(tmp_path, capsys, command):
    text = '{"format": "netstudio", "meta": ' + "[" * 1000 + "]" * 1000 + "}"
    code, _, err = run_cli(capsys, command, write(tmp_path, None, text))
    assert code == 2 and err.count("\n") == 1 and err.startswith("netstudio: error: ")


def test_summary_of_a_document_with_many_errors_is_one_line(tmp_path, capsys):
    raw = template("lenet5")
    for n in raw["networks"]["model"]["nodes"]:
        if n["type"] in ("conv.Conv2d", "linear.Linear"):
            n["params"]["bias"] = "=0**-1\nwith a line break"
    code, _, err = run_cli(capsys, "summary", write(tmp_path, raw))
    assert code == 2 and err.count("\n") == 1, err
    assert "the network has errors: model.c1.params.bias:" in err
    assert "more: `netstudio validate` lists them all)" in err


def test_summary_and_code_refuse_a_budget_breaking_document_in_one_line(tmp_path, capsys):
    raw = template("lenet5")
    node(raw, "c1")["params"]["out_channels"] = 10**12
    path = write(tmp_path, raw)
    for command in ("summary", "code"):
        code, _, err = run_cli(capsys, command, path)
        assert code == 2 and err.count("\n") == 1 and "TB of weights (budget 2 GB)" in err


def test_the_real_command_prints_no_traceback(tmp_path):
    raw = template("resnet18")
    raw["blocks"]["basic"]["params"]["me"] = "basic"
    add_inner_block(raw, "basic", "$me")
    path = write(tmp_path, raw)
    done = subprocess.run([sys.executable, "-m", "studio", "summary", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "block uses itself: basic -> basic" in done.stderr


def test_a_loss_of_mismatched_sizes_is_one_line_without_torch_warnings(tmp_path):
    # found by bench/fuzz.py: torch's broadcasting warning from the meta run went to stderr
    # above the one-line error
    raw = template("stacked-autoencoder")
    nodes = raw["networks"]["model"]["nodes"]
    del nodes[0]["params"]["shape"]  # the Input falls back to its default, 8x8 images
    raw["networks"]["model"]["nodes"] = [n for n in nodes if n["id"] != "output2"]
    path = write(tmp_path, raw)
    done = subprocess.run([sys.executable, "-m", "studio", "summary", str(path)],
                          capture_output=True, text=True, timeout=300)  # warnings as a user sees
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "reconstruction_loss" in done.stderr
