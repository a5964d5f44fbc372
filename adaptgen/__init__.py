"""adaptgen: legacy REST APIs made usable by AI agents."""

__version__ = "0.1.0"
