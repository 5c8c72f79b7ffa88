"""New from template: each template's description and its parameter count, told apart where
training freezes some of them."""
from PySide6.QtCore import Qt

from studio.core.shapes import ShapeInference
from studio.gui.gallery import TemplateGallery


def _select(gallery: TemplateGallery, name: str) -> str:
    row = next(i for i in range(gallery.list.count())
               if gallery.list.item(i).data(Qt.UserRole) == name)
    gallery.list.setCurrentRow(row)
    assert gallery.name() == name
    return gallery.details.text()


def test_the_gallery_counts_parameters_and_says_which_train(qtbot):
    gallery = TemplateGallery(ShapeInference())
    qtbot.addWidget(gallery)
    assert "<b>61,706</b> trainable parameters" in _select(gallery, "lenet5")
    # linear-probe's training.freeze holds its two convolutions: 1,248 of 3,818 stay still
    text = _select(gallery, "linear-probe")
    assert "<b>3,818</b> parameters, <b>2,570</b> of them trained" in text
    assert "trainable parameters" not in text
