"""NetStudio: build, train, inspect and export neural networks."""
__version__ = "0.1.0"
