"""Items -> a document: the module hierarchy becomes blocks, names come from module paths.

A submodule whose operations have the same structure as another submodule's (ResNet's
``layer1.1`` and ``layer2.1``: same layers, same wiring, other channel counts) becomes a Block
node; all of them share one block definition per distinct structure, and the settings that
differ between them (``out_channels``, ``stride``...) become the block's parameters. Other
submodules are inlined, their nodes named by the path below the graph they sit in
(``layer1.0.downsample.0`` -> ``downsample_0`` inside the block). Nested repeats nest blocks.

Node ids are legal fx names from the start, so the compiled module's names are the ids and the
``state_dict`` keys can be made here: ``layer1_0.conv1.weight``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

import nodes
from studio.compile.fx import legal_name
from studio.core.document import BlockDef, Document, Edge, Graph, Node
from studio.importer.convert import INPUT, Converted

BLOCK_TYPE = "block.Block"
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def _port(k: int, stem: str) -> str:
    return stem if k == 0 else f"{stem}{k + 1}"


def _child(scope: str, of: str) -> str | None:
    """The direct child of module path ``of`` on the way to ``scope`` (None: scope is ``of``)."""
    if scope == of:
        return None
    rest = scope[len(of) + 1:] if of else scope
    head = rest.split(".", 1)[0]
    return f"{of}.{head}" if of else head


def _relative(path: str, of: str) -> str:
    return path[len(of) + 1:] if of else path


def _inside(scope: str, of: str) -> bool:
    return not of or scope == of or scope.startswith(of + ".")


def _fixed(value) -> bool:
    """Settings that stay in a block's structure instead of becoming its parameters: text and
    switches (a different padding mode or bias is a different layer, not a different size)."""
    return isinstance(value, (str, bool)) or value is None


@dataclass
class ScopeGraph:
    nodes: list = field(default_factory=list)  # Node
    edges: list = field(default_factory=list)  # (ref, (node id, port))
    ports: dict = field(default_factory=dict)  # ref -> (node id, output port)
    inputs: list = field(default_factory=list)  # external refs, in first-use order
    outputs: list = field(default_factory=list)  # refs used outside, in order
    keypaths: dict = field(default_factory=dict)  # item name -> ids down to the node


@dataclass
class Group:
    name: str
    args: dict  # module path -> {block param: value}


class DocumentBuilder:
    def __init__(self, converted: Converted, root_module, input_shape: tuple, title: str):
        self.items, self.model_outputs = converted.items, converted.outputs
        self.root_module, self.input_shape, self.title = root_module, input_shape, title
        self.index = {it.name: i for i, it in enumerate(self.items)}
        self.used_by: dict[tuple, list[int]] = {}  # ref -> consumer item indices
        for i, it in enumerate(self.items):
            for ref in it.inputs:
                self.used_by.setdefault(tuple(ref), []).append(i)
        self.output_refs = {tuple(ref) for _, ref in self.model_outputs}
        self.refs_of: dict[str, list] = {}  # item name -> its refs that something reads
        for ref in sorted(set(self.used_by) | self.output_refs, key=repr):
            self.refs_of.setdefault(ref[0], []).append(ref)
        self._subtrees: dict[str, list] = {}
        self.doc = Document()
        self._signatures: dict[str, tuple] = {}
        self._scope_graphs: dict[str, ScopeGraph] = {}
        self._groups: dict[tuple, Group] = {}
        paths = set()
        for it in self.items:
            parts = it.scope.split(".") if it.scope else []
            paths.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
        counts: dict[tuple, int] = {}
        for path in paths:
            counts[self.signature(path)] = counts.get(self.signature(path), 0) + 1
        # Containers (Sequential, ModuleList) are inlined: the repeated units inside them are
        # what a reader names (ResNet's BasicBlock, not "layer2").
        self.blocked = {p for p in paths
                        if counts[self.signature(p)] >= 2 and len(self.subtree(p)) >= 2
                        and not isinstance(root_module.get_submodule(p), _CONTAINERS)}

    # ---- structure ----------------------------------------------------------------------
    def subtree(self, path: str) -> list:
        if path not in self._subtrees:
            self._subtrees[path] = [it for it in self.items if _inside(it.scope, path)]
        return self._subtrees[path]

    def _boundary(self, path: str):
        its = self.subtree(path)
        names = {it.name for it in its}
        inputs = []
        for it in its:
            for ref in it.inputs:
                if ref[0] not in names and tuple(ref) not in inputs:
                    inputs.append(tuple(ref))
        outputs = []
        for it in its:
            for ref in self.refs_of.get(it.name, ()):
                outside = ref in self.output_refs or any(
                    self.items[i].name not in names for i in self.used_by.get(ref, ()))
                if outside and ref not in outputs:
                    outputs.append(ref)
        return its, names, inputs, outputs

    def signature(self, path: str) -> tuple:
        if path not in self._signatures:
            its, names, inputs, outputs = self._boundary(path)
            local = {it.name: k for k, it in enumerate(its)}
            rows = []
            for it in its:
                ins = tuple(("i", local[r[0]], r[1]) if r[0] in names else
                            ("e", inputs.index(tuple(r))) for r in it.inputs)
                fixed = tuple(sorted((k, repr(v)) for k, v in it.params.items() if _fixed(v)))
                rows.append((_relative(it.scope, path) if it.scope != path else "", it.stem,
                             it.type_id, tuple(sorted(it.params)), fixed, ins))
            outs = tuple((local[r[0]], r[1]) for r in outputs)
            self._signatures[path] = (tuple(rows), len(inputs), outs)
        return self._signatures[path]

    # ---- graphs -------------------------------------------------------------------------
    def scope_graph(self, path: str, root: bool = False) -> ScopeGraph:
        key = "" if root else path
        if key in self._scope_graphs and not root:
            return self._scope_graphs[key]
        sg = ScopeGraph()
        its, names, sg.inputs, sg.outputs = self._boundary(path)
        taken: set[str] = set()
        if root:
            shape = list(self.input_shape[1:])
            sg.nodes.append(Node("x", "io.Input", {"name": "x", "shape": shape,
                                                   "dtype": "float32", "field": "x"}))
            taken.add("x")
            sg.ports[(INPUT, None)] = ("x", "y")
        else:
            for k, ref in enumerate(sg.inputs):
                name = legal_name(_port(k, "x"), taken)
                sg.nodes.append(Node(name, "io.BlockInput", {"name": _port(k, "x")}))
                sg.ports[ref] = (name, "y")
        emitted: dict[str, str] = {}  # blocked child path -> its Block node id
        for it in its:
            child = _child(it.scope, path)
            while child is not None and child not in self.blocked:
                child = _child(it.scope, child)
            if child is not None:
                if child not in emitted:
                    emitted[child] = self._block_node(sg, child, path, taken)
                continue
            self._layer_node(sg, it, path, taken)
        if root:
            for name, ref in self.model_outputs:
                nid = legal_name(name, taken)
                sg.nodes.append(Node(nid, "io.Output", {"name": name}))
                sg.edges.append((tuple(ref), (nid, "x")))
        else:
            for k, ref in enumerate(sg.outputs):
                nid = legal_name("out" if k == 0 else f"out{k + 1}", taken)
                sg.nodes.append(Node(nid, "io.BlockOutput", {"name": _port(k, "y")}))
                sg.edges.append((ref, (nid, "x")))
            self._scope_graphs[key] = sg
        return sg

    def _layer_node(self, sg, it, path, taken):
        rel = _relative(it.owner, path) if it.owner else (
            (_relative(it.scope, path) + "." if it.scope != path else "") + it.stem)
        nid = legal_name(rel.replace(".", "_"), taken)
        sg.nodes.append(Node(nid, it.type_id, dict(it.params)))
        t = nodes.lookup(it.type_id)
        ins = [p.name for p in t.inputs] if t else [f"in{k + 1}" for k in range(len(it.inputs))]
        outs = [p.name for p in t.outputs] if t else ["y"]
        for port, ref in zip(ins, it.inputs):
            sg.edges.append((tuple(ref), (nid, port)))
        sg.ports[(it.name, None)] = (nid, outs[0] if outs else "y")
        for k, port in enumerate(outs):
            sg.ports[(it.name, k)] = (nid, port)
        sg.keypaths[it.name] = (nid,)

    def _block_node(self, sg, child, path, taken) -> str:
        group = self.group(self.signature(child))
        inner = self.scope_graph(child)
        nid = legal_name(_relative(child, path).replace(".", "_"), taken)
        sg.nodes.append(Node(nid, BLOCK_TYPE, {"block": group.name, "repeat": 1,
                                               **group.args[child]}))
        for k, ref in enumerate(inner.inputs):
            sg.edges.append((ref, (nid, _port(k, "x"))))
        for k, ref in enumerate(inner.outputs):
            sg.ports[ref] = (nid, _port(k, "y"))
            if ref[1] is None:
                sg.ports.setdefault((ref[0], 0), (nid, _port(k, "y")))
        for name, keypath in inner.keypaths.items():
            sg.keypaths[name] = (nid, *keypath)
        return nid

    def group(self, sig: tuple) -> Group:
        if sig in self._groups:
            return self._groups[sig]
        paths = sorted((p for p in self.blocked if self.signature(p) == sig),
                       key=lambda p: self.index[self.subtree(p)[0].name])
        graphs = [self.scope_graph(p) for p in paths]
        first = graphs[0]
        params, args = {}, {p: {} for p in paths}
        taken = {"block", "repeat"}
        body = Graph()
        for k, node in enumerate(first.nodes):
            values = dict(node.params)
            for key, value in node.params.items():
                others = [g.nodes[k].params.get(key) for g in graphs]
                if any(o != value for o in others):
                    name = legal_name(f"{node.id}_{key}", taken)
                    params[name] = value
                    values[key] = f"${name}"
                    for p, other in zip(paths, others):
                        args[p][name] = other
            body.nodes[node.id] = Node(node.id, node.type, values)
        body.edges = [Edge(first.ports[ref], dst) for ref, dst in first.edges]
        cls = type(self.root_module.get_submodule(paths[0])).__name__
        name = legal_name(cls, set(self.doc.blocks))
        self.doc.blocks[name] = BlockDef(body, params, doc=f"from {', '.join(paths[:4])}"
                                         + (" ..." if len(paths) > 4 else ""))
        self._groups[sig] = Group(name, args)
        return self._groups[sig]

    def build(self) -> tuple[Document, dict]:
        sg = self.scope_graph("", root=True)
        graph = Graph({n.id: n for n in sg.nodes},
                      [Edge(sg.ports[ref], dst) for ref, dst in sg.edges])
        # blocks were added while building; the network goes first in the file
        self.doc.networks = {"model": graph}
        self.doc.meta = {"name": self.title}
        return self.doc, sg.keypaths
