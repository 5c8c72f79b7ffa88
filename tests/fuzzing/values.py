"""Mutations of values: expressions, numbers and encodings.

The hostile values come from the adversarial pass of issue 18 (``"=0**-1"``, ``"=9**9**9"``,
3,000-character unary chains, 4,301-digit integers, 10**12 channels, lone surrogates, lists
1,000 deep) and their neighbours. Same contract as :mod:`.mutations`:
``mutate(draft, pick) -> label``.
"""
from __future__ import annotations

import copy

from .draft import Draft, describe, graph_edges, graph_nodes, locations

# Params that size tensors: where a huge or negative number does damage.
SIZE_KEYS = ("out_channels", "out_features", "hidden_size", "num_embeddings", "embedding_dim",
             "num_layers", "repeat", "kernel_size", "stride", "padding", "groups", "size",
             "steps", "first_size", "num_groups", "dim", "output_size", "dilation")
# Sizes far past any weight budget; the bench adds ones that may fit a budget of gigabytes but
# take seconds and gigabytes to build (the suite cannot afford those).
SIZES = (10 ** 10, 10 ** 12, 2 ** 40, 2 ** 63)
LARGE_SIZES = (10 ** 5, 10 ** 6, 10 ** 9)

FIXED_EXPRESSIONS = [
    "=0**-1", "=1/0", "=1//0", "=1%0", "=0.0**-1", "=2.0**10000", "=9**9**9", "=10**10**8",
    "=2**2**2**2**2", "=99999999**99999999", "=(10**1000)**1000", "=(-1)**0.5", "=1e308*10",
    "=1e308*10-1e308*10", "=width**width**width", "=__import__('os').system('true')",
    "=open('x')", "=(lambda: 1)()", "=[1]*10**9", "='a'*10**9", "=x.__class__", "=1 if 1 else 0",
    "=not 1", "=+1", "=~1", "=1<<10**9", "=width@width", "=", "= ", "=1;2", "=1\n+1", "=$width",
    "=3.7", "=-0", "=True", "=None", "=1_000", "=0x10", "=1j", "=2**-1074/2", "=1e-400",
    "=10**4301", "=int('1'*5000)", "=width/0", "=-(2**63)",
]


def expression(pick) -> str:
    """A fixed hostile expression, or a generated long one (unary chains, nesting, sums)."""
    shape = pick.choice(["fixed", "fixed", "unary", "parens", "sum", "powers", "product"])
    n = pick.choice([10, 200, 1000, 3000, 20000])
    if shape == "unary":
        return "=" + "-" * n + "1"
    if shape == "parens":
        return "=" + "(" * n + "1" + ")" * n
    if shape == "sum":
        return "=" + "+".join(["1"] * n)
    if shape == "powers":
        return "=" + "**".join(["9"] * min(n, 50))
    if shape == "product":
        return "=" + "*".join(["99999999999"] * n)
    return pick.choice(FIXED_EXPRESSIONS)


def value_slots(raw) -> list[tuple[object, object, str]]:
    """(container, key, place) of every param value (and each item of a list param), every
    variable and preset value, and the training numbers."""
    out = []
    for where, _, node in graph_nodes(raw):
        params = node.get("params")
        if isinstance(params, dict):
            for key, value in params.items():
                out.append((params, key, f"{where}.params.{key}"))
                if isinstance(value, list):
                    out += [(value, i, f"{where}.params.{key}[{i}]") for i in range(len(value))]
    if isinstance(raw, dict):
        for section in ("variables", "training"):
            if isinstance(raw.get(section), dict):
                out += [(raw[section], k, f"{section}.{k}") for k in raw[section]]
        for name, preset in (raw.get("presets") or {}).items() if \
                isinstance(raw.get("presets"), dict) else ():
            if isinstance(preset, dict):
                out += [(preset, k, f"presets.{name}.{k}") for k in preset]
    return out


def _put(d: Draft, pick, value, slots) -> str:
    if not slots:
        return put_anywhere(d, pick, value)
    container, key, place = pick.choice(slots)
    container[key] = copy.deepcopy(value)
    return f"{place} = {describe(value)}"


def put_anywhere(d: Draft, pick, value) -> str:
    """``value`` at a random place in the tree (the whole document if it has no places)."""
    found = locations(d.raw)
    if not found:
        d.raw = copy.deepcopy(value)
        return f"document = {describe(value)}"
    container, key, place = pick.choice(found)
    container[key] = copy.deepcopy(value)
    return f"{place} = {describe(value)}"


# -- expressions -------------------------------------------------------------------------------

def expression_param(d: Draft, pick) -> str:
    return _put(d, pick, expression(pick), value_slots(d.raw))


def variable_cycle(d: Draft, pick) -> str:
    """Variables defined by themselves or by each other."""
    if not isinstance(d.raw, dict):
        return expression_param(d, pick)
    if not isinstance(d.raw.get("variables"), dict):
        d.raw["variables"] = {}
    variables = d.raw["variables"]
    names = list(variables) or ["width"]
    a, b = pick.choice(names), pick.choice(names + ["other"])
    variables[a], variables[b] = f"={b}*2", f"${a}" if a != b else f"={a}+1"
    return f"variables.{a} = {variables[a]!r}, variables.{b} = {variables[b]!r}"


def unknown_reference(d: Draft, pick) -> str:
    value = pick.choice(["$nope", "$", "=nope*2", "$" + "v" * 5000, "$width$", "$ width",
                         "$__class__", "$0"])
    return _put(d, pick, value, value_slots(d.raw))


# -- numbers -----------------------------------------------------------------------------------

NUMBERS = [10 ** 12, 2 ** 31, 2 ** 63, 2 ** 64, -2 ** 63 - 1, 10 ** 18, -1, -10 ** 9, 0, 1e308,
           1.5, -0.0, 5e-324, float("nan"), float("inf"), float("-inf"), True, 10 ** 4000]
RAW_NUMBERS = ["1" + "0" * 4300, "9" * 5000, "-" + "7" * 4301, "1e999999", "-1e-999999",
               "0." + "0" * 5000 + "1", "1" * 100_000, "1E400", "-0"]


def number_param(d: Draft, pick) -> str:
    """A plain hostile number, or one spliced as text (4,301 digits, 1e999999)."""
    slots = value_slots(d.raw)
    if pick.integer(0, 2):
        return _put(d, pick, pick.choice(NUMBERS), slots)
    text = pick.choice(RAW_NUMBERS)
    label = _put(d, pick, d.raw_value(text), slots)
    return label.split(" = ")[0] + f" = {describe(text)} (raw)"


def huge_layer(d: Draft, pick) -> str:
    """A size param or variable that asks for 10**12 channels (or a negative size)."""
    slots = [s for s in value_slots(d.raw) if isinstance(s[1], str) and
             (s[1] in SIZE_KEYS or s[2].startswith("variables."))]
    sizes = SIZES + (-1, -64, 0) + (LARGE_SIZES if pick.large else ())
    return _put(d, pick, pick.choice(sizes), slots)


def paper_preset(d: Draft, pick) -> str:
    """The document's variables set to its largest preset (real sizes, real allocations)."""
    presets = d.raw.get("presets") if isinstance(d.raw, dict) else None
    if not (isinstance(presets, dict) and presets and pick.large):
        return huge_layer(d, pick)
    name = pick.choice(sorted(p for p in presets if p != "small") or sorted(presets))
    if isinstance(presets[name], dict) and isinstance(d.raw.get("variables"), dict):
        d.raw["variables"].update(copy.deepcopy(presets[name]))
    return f"variables = presets.{name}"


def odd_shape(d: Draft, pick) -> str:
    inputs = [(w, n) for w, _, n in graph_nodes(d.raw)
              if n.get("type") in ("io.Input", "io.Target") and isinstance(n.get("params"), dict)]
    if not inputs:
        return huge_layer(d, pick)
    where, node = pick.choice(inputs)
    shape = pick.choice([[], [0], [-1, 8], [10 ** 12], [10 ** 5] * 4, [1] * 100, [3, 2 ** 31, 2],
                         [1.5, 2], ["3", "4"], [[3]], [None], 5, "3x32x32"])
    node["params"]["shape"] = shape
    return f"{where}.params.shape = {describe(shape)}"


# -- encodings ---------------------------------------------------------------------------------

STRINGS = ["\ud800", "\udfff", "a\ud800b", "\x00", "a\x00b", "\x1b[2J", "\u202eevil", "\ufeff",
           "ノード", "😀", "e\u0301", "../a/b", "/etc/passwd", "__fc", "C:\\x", "con", "", " ",
           "\n", '"""; import os  #', "$", "=", "-1", "a:b", "a.b", "1abc", "class", "self"]


def odd_string(pick) -> str:
    n = pick.choice([0, 0, 0, 1000, 100_000] + ([1_000_000] if pick.large else []))
    return "é" * n if n else pick.choice(STRINGS)


def string_slots(raw) -> list[tuple[object, object, str]]:
    """Names a user or a program can put anything in: ids, types, names, ports, meta."""
    out = [(n, k, f"{w}.{k}") for w, _, n in graph_nodes(raw) for k in ("id", "name", "type")]
    for w, _, e in graph_edges(raw):
        out += [(e[k], i, f"{w}.{k}[{i}]") for k in ("src", "dst")
                if isinstance(e.get(k), list) for i in range(len(e[k]))]
    out += [s for s in value_slots(raw) if isinstance(s[0][s[1]], str)]
    if isinstance(raw, dict) and isinstance(raw.get("meta"), dict):
        out += [(raw["meta"], k, f"meta.{k}") for k in ("name", "title", "description")]
    return out


def odd_text(d: Draft, pick) -> str:
    """A surrogate, control character, path, keyword or very long string as an id or name."""
    return _put(d, pick, odd_string(pick), string_slots(d.raw))


def odd_key(d: Draft, pick) -> str:
    """A dict key (a variable, block, network, param or meta name) renamed to an odd string;
    the references to it stay as they were."""
    found = [(c, k, p) for c, k, p in locations(d.raw) if isinstance(c, dict)]
    if not found:
        return odd_text(d, pick)
    container, key, place = pick.choice(found)
    new = odd_string(pick)
    container[new] = container.pop(key)
    return f"{place} renamed {describe(new)}"


def deep_nesting(d: Draft, pick) -> str:
    """Lists or objects nested 100 to 100,000 deep, spliced as text (json.dumps would recurse)."""
    depth = pick.choice([100, 1000, 5000, 100_000])
    text = "[" * depth + "]" * depth if pick.integer(0, 1) else \
        '{"a":' * depth + "1" + "}" * depth
    token = d.raw_value(text)
    slots = value_slots(d.raw)
    label = _put(d, pick, token, slots) if pick.integer(0, 1) else put_anywhere(d, pick, token)
    return label.split(" = ")[0] + f" = nesting {depth} deep"


def _truncate(at: float):
    return lambda data: data[: int(len(data) * at)]


BYTE_EDITS = {
    "utf-8 BOM": lambda data: b"\xef\xbb\xbf" + data,
    "utf-16": lambda data: data.decode("utf-8", "replace").encode("utf-16"),
    "invalid utf-8": lambda data: data.replace(b'"', b'"\xff\xfe', 1),
    "NUL bytes": lambda data: data + b"\x00" * 8,
    "truncated at 50%": _truncate(0.5),
    "truncated at 99%": _truncate(0.99),
    "empty file": lambda data: b"",
    "no newline, CRLF": lambda data: data.replace(b"\n", b"\r\n").rstrip(),
    "duplicate keys": lambda data: data.replace(b'"id": ', b'"id": "dup", "id": ', 3),
    "not JSON": lambda data: b"netstudio " + data,
}


def odd_bytes(d: Draft, pick) -> str:
    name = pick.choice(sorted(BYTE_EDITS))
    d.edit_bytes(BYTE_EDITS[name])
    return f"file bytes: {name}"


def many_nodes(d: Draft, pick) -> str:
    """A long chain of cheap nodes spliced in front of an Output (a large but sane document)."""
    found = [(w, g, n) for w, g, n in graph_nodes(d.raw) if n.get("type") == "io.Output" and
             isinstance(g.get("edges"), list)]
    if not found:
        return deep_nesting(d, pick)
    where, graph, output = pick.choice(found)
    into = [e for e in graph["edges"] if isinstance(e, dict) and isinstance(e.get("dst"), list)
            and e["dst"][:1] == [output.get("id")]]
    if not into:
        return deep_nesting(d, pick)
    count = pick.choice([100, 1000, 3000] if pick.large else [10, 50])
    src = into[0]["src"]
    for i in range(count):
        graph["nodes"].append({"id": f"chain{i}", "type": "activation.ReLU", "params": {}})
        graph["edges"].append({"src": src, "dst": [f"chain{i}", "x"]})
        src = [f"chain{i}", "y"]
    into[0]["src"] = src
    return f"{where}: {count} ReLU nodes chained before it"


VALUE_MUTATIONS = {
    "expressions": [expression_param, expression_param, variable_cycle, unknown_reference],
    "numbers": [number_param, number_param, huge_layer, paper_preset, odd_shape],
    "encodings": [odd_text, odd_text, odd_key, deep_nesting, odd_bytes, many_nodes],
}
