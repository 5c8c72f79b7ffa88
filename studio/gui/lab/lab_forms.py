"""The Lab's settings, declared once per tool and turned into form widgets.

Each tool is a list of :class:`Field` (name = the keyword of its function in
:mod:`studio.inspect.lab_tools`, kind -> widget). Layer fields list the nodes of the network on
view, refreshed after each edit: ``spatial`` fields only nodes whose output is a feature map
(N×C×H×W), ``optional`` ones start with an entry meaning "the class logits". A ``features``
field offers the network on the canvas and torchvision's pretrained VGGs that are already in
the local torch hub cache (never downloaded), re-read each time the tool is shown.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLineEdit, QPushButton, QSpinBox, QWidget)

LOGITS = "(class logits)"
THIS_NETWORK = "this network"
NO_VGG = "(no pretrained VGG in the local cache)"


@dataclass
class Field:
    name: str
    label: str
    kind: str  # choice | int | float | class | spatial | layer | optional | file | text | features
    default: object = None
    options: tuple = ()
    low: float = 0
    high: float = 1e6
    step: float = 1
    tip: str = ""


TOOLS = [
    ("attribution", "Where it looks", [
        Field("method", "Method", "choice", "Grad-CAM",
              ("Grad-CAM", "CAM", "Saliency", "Integrated gradients")),
        Field("layer", "Layer", "spatial", tip="conv node for Grad-CAM"),
        Field("target", "Class", "class", -1, tip="class to explain (predicted by default)"),
        Field("alpha", "Opacity", "float", 0.5, low=0, high=1, step=0.1)]),
    ("maximize", "Activation maximization", [
        Field("layer", "Maximize", "optional", tip="a class logit, or a channel of a node"),
        Field("index", "Class / channel", "int", 0, high=4095),
        Field("start", "Start", "choice", "gray", ("gray", "noise", "image")),
        Field("steps", "Steps", "int", 200, low=1, high=5000),
        Field("lr", "Learning rate", "float", 0.05, low=0.001, high=1, step=0.01),
        Field("jitter", "Jitter (px)", "int", 2, high=16),
        Field("blur_every", "Blur every", "int", 4, high=100, tip="0 = never"),
        Field("l2", "L2 decay", "float", 1e-3, high=1, step=1e-3),
        Field("tv", "Total variation", "float", 0.005, high=1, step=1e-3)]),
    ("attack", "Adversarial attack", [
        Field("mode", "Attack", "choice", "PGD", ("FGSM", "PGD", "Targeted"),
              tip="Targeted: the smallest perturbation that makes it say the class below"),
        Field("epsilon", "Epsilon", "float", 0.05, low=0.001, high=1, step=0.01),
        Field("steps", "PGD steps", "int", 30, low=1, high=500),
        Field("norm", "Norm", "choice", "Linf", ("Linf", "L2")),
        Field("target", "Target class", "int", 0, high=4095)]),
    ("invert", "Network inversion", [
        Field("layer", "Layer", "layer"),
        Field("steps", "Steps", "int", 300, low=1, high=5000),
        Field("tv", "Total variation", "float", 0.02, high=1, step=0.01)]),
    ("style", "Style transfer", [
        Field("content", "Content image", "file", tip="empty: the bundled sample_content.png"),
        Field("style_image", "Style image", "file", tip="empty: the bundled sample_style.png"),
        Field("network", "Feature network", "features"),  # tooltip: fill_feature_networks
        Field("steps", "Steps", "int", 150, low=1, high=2000)]),
    ("interpolate", "Feature interpolation", [
        Field("source", "From class", "int", 0, high=4095,
              tip="the attribute the input has: mean features of this class's samples"),
        Field("target", "Towards class", "int", 1, high=4095,
              tip="the attribute to move towards (Upchurch et al. 2017)"),
        Field("alpha", "Strength", "float", 1.0, low=0, high=10, step=0.25,
              tip="how far along the attribute direction: 0 = reconstruct the input"),
        Field("steps", "Steps", "int", 200, low=1, high=5000),
        Field("tv", "Total variation", "float", 0.05, high=1, step=0.01)]),
    ("tsne", "t-SNE", [
        Field("layer", "Node", "layer"),
        Field("count", "Samples", "int", 300, low=5, high=5000),
        Field("perplexity", "Perplexity", "float", 30, low=2, high=100, step=5)]),
    ("words", "Word vectors", [
        Field("word", "Neighbours of", "text", "", tip="a word of the vocabulary"),
        Field("analogy", "Analogy", "text", "", tip="A:B:C — A is to B as C is to ?"),
        Field("count", "How many", "int", 8, low=1, high=50)]),
    ("word_attribution", "Words behind a prediction", [
        Field("text", "Sentence", "text", "", tip="words of the vocabulary; empty: the sample"),
        Field("target", "Class", "class", -1, tip="class to explain (predicted by default)")]),
]


# a conditional GAN's generator asked for a chosen class (studio.inspect.lab_tools.generate_class)
TOOLS.append(("generate", "Generate a class", [
    Field("label", "Class", "int", 0, low=-1, high=4095,
          tip="the class to draw; -1: every class, one row each"),
    Field("count", "How many", "int", 8, low=1, high=64),
    Field("seed", "Noise seed", "int", 0, high=1_000_000,
          tip="the same seed gives the same noise: change the class, keep the style")]))


class FileField(QWidget):
    def __init__(self, tip: str, parent=None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(tip)
        browse = QPushButton("…")
        browse.setFixedWidth(28)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Image", "", "Images (*.png *.jpg *.jpeg "
                                              "*.bmp *.gif *.webp);;All files (*)")
        if path:
            self.edit.setText(path)


class ToolForm(QWidget):
    """One tool's settings; ``values()`` gives its function's keyword arguments."""

    def __init__(self, fields: list[Field], parent=None):
        super().__init__(parent)
        self.fields = fields
        self.widgets: dict[str, QWidget] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for f in fields:
            w = self._widget(f)
            if f.tip:
                w.setToolTip(f.tip)
            self.widgets[f.name] = w
            form.addRow(f.label, w)

    @staticmethod
    def _widget(f: Field) -> QWidget:
        if f.kind == "choice":
            w = QComboBox()
            w.addItems(list(f.options))
            w.setCurrentText(str(f.default))
        elif f.kind in ("int", "class"):
            w = QSpinBox()
            w.setRange(-1 if f.kind == "class" else int(f.low), int(f.high))
            if f.kind == "class":
                w.setSpecialValueText("predicted")
            w.setValue(int(f.default))
        elif f.kind == "float":
            w = QDoubleSpinBox()
            w.setDecimals(4)
            w.setRange(f.low, f.high)
            w.setSingleStep(f.step)
            w.setValue(float(f.default))
        elif f.kind in ("spatial", "layer", "optional"):
            w = QComboBox()
        elif f.kind == "features":
            w = QComboBox()
            fill_feature_networks(w)
        elif f.kind == "file":
            w = FileField(f.tip)
        else:
            w = QLineEdit(str(f.default or ""))
            w.setPlaceholderText(f.tip)
        return w

    def refresh_choices(self) -> None:
        """Re-read which pretrained networks are cached (a file may have arrived since)."""
        for f in self.fields:
            if f.kind == "features":
                fill_feature_networks(self.widgets[f.name])

    def set_layers(self, spatial: list[str], every: list[str]) -> None:
        """Refill the layer combos, keeping each one's choice when it still exists."""
        for f in self.fields:
            if f.kind not in ("spatial", "layer", "optional"):
                continue
            combo = self.widgets[f.name]
            names = spatial if f.kind == "spatial" else every
            items = [LOGITS, *names] if f.kind == "optional" else list(names)
            current = combo.currentText()
            if [combo.itemText(i) for i in range(combo.count())] == items:
                continue
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            if current in items:
                combo.setCurrentText(current)
            elif f.kind == "spatial" and names:
                combo.setCurrentIndex(len(items) - 1)  # Grad-CAM: the last feature map
            elif f.kind == "layer" and len(names) > 1:
                combo.setCurrentIndex(len(items) - 2)  # t-SNE: the features the head reads
            combo.blockSignals(False)

    def set_value(self, name: str, value) -> None:
        w = self.widgets[name]
        if isinstance(w, QComboBox):
            w.setCurrentText(str(value))
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        elif isinstance(w, FileField):
            w.edit.setText(str(value))
        else:
            w.setText(str(value))

    def values(self) -> dict:
        out = {}
        for f in self.fields:
            w = self.widgets[f.name]
            if isinstance(w, QComboBox):
                text = w.currentText()
                out[f.name] = "" if text in (LOGITS, THIS_NETWORK, NO_VGG) else text
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                out[f.name] = w.value()
            elif isinstance(w, FileField):
                out[f.name] = w.edit.text().strip()
            else:
                out[f.name] = w.text()
        return out


def fill_feature_networks(combo: QComboBox) -> None:
    """"this network" plus the cached VGGs; when none is cached a disabled line says so and
    the tooltip names the folder torchvision would read them from."""
    from studio.inspect.style import cached_vggs, vgg_cache_folder
    current, cached = combo.currentText(), cached_vggs()
    items = [THIS_NETWORK, *(cached or [NO_VGG])]
    tip = (f"whose features define style and content. Pretrained ImageNet VGG weights are "
           f"read from {vgg_cache_folder()} (torchvision's cache; $TORCH_HOME moves it); "
           f"NetStudio never downloads them")
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(items)
    if not cached:
        item = combo.model().item(1) if isinstance(combo.model(), QStandardItemModel) else None
        if item is not None:
            item.setEnabled(False)
    for i in range(1, combo.count()):
        combo.setItemData(i, tip, Qt.ToolTipRole)
    combo.setToolTip(tip)
    combo.setCurrentText(current if current in cached else THIS_NETWORK)
    combo.blockSignals(False)
