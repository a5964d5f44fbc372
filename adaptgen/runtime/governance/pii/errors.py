"""The one error of PII tokenization: messages name kinds and token prefixes, never values."""

from __future__ import annotations


class PiiError(Exception):
    """A key, token or vault problem; messages name kinds and token prefixes, never values."""
