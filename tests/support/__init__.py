"""Helpers shared by several test modules (imported as ``support.x``: tests/ is on
sys.path through tests/conftest.py, so test folders need no ``__init__.py``)."""
