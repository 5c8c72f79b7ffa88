"""The studio window: Qt (PySide6) views over the layers below, the only package that imports Qt.
The root holds the window, the session and what every view shares; ``editor/``, ``dashboard/``
and ``lab/`` hold the views of each tab, so a reader finds a view by what it shows."""
