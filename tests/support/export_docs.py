"""Small hand-built networks whose structure trips exporters (recurrent layers on token ids,
max-unpooling, VAE sampling), shared by the export tests."""
from __future__ import annotations

from studio.core.builder import GraphBuilder
from studio.core.document import Document


def sequence_doc(cell: str, num_layers: int = 2, bidirectional: bool = False) -> Document:
    doc = Document()
    b = GraphBuilder(doc)
    tokens = b.add("io.Input", shape=[9], dtype="int64", name="tokens")
    h = b.add("recurrent.Embedding", tokens, num_embeddings=17, embedding_dim=6)
    r = b.add(f"recurrent.{cell}", h, hidden_size=8, num_layers=num_layers,
              bidirectional=bidirectional)
    b.add("io.Output", b.add("linear.Linear", (r, "last"), out_features=3), name="logits")
    b.add("io.Output", (r, "sequence"), name="states")
    return doc


def unpool_doc(like: bool = True) -> Document:
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[2, 9, 9], name="image")
    h = b.add("conv.Conv2d", x, out_channels=4, kernel_size=3, padding=1)
    p = b.add("pooling.MaxPool2dWithIndices", h, id="pool")
    u = b.add("pooling.MaxUnpool2d", (p, "y"), (p, "indices"), *([h] if like else []),
              id="unpool")
    b.add("io.Output", u, name="restored")
    return doc


def vae_doc() -> Document:
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[12], name="x")
    h = b.add("activation.ReLU", b.add("linear.Linear", x, out_features=10))
    mu = b.add("linear.Linear", h, id="mu", out_features=4)
    logvar = b.add("linear.Linear", h, id="logvar", out_features=4)
    z = b.add("generative.Reparameterize", mu, logvar, id="sample")
    b.add("io.Output", z, name="z")
    b.add("io.Output", b.add("linear.Linear", z, out_features=12), name="reconstruction")
    b.add("loss.KLStandardNormal", mu, logvar)
    return doc
