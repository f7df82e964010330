"""parity: keep a WordPress staging environment close to production, and prove it."""

__version__ = "0.1.0"

__all__ = ["__version__"]
