"""Running projections: the engine knows how to feed read models from the log, none in particular."""
