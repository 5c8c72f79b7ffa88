"""Undo and redo are exact on every template: random edit sequences (hypothesis), then undo-all
gives back the saved JSON text byte for byte, and redo-all the text the edits ended with.
``bench/undo.py`` runs the same check at 1,000 sequences x 50 edits."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.op_sequences import DataChooser, fresh_template, run_sequence, template_names

NAMES = template_names()


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(NAMES), steps=st.integers(1, 20), data=st.data())
def test_undo_and_redo_give_back_the_same_text(name, steps, data):
    out = run_sequence(fresh_template(name), DataChooser(data), steps)
    assert out.crashes == []  # every refusal is an OpError, made or applied
    assert out.mismatch == ""  # each undo step restores the text before its edit
    assert out.undo_identical and out.redo_identical
    assert out.reloads_identical  # what the edits made loads back to the same text


def test_the_generator_exercises_refusals_and_edits():
    """The random sequences are not vacuous: they apply edits and meet both kinds of refusal."""
    from support.op_sequences import RandomChooser
    totals = [run_sequence(fresh_template(NAMES[i % len(NAMES)]), RandomChooser(i), 30)
              for i in range(12)]
    assert sum(o.applied for o in totals) > 150
    assert sum(o.refused_when_made for o in totals) > 10
    assert sum(o.refused_when_applied for o in totals) > 10
    assert all(o.ok for o in totals)
