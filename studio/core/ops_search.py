"""The edit of the document's ``search`` section (see :mod:`studio.core.search_section`)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from studio.core import op_args as A
from studio.core.op_base import Op, inverse


@dataclass
class SetSearch(Op):
    """Replace the whole ``search`` section (``{}`` removes it). The section is small and edited
    as one form, so the inverse is simply the old section."""

    section: dict = field(default_factory=dict)

    def check(self):
        self.section = A.check_mapping(self, "section", self.section)

    def apply(self, doc):
        old = copy.deepcopy(doc.search)
        doc.search = copy.deepcopy(self.section)
        doc.emit("search_changed", scope=self.scope)
        return inverse(SetSearch, self.scope, old)
