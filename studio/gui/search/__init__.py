"""The Search tab: a view over studio.search and the study storage."""
