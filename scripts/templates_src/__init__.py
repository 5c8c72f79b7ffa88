"""Authoring code for the bundled templates: one function per template returning a Document.

Each family module registers its templates with ``@template``; ``scripts/make_templates.py``
writes them to ``templates/NAME.nnet.json``.
"""
from __future__ import annotations

from typing import Callable

from studio.core.document import Document
from studio.core.layout import apply_layout

TEMPLATES: dict[str, Callable[[], Document]] = {}


def template(name: str):
    def register(make):
        def build():
            doc = make()
            doc.meta = {"name": name, **doc.meta}
            for scope in doc.scopes():
                apply_layout(doc.graph(scope))
            return doc
        TEMPLATES[name] = build
        return make
    return register


from templates_src import classic  # noqa: E402,F401  (registration)
from templates_src import vision  # noqa: E402,F401
from templates_src import resnet  # noqa: E402,F401
from templates_src import segmentation  # noqa: E402,F401
from templates_src import sequences  # noqa: E402,F401
from templates_src import unsupervised  # noqa: E402,F401
from templates_src import generative  # noqa: E402,F401
from templates_src import course_linear  # noqa: E402,F401
from templates_src import course_multimodal  # noqa: E402,F401
from templates_src import course_autoencoders  # noqa: E402,F401
from templates_src import course_som  # noqa: E402,F401
from templates_src import course_pretext  # noqa: E402,F401
from templates_src import course_cbow  # noqa: E402,F401
from templates_src import course_fcn  # noqa: E402,F401
from templates_src import course_cgan  # noqa: E402,F401
