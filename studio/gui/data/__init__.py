"""The studio's Data tab (the document's dataset as the network sees it) and the wizard that
chooses a user's own data."""
