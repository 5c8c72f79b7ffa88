"""The studio window: Qt (PySide6) views over studio.core. The only package that imports Qt."""
