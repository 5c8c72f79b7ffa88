"""Layered layout and orthogonal routing as pure geometry: no overlaps, wrapping to a width,
targets beside their loss, U-Net as a U, wires around nodes."""
from __future__ import annotations

import itertools

import pytest

from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.core.layout import MAX_WIDTH, estimated_sizes, layered_positions
from studio.core.routing import MARGIN, Obstacles, route, route_all
from studio.core.templates import open_document, template_names


def rects_of(graph, positions, sizes=None):
    sizes = sizes or estimated_sizes(graph, list(positions))
    return {n: (p[0], p[1], p[0] + sizes[n][0], p[1] + sizes[n][1]) for n, p in positions.items()}


def overlap(r, s, gap=0.0) -> bool:
    return r[0] < s[2] + gap and s[0] < r[2] + gap and r[1] < s[3] + gap and s[1] < r[3] + gap


def crosses(points, rect) -> bool:
    """Whether an orthogonal polyline enters the inside of ``rect``."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        seg = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        inner = (rect[0] + 0.5, rect[1] + 0.5, rect[2] - 0.5, rect[3] - 0.5)
        if seg[0] <= inner[2] and inner[0] <= seg[2] and seg[1] <= inner[3] and inner[1] <= seg[3]:
            return True
    return False


def routes_for(graph, rects):
    ports, edges = {}, []
    for i, e in enumerate(graph.edges):
        s, d = rects[e.src[0]], rects[e.dst[0]]
        ports[i] = ((s[2], (s[1] + s[3]) / 2), (d[0], (d[1] + d[3]) / 2))
        edges.append((i, e.src[0], e.dst[0]))
    return route_all(edges, ports, rects)


def chain(length: int) -> Document:
    doc = Document()
    b = GraphBuilder(doc)
    h = b.add("io.Input", shape=[8])
    for _ in range(length):
        h = b.add("linear.Linear", h, out_features=8)
    b.add("io.Output", h)
    return doc


@pytest.mark.parametrize("name", template_names())
def test_templates_lay_out_without_overlaps_within_the_width(name):
    for graph in open_document(name)[0].networks.values():
        rects = rects_of(graph, layered_positions(graph))
        for (a, r), (b, s) in itertools.combinations(rects.items(), 2):
            assert not overlap(r, s), f"{name}: {a} overlaps {b}"
        widest = max(r[2] - r[0] for r in rects.values())
        assert max(r[2] for r in rects.values()) <= MAX_WIDTH + widest
        for key, points in routes_for(graph, rects).items():
            edge = graph.edges[key]
            assert all(p[0] == q[0] or p[1] == q[1] for p, q in zip(points, points[1:]))
            for nid, rect in rects.items():
                if nid not in (edge.src[0], edge.dst[0]):
                    assert not crosses(points, rect), f"{name}: {edge} crosses {nid}"


def test_a_long_chain_wraps_into_bands_read_left_to_right():
    graph = chain(20).networks["model"]
    pos = layered_positions(graph, max_width=900)
    order = list(graph.nodes)
    rows = sorted({p[1] for p in pos.values()})
    assert len(rows) >= 3
    assert max(p[0] for p in pos.values()) < 900
    for a, b in zip(order, order[1:]):  # along a band x grows; a new band starts lower, left
        assert pos[b][0] > pos[a][0] or (pos[b][1] > pos[a][1] and pos[b][0] == 0)


def test_given_sizes_set_the_spacing():
    graph = chain(3).networks["model"]
    sizes = {n: (400.0, 120.0) for n in graph.nodes}
    rects = rects_of(graph, layered_positions(graph, sizes=sizes, max_width=5000), sizes)
    for r, s in itertools.combinations(rects.values(), 2):
        assert not overlap(r, s, gap=20)


def test_targets_stand_beside_their_loss():
    graph = open_document("lenet5")[0].networks["model"]
    rects = rects_of(graph, layered_positions(graph))
    label, loss, first = rects["label"], rects["crossentropy1"], rects["input1"]
    assert abs(label[0] - loss[0]) < 2 * (loss[2] - loss[0]) + 150  # a column away at most
    assert abs(label[1] - loss[1]) <= 2 * (loss[3] - loss[1])
    assert abs(label[0] - first[0]) + abs(label[1] - first[1]) > 300  # not with the input


def test_unet_forms_a_u_with_level_skips():
    graph = open_document("unet")[0].networks["model"]
    pos = layered_positions(graph)
    encoder, decoder = ["inc", "down1", "down2", "down3"], ["up4", "up3", "up2", "up1"]
    assert len({pos[n][0] for n in encoder}) == 1 and len({pos[n][0] for n in decoder}) == 1
    assert pos["up4"][0] > pos["down4"][0] > pos["inc"][0]
    ys = [pos[n][1] for n in encoder]
    assert ys == sorted(ys) and len(set(ys)) == 4  # the encoder goes down...
    for down, up in zip(encoder, decoder):  # ...and the decoder mirrors it, skip by skip
        assert pos[up][1] == pytest.approx(pos[down][1])
    assert pos["down4"][1] > max(ys)  # the bottleneck at the bottom
    assert pos["input1"][1] < pos["inc"][1] and pos["output1"][1] < pos["up4"][1]


def test_route_goes_around_a_node_in_the_way():
    rects = {"a": (0, 0, 100, 50), "b": (400, 0, 500, 50), "wall": (180, -100, 320, 150)}
    obstacles = Obstacles(rects)
    points = route((100, 25), (400, 25), obstacles, ("a", "b"))
    assert points[0] == (100, 25) and points[-1] == (400, 25)
    assert not crosses(points, (180 - MARGIN, -100 - MARGIN, 320 + MARGIN, 150 + MARGIN))
    assert all(p[0] == q[0] or p[1] == q[1] for p, q in zip(points, points[1:]))


def test_route_back_to_an_earlier_column_passes_between_rows():
    """A wrap wire: from the end of one row to the start of the next, not through either."""
    rects = {"end": (600, 0, 750, 60), "mid": (300, 0, 450, 60), "next": (0, 160, 150, 220),
             "other": (300, 160, 450, 220)}
    points = route((750, 30), (0, 190), Obstacles(rects), ("end", "next"))
    for key in ("mid", "other"):
        assert not crosses(points, rects[key])
    assert not crosses(points[1:-1], (600.5, 0.5, 749.5, 59.5))  # not back through its source


def test_a_boxed_in_port_still_gets_a_wire():
    rects = {"a": (0, 0, 100, 50), "b": (400, 0, 500, 50),
             "box": (110, -1000, 130, 1000)}  # a wall too long to go around nearby
    points = route((100, 25), (400, 25), Obstacles(rects), ("a", "b"))
    assert points[0] == (100, 25) and points[-1] == (400, 25)


def test_broken_graphs_still_lay_out_without_overlaps():
    """A cycle, a self-loop, islands and an unknown type (files from elsewhere): every node
    gets a place of its own."""
    from studio.core.document import Edge, Node
    doc = chain(4)
    graph = doc.networks["model"]
    graph.edges.append(Edge(("linear3", "y"), ("linear1", "x")))  # a cycle
    graph.edges.append(Edge(("linear2", "y"), ("linear2", "x")))  # a self-loop
    for i in range(3):
        graph.nodes[f"island{i}"] = Node(f"island{i}", "no.SuchType", {}, {})
    positions = layered_positions(graph)
    assert set(positions) == set(graph.nodes)
    rects = rects_of(graph, positions)
    for (a, r), (b, s) in itertools.combinations(rects.items(), 2):
        assert not overlap(r, s), f"{a} overlaps {b}"
    assert layered_positions(Document().networks["model"]) == {}


def test_an_autoencoder_folds_into_a_u_with_input_and_loss_facing_across_the_top():
    graph = open_document("conv-autoencoder")[0].networks["model"]
    pos = layered_positions(graph)
    encoder = ["input1", "conv1", "relu1", "code_conv", "relu2"]
    assert len({pos[n][0] for n in encoder}) == 1
    ys = [pos[n][1] for n in encoder]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)  # down one column
    decoder = ["relu3", "deconv2", "sigmoid1"]
    assert len({pos[n][0] for n in decoder}) == 1 and pos["relu3"][0] > pos["relu2"][0]
    dys = [pos[n][1] for n in decoder]
    assert dys == sorted(dys, reverse=True)  # and back up the next
    assert pos["reconstruction_loss"][1] == pytest.approx(pos["input1"][1])
    assert pos["deconv1"][1] > max(ys)  # the bottom of the U
