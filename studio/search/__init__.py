"""Searching variables and training settings with Optuna (no Qt): the document's ``search``
section as a space (``space``), the study and its storage (``study``), the search loop with its
training children (``runner``) and what a finished study tells (``report``)."""
