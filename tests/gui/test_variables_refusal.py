"""A value no variable can hold, typed into the variables panel, is refused with a message: the
document, the undo stack and the cell keep the old value (the op refuses it as it is made)."""


def test_an_object_typed_as_a_variable_value_is_refused(window):
    panel, session = window.variables, window.session
    row = next(r for r in range(panel.table.rowCount())
               if panel.table.item(r, 0).text() == "num_classes")
    messages = []
    session.message.connect(messages.append)
    steps = session.undo.count()
    panel.table.item(row, 1).setText('{"k": 1}')
    assert session.doc.variables["num_classes"] == 10
    assert session.undo.count() == steps
    assert panel.table.item(row, 1).text() == "10"
    assert any("SetVariable.value" in m and "got dict" in m for m in messages)
