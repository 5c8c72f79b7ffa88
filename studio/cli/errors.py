"""The CLI's one error type, in a leaf module: the command modules raise it and the package's
``main`` catches it, so it cannot live in ``studio/cli/__init__`` (that imports those modules,
and they would import it back: an import cycle)."""


class UserError(Exception):
    """A problem the user can fix; printed as one line."""
