"""The other half of the bundled templates trains a step from the CLI (see
test_train_templates.py)."""
import pytest

from studio.core.templates import template_names
from test_train_templates import smoke


@pytest.mark.parametrize("name", template_names()[1::2])
def test_template_trains_from_cli(name, tmp_path, capsys):
    smoke(name, tmp_path, capsys)
