"""Shape inference for whole networks: every node run on meta tensors in topological order.

Results are cached per (type, resolved params, input specs), so after an edit only the edited node
and the nodes whose inputs changed run again; the rest is a dictionary hit. Problems never raise:
they become diagnostics on the node that say what was expected and what was received.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import nodes
from nodes.base import BLOCK, BLOCK_INPUT, BLOCK_OUTPUT, INPUT, OUTPUT, TARGET, TensorSpec
from studio.core import params as P
from studio.core.diagnostics import ERROR, Diagnostic
from studio.core.document import Document, Graph
from studio.core.meta import BudgetError, check_tensor, check_weights, infer_node, stand_in, trim
from studio.core.ports import block_ports, node_ports
from studio.core.threads import single_threaded
from studio.core.ties import tie_diagnostics

BATCH = 2  # the batch size used for inference; displayed as the symbol N
MAX_REPEAT = 1_000  # copies of one Block node; each is expanded (and compiled) on its own
MAX_BLOCK_DEPTH = 16  # blocks inside blocks; deeper nesting is a runaway document, not a design


@dataclass
class NetworkShapes:
    """Per node: resolved params, input specs and output specs (None where unknown)."""

    params: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    diagnostics: list = field(default_factory=list)
    order: list = field(default_factory=list)
    param_counts: dict = field(default_factory=dict)  # node id -> trainable parameters

    @property
    def total_params(self) -> int:
        return sum(self.param_counts.values())

    def edge_spec(self, edge) -> TensorSpec | None:
        node, port = edge.src
        outs = self.outputs.get(node) or {}
        return outs.get(port)


def _dependency_graph(graph: Graph):
    # networkx is imported where a graph algorithm runs: at the top of this module (which
    # every command imports) it would cost each one ~0.15 s of start-up, and the usual
    # document (edges pointing forward in it) needs no sort at all
    import networkx as nx
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.src[0], e.dst[0]) for e in graph.edges
                     if e.src[0] in graph.nodes and e.dst[0] in graph.nodes)
    return g


def topological_order(graph: Graph, scope: str) -> tuple[list[str], list[Diagnostic]]:
    """Nodes in dependency order; nodes on a cycle are left out and named in a diagnostic."""
    position = {nid: i for i, nid in enumerate(graph.nodes)}  # ties keep the document order
    if all(position.get(e.src[0], -1) < position.get(e.dst[0], -1) for e in graph.edges):
        # every edge points forward in the document (nodes are usually added in data order):
        # the sort below would return the document order itself
        return list(graph.nodes), []
    import networkx as nx  # see _dependency_graph
    g = _dependency_graph(graph)
    try:  # a DAG: one sort, no search for cycles
        return list(nx.lexicographical_topological_sort(g, key=position.__getitem__)), []
    except nx.NetworkXUnfeasible:
        pass  # a cycle: found and named below, the rest still sorted
    diags, cyclic = [], set()
    for component in nx.strongly_connected_components(g):
        if len(component) > 1 or any(g.has_edge(n, n) for n in component):
            ordered = [n for n in graph.nodes if n in component]
            cyclic |= component
            diags.append(Diagnostic(ERROR, "cycle: " + " -> ".join([*ordered, ordered[0]]) +
                                    " (a feed-forward graph cannot loop; use a recurrent node)",
                                    scope, ordered[0]))
    g.remove_nodes_from(cyclic)
    return list(nx.lexicographical_topological_sort(g, key=position.__getitem__)), diags


def _key(type_id: str, params: dict, specs: list, block: str | bool) -> str:
    """A cache key: the reprs of plain values (JSON-loaded params, shapes), the same exactly
    for the same values of the same types (``1``, ``1.0`` and ``True`` differ); each repr is
    a whole literal, so the joined string splits one way only. A third of the cost of
    ``json.dumps(sort_keys=True)``, which was paid for every node. Params keep their order
    (the type's defaults first), so equal params give equal keys here and in a training
    child that reads the same document."""
    shapes = [None if s is None else (s.shape, s.dtype) for s in specs]
    return f"{type_id}|{params!r}|{shapes!r}|{block!r}"


class ShapeInference:
    """Infers shapes for the networks of documents, remembering every node result it computed."""

    def __init__(self, max_entries: int = 50_000, cpu: bool | None = None):
        self.cache: dict[str, tuple] = {}
        self.cpu = cpu  # real CPU runs of small nodes: None decides (see studio.core.meta)
        self.max_entries = max_entries
        self.runs = 0  # module builds actually executed (for tests and benchmarks)
        self._orders: dict[str, tuple] = {}  # scope -> (structure, order, diagnostics)
        self._expanding: list[str] = []  # blocks being expanded now, outermost first
        self._used: set[str] | None = None  # cache keys read, while entries_for records them

    def infer(self, doc: Document, scope: str, variables: dict | None = None,
              block_inputs: dict | None = None) -> NetworkShapes:
        """Shapes of the graph ``scope`` under ``variables`` (default: the document's)."""
        with single_threaded():  # the stand-in runs are tiny: see studio.core.threads
            return self._infer(doc, scope, variables, block_inputs)

    def _infer(self, doc, scope, variables, block_inputs) -> NetworkShapes:
        graph = doc.graph(scope)
        if variables is None:
            from studio.core.variables import scope_for
            try:
                variables = scope_for(doc)
            except P.ParamError as e:
                variables = dict(doc.variables)
                result = NetworkShapes(diagnostics=[Diagnostic(ERROR, str(e), scope,
                                                               path="variables")])
                return self._infer_graph(doc, scope, graph, variables, block_inputs or {}, result)
        return self._infer_graph(doc, scope, graph, variables, block_inputs or {}, NetworkShapes())

    def _order(self, graph: Graph, scope: str) -> tuple[list, list]:
        """Topological order, recomputed only when nodes or edges changed (not on param edits)."""
        structure = (tuple(graph.nodes), tuple(graph.edges))
        cached = self._orders.get(scope)
        if cached is None or cached[0] != structure:
            cached = (structure, *topological_order(graph, scope))
            self._orders[scope] = cached
        return list(cached[1]), list(cached[2])

    def _infer_graph(self, doc, scope, graph, variables, block_inputs, result):
        result.order, cycle_diags = self._order(graph, scope)
        result.diagnostics.extend(cycle_diags)
        into = {e.dst: e for e in graph.edges}  # one pass instead of a scan per port
        for nid in result.order:
            node = graph.nodes[nid]
            outs, diags = self._infer_node(doc, scope, into, node, variables, block_inputs, result)
            result.outputs[nid] = outs
            result.diagnostics.extend(diags)
        result.diagnostics.extend(tie_diagnostics(scope, graph, result))  # need the shapes
        return result

    def _infer_node(self, doc, scope, into, node, variables, block_inputs, result):
        t = nodes.lookup(node.type)
        if t is None:
            return {}, [Diagnostic(ERROR, f"unknown node type {node.type!r}", scope, node.id)]
        in_ports, out_ports = node_ports(doc, node)
        resolved, diags = self._resolve_params(t, node, variables, scope)
        result.params[node.id] = resolved
        specs, missing, starved = [], [], False
        for port in in_ports:
            edge = into.get((node.id, port.name))
            spec = result.edge_spec(edge) if edge else None
            if edge is None and not port.optional:
                missing.append(port.name)
            starved |= edge is not None and spec is None
            specs.append(spec)
        result.inputs[node.id] = specs
        if missing:
            diags.append(Diagnostic(ERROR, f"input {', '.join(map(repr, missing))} is not connected",
                                    scope, node.id))
        if diags or starved:
            return {}, diags  # the cause is reported here or upstream
        if t.role in (INPUT, TARGET):
            spec = TensorSpec((BATCH, *resolved["shape"]), resolved["dtype"])
            try:
                check_tensor(spec, "the tensor")
            except BudgetError as e:
                return {}, [Diagnostic(ERROR, str(e), scope, node.id, "shape")]
            return {out_ports[0].name: spec}, []
        if t.role in (OUTPUT, BLOCK_OUTPUT):
            return {}, []  # a sink: what it receives is recorded in result.inputs
        if t.role == BLOCK_INPUT:
            spec = block_inputs.get(resolved["name"])
            return {out_ports[0].name: spec}, [] if spec else [Diagnostic(
                ERROR, f"block input {resolved['name']!r} has no incoming shape", scope, node.id)]
        if t.role == BLOCK and resolved["block"] in self._expanding:
            # decided before the cache: the answer depends on where the expansion came from
            chain = " -> ".join([*self._expanding, resolved["block"]])
            return {}, [Diagnostic(ERROR, f"block uses itself: {chain}", scope, node.id, "block")]
        keyed = [stand_in(specs[0], t.same_shape)] if t.same_shape and len(specs) == 1 else specs
        key = _key(node.type, resolved, keyed, t.role == BLOCK and _block_key(doc, resolved))
        if self._used is not None:
            self._used.add(key)
        if key not in self.cache:
            self.cache[key] = self._compute(doc, t, resolved, specs, variables)
            if len(self.cache) > self.max_entries:
                self.cache.pop(next(iter(self.cache)))
        outputs, message, count = self.cache[key]
        if message:
            return {}, [Diagnostic(ERROR, message, scope, node.id)]
        if keyed is not specs:  # a same-shape node: the cached entry is for the stand-in
            outputs = [TensorSpec(specs[0].shape, outputs[0].dtype)]
        result.param_counts[node.id] = count
        return dict(zip([p.name for p in out_ports], outputs)), []

    def entries_for(self, doc: Document, variables: dict | None = None) -> dict[str, list]:
        """The cache entries that inferring every network of ``doc`` reads, JSON-safe: what the
        studio hands its training child so that it does not infer the shapes again (issue 19).
        Entries are keyed by node type, resolved params and input shapes, so one that does not
        apply there (other ``--var`` values) is simply never read."""
        self._used = set()
        try:
            for network in doc.networks:
                self.infer(doc, network, variables)
            used = self._used
        finally:
            self._used = None
        return {key: [[[list(s.shape), s.dtype] if s is not None else None for s in outs],
                      message, count]
                for key in used if key in self.cache
                for outs, message, count in [self.cache[key]]}

    def seed(self, entries: dict) -> None:
        """Take entries made by :meth:`entries_for` (another process's) into the cache."""
        for key, (outs, message, count) in entries.items():
            self.cache[key] = ([TensorSpec(tuple(s[0]), s[1]) if s is not None else None
                                for s in outs], message, count)

    def _resolve_params(self, t, node, variables, scope):
        resolved, diags = t.defaults(), []
        for name, raw in node.params.items():
            try:
                value = P.resolve(raw, variables)
            except P.ParamError as e:
                diags.append(Diagnostic(ERROR, str(e), scope, node.id, name))
                continue
            if t.role == BLOCK and name not in ("block", "repeat"):
                resolved[name] = value  # block arguments: checked inside the block
                continue
            try:
                problem = P.check(t.param(name), value)
            except KeyError:
                continue  # unknown params are kept and reported at load
            if problem:
                diags.append(Diagnostic(ERROR, problem, scope, node.id, name))
            resolved[name] = value
        return resolved, diags

    def _compute(self, doc, t, resolved, specs, variables) -> tuple[list, str | None, int]:
        self.runs += 1
        if t.role == BLOCK:
            return self._compute_block(doc, resolved, specs, variables)
        try:
            outputs, count = infer_node(t, resolved, specs, cpu=self.cpu)
            return outputs, None, count
        except BudgetError as e:
            return [], str(e), 0
        except Exception as e:  # any torch error becomes a message on the node
            got = ", ".join(f"({s.label()})" if s else "nothing" for s in trim(specs))
            expects = t.shape_doc.split("->")[0].strip()
            detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            lead = f"expects {expects}, got {got}" if expects else f"cannot take {got}"
            return [], f"{lead}: {detail}", 0

    def _compute_block(self, doc, resolved, specs, variables):
        name = resolved.get("block")
        if name not in doc.blocks:
            return [], f"unknown block {name!r} (this document has: {', '.join(doc.blocks) or 'none'})", 0
        block = doc.blocks[name]
        try:
            args = {**{k: P.resolve(v, variables) for k, v in block.params.items()},
                    **{k: v for k, v in resolved.items() if k not in ("block", "repeat")}}
        except P.ParamError as e:
            return [], f"block {name!r}: {e}", 0
        in_ports, out_ports = block_ports(doc, name)
        repeat = resolved.get("repeat", 1)
        if repeat > MAX_REPEAT:
            return [], f"repeat {repeat} is more than {MAX_REPEAT} copies", 0
        if len(self._expanding) >= MAX_BLOCK_DEPTH:
            return [], (f"blocks nested more than {MAX_BLOCK_DEPTH} deep: "
                        f"{' -> '.join([*self._expanding, name])}"), 0
        if repeat > 1 and len(in_ports) != len(out_ports):
            return [], (f"block {name!r} cannot repeat: it has {len(in_ports)} input(s) and "
                        f"{len(out_ports)} output(s); each repetition feeds the next"), 0
        outputs = [n for n in block.graph.nodes.values() if n.type == "io.BlockOutput"]
        current, count = specs, 0
        for i in range(repeat):
            feed = dict(zip([p.name for p in in_ports], current))
            self._expanding.append(name)
            try:
                inner = self.infer(doc, f"block:{name}", {**variables, **args}, feed)
            finally:
                self._expanding.pop()
            errors = [d for d in inner.diagnostics if d.severity == ERROR]
            if errors:
                d = errors[0]
                where = f"{d.node}.{d.param}" if d.param else d.node
                return [], f"in block {name!r} (repeat {i + 1}): {where}: {d.message}", 0
            current = [(inner.inputs.get(n.id) or [None])[0] for n in outputs]
            count += inner.total_params
            try:  # repeats multiply the weights: stop as soon as the budget is passed
                check_weights(count)
            except BudgetError as e:
                return [], f"block {name!r} x {i + 1}: {e}", 0
        return current, None, count


def _block_key(doc: Document, resolved: dict) -> str:
    """A block's body is part of its cache key: editing the body invalidates its callers."""
    block = doc.blocks.get(resolved.get("block"))
    return json.dumps(block.to_json(), sort_keys=True) if block else ""
