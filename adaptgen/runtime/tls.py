"""The TLS verification of adaptgen's own HTTP clients (upstream API, JWKS, token endpoints).

They ran on `httpx`, whose default trusts `$SSL_CERT_FILE` / `$SSL_CERT_DIR` when the client
trusts the environment and certifi's CA bundle otherwise. They now run on `httpx2` (the HTTP
stack FastMCP already imports, so a cold start loads one instead of two), whose fallback is the
system's store; passing this context keeps the trust they had.
"""

from __future__ import annotations

import os
import ssl

__all__ = ["verify_context"]


def verify_context(*, trust_env: bool) -> ssl.SSLContext:
    """A verifying client context, trusting what `httpx` trusted for such a client."""
    if trust_env and os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if trust_env and os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
