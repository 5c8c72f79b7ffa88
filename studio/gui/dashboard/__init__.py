"""Training from the studio: the controller of the child process, its panel and the live dashboard."""
