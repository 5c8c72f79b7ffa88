"""The network editor: canvas, palette, inspector and the panels around them."""
