"""Commands that read documents: ``templates``, ``summary``, ``validate``, ``code``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from studio.cli.common import add_document_args, load_configured
from studio.cli.errors import UserError
from studio.core.diagnostics import ERROR


def add_parsers(sub) -> None:
    p = sub.add_parser("templates", help="list the bundled templates")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run_templates)

    p = sub.add_parser("summary", help="per node: type, output shape, parameters; totals")
    add_document_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run_summary)

    p = sub.add_parser("validate", help="check a document; exit 1 with its diagnostics")
    add_document_args(p, network=False)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run_validate)

    p = sub.add_parser("code", help="write the network as a standalone PyTorch module")
    add_document_args(p)
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument("--class-name", default=None, help="name of the generated class")
    p.set_defaults(run=run_code)


def run_templates(args) -> int:
    from studio.core.templates import template_info, template_names
    infos = [template_info(n) for n in template_names()]
    if args.json:
        print(json.dumps(infos, indent=1))
        return 0
    width = max((len(i["name"]) for i in infos), default=4)
    for info in infos:
        presets = f"  [{', '.join(info['presets'])}]" if info["presets"] else ""
        print(f"{info['name']:<{width}}  {info.get('title', '')}: {info.get('summary', '')}{presets}")
    return 0


def _networks(doc, args) -> list[str]:
    if getattr(args, "network", None):
        return [args.network]
    return list(doc.networks)


def summarize(doc, networks: list[str]) -> dict:
    """The JSON summary: per node type, output shapes and parameter count; totals."""
    from studio.core.validate import validate_network
    from studio.compile.fx import CompileError
    from studio.train.config import frozen_nodes
    out = {"name": doc.meta.get("name", ""), "preset": doc.meta.get("preset"),
           "variables": doc.variables, "networks": {}, "nodes": [], "total_params": 0,
           "trainable_params": 0, "frozen": []}
    for network in networks:
        # what training.freeze holds still in training: the totals say so (a linear probe
        # trains a few thousand of its parameters, not all)
        try:
            frozen = set(frozen_nodes(doc.training, network, len(doc.networks)))
        except ValueError:
            frozen = set()  # a training mistake, reported when training; the counts still hold
        diags, shapes, _ = validate_network(doc, network, doc.variables)
        errors = [d for d in diags if d.severity == ERROR]
        if errors:
            raise CompileError(errors)
        graph = doc.networks[network]
        for nid in shapes.order:
            node = graph.nodes[nid]
            outs = shapes.outputs.get(nid) or {}
            ins = shapes.inputs.get(nid) or []
            out["nodes"].append({
                "network": network, "id": nid, "type": node.type,
                "output_shapes": {p: list(s.shape) for p, s in outs.items() if s},
                "output": " ".join(s.label() for s in outs.values() if s) or
                          " ".join(s.label() for s in ins if s),
                "params": shapes.param_counts.get(nid, 0), "frozen": nid in frozen,
                "settings": {k: v for k, v in shapes.params[nid].items()},
            })
        out["networks"][network] = shapes.total_params
        out["total_params"] += shapes.total_params
        out["trainable_params"] += shapes.total_params - sum(
            shapes.param_counts.get(nid, 0) for nid in frozen)
        out["frozen"] += [nid if len(networks) == 1 else f"{network}.{nid}"
                          for nid in graph.nodes if nid in frozen]
    return out


def run_summary(args) -> int:
    doc, _, where = load_configured(args)
    summary = summarize(doc, _networks(doc, args))
    if getattr(args, "json", False):
        print(json.dumps(summary, indent=1))
        return 0
    title = doc.meta.get("title") or doc.meta.get("name") or where
    preset = f" (preset {summary['preset']})" if summary["preset"] else ""
    print(f"{title}{preset}")
    rows = [(n["id"] if len(summary["networks"]) == 1 else f"{n['network']}.{n['id']}",
             n["type"], n["output"], f"{n['params']:,}" + (" frozen" if n["frozen"] else ""))
            for n in summary["nodes"]]
    header = ("node", "type", "output", "params")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "  ".join(f"{{:<{w}}}" if i < 3 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
    for network, total in summary["networks"].items():
        if len(summary["networks"]) > 1:
            print(f"{network}: {total:,} parameters")
    if summary["frozen"]:
        print(f"Total parameters: {summary['total_params']:,}, of which trainable: "
              f"{summary['trainable_params']:,} (frozen in training: "
              f"{', '.join(summary['frozen'])})")
    else:
        print(f"Total trainable parameters: {summary['total_params']:,}")
    return 0


def run_validate(args) -> int:
    from studio.core.validate import validate_document
    doc, load_diags, where = load_configured(args)
    diags = load_diags + validate_document(doc)
    if args.json:
        print(json.dumps([d.to_json() for d in diags], indent=1))
    else:
        for d in diags:
            print(str(d), file=sys.stderr if d.severity == ERROR else sys.stdout)
    errors = [d for d in diags if d.severity == ERROR]
    if not args.json:
        print(f"{where}: {len(errors)} error(s), {len(diags) - len(errors)} other message(s)")
    return 1 if errors else 0


def run_code(args) -> int:
    from studio.compile.codegen import CodegenError, document_code
    from studio.compile.fx import compile_network
    doc, _, where = load_configured(args)
    network = args.network or ("model" if "model" in doc.networks else next(iter(doc.networks)))
    compiled = compile_network(doc, network, doc.variables)
    try:  # the title and name are the document's: export_code writes them as data only
        _, source = document_code(compiled, doc, network, where, args.class_name)
    except CodegenError as e:
        raise UserError(f"code: {e}") from None
    if args.output:
        from studio.core.serialize import atomic_write
        atomic_write(Path(args.output), source)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(source)
    return 0
