"""readiness-gates: production-readiness gates for pull requests."""

__version__ = "0.1.0"
