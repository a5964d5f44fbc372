"""The TLS verification of adaptgen's own HTTP clients (upstream API, JWKS, token endpoints).

They ran on `httpx`, whose default trusts `$SSL_CERT_FILE` / `$SSL_CERT_DIR` when the client
trusts the environment and certifi's CA bundle otherwise. They now run on `httpx2` (the HTTP
stack FastMCP already imports, so a cold start loads one instead of two), whose fallback is the
system's store; passing this context keeps the trust they had.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator, Mapping

from adaptgen.runtime.secrets import is_aws_reference

__all__ = ["TlsSettingError", "tls_cause", "trusting", "upstream_context", "verify_context"]


def verify_context(*, trust_env: bool) -> ssl.SSLContext:
    """A verifying client context, trusting what `httpx` trusted for such a client."""
    if trust_env and os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if trust_env and os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class TlsSettingError(ValueError):
    """A TLS setting of an upstream that cannot be used: its message names the variable and
    what is wrong, never a key or a certificate's text."""


def upstream_context(prefix: str, env: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """The TLS context of an upstream API's client (`<PREFIX>` its env prefix):

    - certifi's public roots, and the CAs of `<PREFIX>_CA_BUNDLE` beside them (a company's
      internal CA: its API's certificate is not one the public roots sign);
    - the client certificate of `<PREFIX>_CLIENT_CERT`, with its key in the same PEM or in
      `<PREFIX>_CLIENT_KEY` (its passphrase in `<PREFIX>_CLIENT_KEY_PASSWORD`), for an API
      that asks for one (mutual TLS: OpenAPI's `mutualTLS` scheme, a service mesh's edge, Open
      Banking).

    Each is a file's path or the PEM text itself, or a `${aws-sm:...}` reference to either
    (a Lambda has no file of its own to point to).
    """
    env = os.environ if env is None else env
    context = trusting(_setting(env, f"{prefix}_CA_BUNDLE"), f"{prefix}_CA_BUNDLE")
    if cert := _setting(env, f"{prefix}_CLIENT_CERT"):
        key = _setting(env, f"{prefix}_CLIENT_KEY")
        password = _setting(env, f"{prefix}_CLIENT_KEY_PASSWORD") or None
        with _as_file(cert) as cert_file, _as_file(key) as key_file:
            try:
                context.load_cert_chain(cert_file, key_file or None, password)
            except (OSError, ssl.SSLError, ValueError) as exc:
                names = f"{prefix}_CLIENT_CERT" + (f" and {prefix}_CLIENT_KEY" if key else "")
                raise TlsSettingError(
                    f"{names}: the client certificate and its key could not be loaded "
                    f"({_why(exc)}); a PEM certificate and its PEM key (in the same file, or "
                    f"the key in {prefix}_CLIENT_KEY) are needed"
                ) from None
    return context


def trusting(bundle: str | None, name: str) -> ssl.SSLContext:
    """A verifying context of certifi's public roots and, beside them, the CAs of `bundle` (a
    PEM file, a folder of them, or the PEM text; `name` says where it was set, for errors)."""
    context = verify_context(trust_env=False)
    if not bundle:
        return context
    try:
        if _is_pem(bundle):
            context.load_verify_locations(cadata=bundle)
        elif os.path.isdir(bundle):
            context.load_verify_locations(capath=bundle)
        else:
            context.load_verify_locations(cafile=bundle)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise TlsSettingError(
            f"{name}: no CA certificate could be read from it ({_why(exc)})"
        ) from None
    return context


def tls_cause(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error under a transport failure (httpx2 wraps it), if one is."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _setting(env: Mapping[str, str], name: str) -> str:
    value = (env.get(name) or "").strip()
    if is_aws_reference(value):
        from adaptgen.runtime.auth import resolve_secret  # boto3 only where a reference is set

        value = resolve_secret(value).strip()
    return value


def _is_pem(value: str) -> bool:
    return value.startswith("-----BEGIN ")


@contextlib.contextmanager
def _as_file(value: str) -> Iterator[str]:
    """A PEM setting as a file `ssl` can read: its path as given, or its text in a private
    temporary file, removed once read."""
    if not value or not _is_pem(value):
        yield value
        return
    folder = tempfile.mkdtemp(prefix="adaptgen-tls-")  # 0700, this process's user only
    path = os.path.join(folder, "pem")
    try:
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(value if value.endswith("\n") else value + "\n")
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _why(exc: BaseException) -> str:
    """What `ssl` or the file system said, without a path's contents."""
    if isinstance(exc, ssl.SSLError):
        return exc.reason or "not PEM, or a key that does not match"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc) or type(exc).__name__
