"""OpenCMO: an open-source marketing operating system."""

__version__ = "0.1.0"
