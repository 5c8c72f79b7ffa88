"""Training: datasets, recipes, the training loop, events and run folders. No Qt here.

``studio.train.engine.train(doc, ...)`` is the one loop the CLI, the GUI's worker process and
``torchrun`` all call.
"""
