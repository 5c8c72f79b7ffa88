"""The one exception the export layer raises for problems a user can act on."""


class ExportError(Exception):
    """An export that cannot be done or did not pass its checks; the message says what and where."""
