"""Marketing-mix models: marketing-mix model runs, response curves and the budget optimiser."""
