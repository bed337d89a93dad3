"""Marketing-mix modelling: adstock and saturation transforms, a fast MAP + Laplace fit, an optional
full-Bayes fit through PyMC-Marketing, weekly data from the analytics store. Pure Python: no Django."""

from .model import MMMConfig, MMMData, MMMError, fit, response, verdict

__all__ = ["MMMConfig", "MMMData", "MMMError", "fit", "response", "verdict"]
