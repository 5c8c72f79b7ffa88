"""Shared authoring helpers for the template families: a builder with named ports, block
definitions, and the meta/training sections every template carries."""
from __future__ import annotations

from studio.core.builder import GraphBuilder
from studio.core.document import BlockDef, Document, Graph


class Net(GraphBuilder):
    """``GraphBuilder`` plus the few idioms the templates repeat."""

    def _named(self, type_id, *sources, port: str, **params) -> str:
        """A node whose ``name`` param is a port name of the compiled model."""
        return self.add(type_id, *sources, name=port, **params)

    def input(self, shape, field: str, port: str = "x", dtype: str = "float32", **kw) -> str:
        return self._named("io.Input", port=port, shape=shape, field=field, dtype=dtype, **kw)

    def target(self, shape, field: str, port: str | None = None, dtype: str = "int64",
               **kw) -> str:
        return self._named("io.Target", port=port or field, shape=shape, field=field,
                           dtype=dtype, **kw)

    def output(self, source, port: str, **kw) -> str:
        return self._named("io.Output", source, port=port, **kw)

    def port_in(self, port: str = "x") -> str:
        return self._named("io.BlockInput", port=port, id=f"in_{port}")

    def port_out(self, source, port: str = "y") -> str:
        return self._named("io.BlockOutput", source, port=port, id=f"out_{port}")

    def chain(self, x, *layers) -> str:
        """``chain(x, ("conv.Conv2d", {...}), "activation.ReLU")``: layers applied in order."""
        for layer in layers:
            type_id, params = (layer, {}) if isinstance(layer, str) else layer
            x = self.add(type_id, x, **params)
        return x

    def block(self, x, name: str, repeat=1, **args) -> str:
        """A Block node; ``x`` is one source, or a list of sources for a multi-input block."""
        sources = x if isinstance(x, list) else [x]
        return self.add("block.Block", *sources, block=name, repeat=repeat, **args)


def define_block(doc: Document, name: str, params: dict, doc_text: str = "") -> Net:
    """Declare block ``name`` with its arguments (and defaults); returns a builder for its body."""
    doc.blocks[name] = BlockDef(Graph(), params=dict(params), doc=doc_text)
    return Net(doc, f"block:{name}")


def describe(title: str, summary: str, description: str, source: str, course: str) -> dict:
    return {"title": title, "summary": summary, "description": description,
            "source": source, "course": course}


def training(recipe: str, dataset: str, *, optimizer: str = "adam", lr: float = 2e-3,
             epochs: int = 10, batch_size: int = 32, schedule: str = "cosine",
             **options) -> dict:
    """The training section: a recipe bound to a bundled dataset by name."""
    return {"recipe": recipe, "dataset": {"name": dataset, **options},
            "optimizer": {"name": optimizer, "lr": lr}, "schedule": {"name": schedule},
            "epochs": epochs, "batch_size": batch_size, "seed": 0, "device": "auto"}


def presets(variables: dict, **others: dict) -> dict:
    """``small`` spells out the default values (the configuration that trains offline)."""
    return {"small": dict(variables), **others}
