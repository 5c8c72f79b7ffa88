"""Document network -> ``torch.fx.GraphModule`` with readable code and a map back to the canvas.

Validate, order topologically, infer shapes, then emit one fx node per document node:
placeholders for Input (and, for training, Target) nodes, ``call_module`` for layers, a nested
GraphModule per Block node (an ``nn.Sequential`` of them when repeated: ``model.layer1[0].conv1``),
and ``getitem`` for extra output ports. The inference module keeps only what feeds an Output;
the training module also computes the loss nodes and returns ``{"outputs": …, "losses": …}``.
A tied node (``nodes/tied.py``) gets the tied Linear's ``weight`` as a second argument
(``self.decoder(h, self.encoder.weight)``): one Parameter, so code export, ONNX and training
all see the tie.
"""
from __future__ import annotations

import keyword
import operator
from dataclasses import dataclass, field

import torch
from torch import fx, nn

import nodes
from nodes.base import BLOCK, BLOCK_INPUT, BLOCK_OUTPUT, INPUT, LOSS, OUTPUT, TARGET, BuildContext
from studio.core.diagnostics import ERROR, Diagnostic
from studio.core.document import Document
from studio.core.names import class_name_for, identifier_chars
from studio.core.ports import node_ports
from studio.core.shapes import NetworkShapes, ShapeInference
from studio.core.ties import ties
from studio.core.validate import validate_network

# GraphModule adds attributes of its own (`code`, `graph`): a node called "code" must not clash.
_RESERVED = set(dir(nn.Module())) | set(dir(fx.GraphModule)) | set(keyword.kwlist) | {
    "torch", "nn", "self", "operator"}


class CompileError(Exception):
    """The network has errors; ``diagnostics`` says which and where."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("; ".join(map(str, diagnostics[:5])) +
                         (f" (and {len(diagnostics) - 5} more)" if len(diagnostics) > 5 else ""))


class NodeRuntimeError(RuntimeError):
    """A forward pass failed inside a node; ``node_id`` selects it on the canvas."""

    def __init__(self, node_id: str, message: str):
        self.node_id = node_id
        super().__init__(f"{node_id}: {message}")


@dataclass
class Compiled:
    module: fx.GraphModule
    node_map: dict = field(default_factory=dict)  # fx module name -> document node id
    inputs: list = field(default_factory=list)  # placeholder names, in call order
    targets: list = field(default_factory=list)
    outputs: list = field(default_factory=list)  # output names
    losses: dict = field(default_factory=dict)  # loss node id -> weight
    shapes: NetworkShapes | None = None

    def node_of(self, fx_name: str) -> str | None:
        head = fx_name.split(".")[0]
        return self.node_map.get(head)

    def run_located(self, *args):
        """Forward; on failure re-run node by node and raise :class:`NodeRuntimeError`."""
        try:
            return self.module(*args)
        except Exception as first:
            locate = _Locator(self.module)
            try:
                locate.run(*args)
            except NodeRuntimeError as e:
                raise NodeRuntimeError(self.node_of(e.node_id) or e.node_id, str(first)) from first
            raise


class _Locator(fx.Interpreter):
    def run_node(self, n):
        try:
            return super().run_node(n)
        except Exception as e:
            raise NodeRuntimeError(str(n.target), str(e)) from e


def legal_name(text: str, taken: set) -> str:
    """A unique Python identifier for ``text`` that clashes with no ``nn.Module`` attribute.
    A leading ``__`` gets the prefix too: inside the exported class ``self.__fc`` would be
    name-mangled to ``self._Model__fc`` and the class could not load the weights (``_`` too:
    its unique variant would be ``__2``)."""
    name = identifier_chars(text) or "node"
    if name[0].isdigit() or name in _RESERVED or name.startswith("__") or name == "_":
        name = f"n_{name}"
    base, k = name, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def _needed(graph, training: bool) -> set:
    """The nodes the module computes: everything for training, else what feeds an Output."""
    if training:
        return set(graph.nodes)
    import networkx as nx  # see studio.core.shapes: only where a graph algorithm runs
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.src[0], e.dst[0]) for e in graph.edges)
    sinks = [n.id for n in graph.nodes.values()
             if (t := nodes.lookup(n.type)) and t.role in (OUTPUT, BLOCK_OUTPUT)]
    keep = set(sinks)
    for s in sinks:
        keep |= nx.ancestors(g, s)
    return keep


class _Emitter:
    """Builds one fx graph (a network or a block body) from inferred shapes."""

    def __init__(self, doc, scope, shapes, training, inference: ShapeInference, variables):
        self.doc, self.scope, self.shapes, self.training = doc, scope, shapes, training
        self.inference, self.variables = inference, variables
        self.root = nn.Module()
        self.graph = fx.Graph()
        self.values: dict[tuple, fx.Node] = {}
        self.result = Compiled(None)
        self.taken = set()
        self.module_names: dict[str, str] = {}  # node id -> its module's name in self.root

    def emit(self) -> Compiled:
        doc_graph = self.doc.graph(self.scope)
        self.ties = ties(doc_graph, self.shapes.params)
        needed = _needed(doc_graph, self.training)
        order = [n for n in self.shapes.order if n in needed]
        kinds = {nid: nodes.lookup(doc_graph.nodes[nid].type) for nid in order}
        # placeholders first, in a stable order: inputs, then targets
        for role in (INPUT, BLOCK_INPUT, TARGET):
            for nid in order:
                if kinds[nid].role == role and (role != TARGET or self.training):
                    self._placeholder(doc_graph.nodes[nid], role)
        outputs, losses = {}, {}
        for nid in order:
            node, t = doc_graph.nodes[nid], kinds[nid]
            if t.role in (INPUT, BLOCK_INPUT, TARGET):
                continue
            args = self._args(doc_graph, node)
            if t.role in (OUTPUT, BLOCK_OUTPUT):
                outputs[self.shapes.params[nid]["name"]] = args[0]
                continue
            value = self._call(node, t, args)
            if t.role == LOSS:
                losses[nid] = value
                self.result.losses[nid] = float(self.shapes.params[nid].get("weight", 1.0))
        self.result.outputs = list(outputs)
        if self.training:
            self.graph.output({"outputs": outputs, "losses": losses})
        else:
            values = list(outputs.values())
            self.graph.output(values[0] if len(values) == 1 else tuple(values))
        self.graph.lint()
        name = class_name_for(self.scope.split(":", 1)[-1])  # "block:BasicBlock" -> BasicBlock
        self.result.module = module = fx.GraphModule(self.root, self.graph, class_name=name)
        for child in self.module_names.values():
            # a tied Linear the graph never calls is copied as a bare holder of its weight:
            # put the layer itself back (the same Parameter), so code export can write it
            setattr(module, child, self.root.get_submodule(child))
        return self.result

    def _placeholder(self, node, role):
        name = legal_name(self.shapes.params[node.id]["name"], self.taken)
        self.values[(node.id, "y")] = self.graph.placeholder(name)
        (self.result.targets if role == TARGET else self.result.inputs).append(name)
        self.result.node_map[name] = node.id

    def _args(self, doc_graph, node):
        in_ports, _ = node_ports(self.doc, node)
        args = []
        for port in in_ports:
            edge = doc_graph.edge_into(node.id, port.name)
            args.append(self.values[edge.src] if edge else None)
        while args and args[-1] is None:
            args.pop()
        return args

    def _module(self, node, t) -> str:
        """The name of ``node``'s module in the root, built and added once (a tie may need the
        tied Linear before its own turn, or even when the module never calls it)."""
        if node.id in self.module_names:
            return self.module_names[node.id]
        name = legal_name(node.id, self.taken)
        if t.role == BLOCK:
            module = self._block_module(node)
        else:
            ctx = BuildContext(self.shapes.params[node.id], self.shapes.inputs[node.id])
            module = t.build(ctx)
        self.root.add_module(name, module)
        self.result.node_map[name] = node.id
        self.module_names[node.id] = name
        return name

    def _tied_weight(self, node) -> list:
        """``[get_attr of the tied Linear's weight]`` for a tied node, else ``[]``."""
        target = self.ties.get(node.id)
        if not target:
            return []
        tied = self.doc.graph(self.scope).nodes[target]  # validated: it exists, it is a Linear
        return [self.graph.get_attr(f"{self._module(tied, nodes.lookup(tied.type))}.weight")]

    def _call(self, node, t, args):
        name = self._module(node, t)
        value = self.graph.call_module(name, tuple(args + self._tied_weight(node)))
        _, out_ports = node_ports(self.doc, node)
        if len(out_ports) == 1:
            self.values[(node.id, out_ports[0].name)] = value
        else:
            for i, port in enumerate(out_ports):
                self.values[(node.id, port.name)] = self.graph.call_function(
                    operator.getitem, (value, i))
        return value

    def _block_module(self, node) -> nn.Module:
        params = self.shapes.params[node.id]
        name = params["block"]
        block = self.doc.blocks[name]
        from studio.core import params as P
        args = {**{k: P.resolve(v, self.variables) for k, v in block.params.items()},
                **{k: v for k, v in params.items() if k not in ("block", "repeat")}}
        inner_vars = {**self.variables, **args}
        in_ports, _ = node_ports(self.doc, node)
        specs = self.shapes.inputs[node.id]
        parts = []
        for _ in range(params.get("repeat", 1)):
            feed = dict(zip([p.name for p in in_ports], specs))
            shapes = self.inference.infer(self.doc, f"block:{name}", inner_vars, feed)
            part = _Emitter(self.doc, f"block:{name}", shapes, False, self.inference,
                            inner_vars).emit().module
            parts.append(part)
            outs = [n for n in block.graph.nodes.values() if n.type == "io.BlockOutput"]
            specs = [(shapes.inputs.get(n.id) or [None])[0] for n in outs]
        return parts[0] if len(parts) == 1 else nn.Sequential(*parts)


def compile_network(doc: Document, network: str = "model", variables: dict | None = None, *,
                    training: bool = False, seed: int | None = None,
                    inference: ShapeInference | None = None) -> Compiled:
    """Compile one network of ``doc``; raises :class:`CompileError` with its diagnostics.
    Pass the editor's ``inference`` to reuse its cached shapes."""
    inference = inference or ShapeInference()
    diagnostics, shapes, variables = validate_network(doc, network, variables, inference)
    errors = [d for d in diagnostics if d.severity == ERROR]
    if errors:
        raise CompileError(errors)
    if seed is not None:
        torch.manual_seed(seed)
    compiled = _Emitter(doc, network, shapes, training, inference, variables).emit()
    compiled.shapes = shapes
    return compiled
