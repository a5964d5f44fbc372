"""Secret references, resolved at call time: `${env:NAME}` and `${aws-sm:ID}` / `${aws-sm:ID#key}`.

The catalog and the generated server only ever hold *references*; values are read when a call
needs them (so a rotated secret is picked up without a restart), cached briefly, and never
logged. Every error names the reference, never the value or an AWS error body.

This module also guards third-party logging: httpx and httpx2 log request URLs (a query-string
token would be in them) and botocore at DEBUG logs whole responses (an AssumeRole or
GetSecretValue answer is nothing but secrets). `guard_logs()` puts a filter on exactly those
loggers that redacts every secret a live resolver or auth flow holds, and drops botocore's DEBUG
chatter while *we* are the ones calling AWS, or fetching a CSRF token (see `quiet_debug`).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

__all__ = [
    "SecretError",
    "SecretResolver",
    "guard_logs",
    "quiet_debug",
    "redact",
    "register_secret_source",
]

REFERENCE = re.compile(r"\$\{([^}]*)\}")
REDACTED = "***"
MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words ("a", "id") everywhere


class SecretError(Exception):
    """A secret reference that cannot be resolved; the message names the reference only."""


def is_aws_reference(value: str) -> bool:
    """Whether a whole value is a Secrets Manager reference, `${aws-sm:ID[#key]}`."""
    return value.startswith("${aws-sm:") and value.endswith("}")


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret of at least 4 characters replaced by `***`."""
    # Longest first: a secret that contains another must not be left half-replaced.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
    return text


class SecretResolver:
    """Resolves secret references; AWS Secrets Manager values are cached for `ttl` seconds.

    `env` defaults to `os.environ` (read at each call, so a changed variable is seen at once).
    The Secrets Manager client is created on first use with boto3's usual region and credential
    chain, unless `secretsmanager_client` is given. Thread-safe: concurrent resolutions of one
    secret make one AWS call.
    """

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        ttl: float = 300.0,
        secretsmanager_client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._env = env
        self.ttl = ttl
        self._client = secretsmanager_client
        self._clock = clock
        self._lock = threading.Lock()
        self._id_locks: dict[str, threading.Lock] = {}
        self._aws: dict[str, tuple[str, float]] = {}  # secret id -> (SecretString, fetched at)
        self._known: dict[str, None] = {}  # insertion-ordered set of every value handed out
        guard_logs()
        register_secret_source(self.known_secrets)

    def __repr__(self) -> str:
        return f"SecretResolver(ttl={self.ttl:g}, cached_aws_secrets={len(self._aws)})"

    # -- public API --------------------------------------------------------------------------

    def resolve(self, ref: str) -> str:
        """The value of `ref`; text around or between references is kept as is.

        A string without `${` is returned unchanged (a literal, not a reference).
        """
        if "${" not in ref:
            return ref
        whole = REFERENCE.fullmatch(ref)
        if whole:
            return self._one(whole.group(1))
        return REFERENCE.sub(lambda m: self._one(m.group(1)), ref)

    def render(self, value: Any) -> Any:
        """A deep copy of `value` with every reference inside its strings resolved."""
        if isinstance(value, str):
            return self.resolve(value)
        if isinstance(value, Mapping):
            return {k: self.render(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.render(v) for v in value)
        return copy.deepcopy(value)

    def known_secrets(self) -> list[str]:
        """Every value resolved so far (callers redact these from messages)."""
        return list(self._known)

    # -- resolution --------------------------------------------------------------------------

    def _one(self, body: str) -> str:
        kind, sep, name = body.partition(":")
        if not sep or not name:
            raise SecretError(
                f"invalid secret reference ${{{body}}}: use ${{env:NAME}} or ${{aws-sm:SECRET_ID}}"
            )
        if kind == "env":
            value = self._read_env(name)
        elif kind == "aws-sm":
            value = self._read_aws(name)
        else:
            raise SecretError(
                f"unknown secret reference ${{{body}}}: use ${{env:NAME}} or ${{aws-sm:SECRET_ID}}"
            )
        self._known[value] = None
        return value

    def _read_env(self, name: str) -> str:
        env = os.environ if self._env is None else self._env
        value = env.get(name)
        if not value:
            raise SecretError(f"missing secret: set {name}")
        # On Lambda an env var holds a Secrets Manager reference rather than the value; one
        # level only (an env var naming another env var is a mistake, not an indirection).
        whole = REFERENCE.fullmatch(value)
        if whole and whole.group(1).startswith("aws-sm:"):
            return self._one(whole.group(1))
        return value

    def _read_aws(self, ref: str) -> str:
        secret_id, _, key = ref.partition("#")
        text = self._secret_string(secret_id)
        if not key:
            return text
        try:
            document = json.loads(text)
        except ValueError:
            raise SecretError(
                f"AWS secret {secret_id!r} is not JSON (asked for key {key!r})"
            ) from None
        if not isinstance(document, dict) or key not in document:
            raise SecretError(f"AWS secret {secret_id!r} has no key {key!r}")
        value = document[key]
        text = value if isinstance(value, str) else json.dumps(value)
        if not text:
            raise SecretError(f"AWS secret {secret_id!r} has an empty {key!r}")
        return text

    def _secret_string(self, secret_id: str) -> str:
        cached = self._aws.get(secret_id)
        if cached and self._clock() - cached[1] < self.ttl:
            return cached[0]
        with self._lock:
            id_lock = self._id_locks.setdefault(secret_id, threading.Lock())
        with id_lock:
            # Another thread may have fetched it while we waited: N resolutions, one AWS call.
            cached = self._aws.get(secret_id)
            if cached and self._clock() - cached[1] < self.ttl:
                return cached[0]
            text = self._fetch(secret_id)
            self._aws[secret_id] = (text, self._clock())
            self._known[text] = None
            return text

    def _fetch(self, secret_id: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with quiet_debug():
                answer = self._secretsmanager().get_secret_value(SecretId=secret_id)
        except ClientError as exc:
            # Only the error code: AWS messages can echo ARNs, policies or request details.
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            raise SecretError(f"cannot read AWS secret {secret_id!r}: {code}") from None
        except BotoCoreError as exc:
            raise SecretError(
                f"cannot read AWS secret {secret_id!r}: {type(exc).__name__}"
            ) from None
        text = answer.get("SecretString")
        if not isinstance(text, str) or not text:
            raise SecretError(f"AWS secret {secret_id!r} has no SecretString")
        return text

    def _secretsmanager(self) -> Any:
        with self._lock:  # boto3 client creation is not thread-safe
            if self._client is None:
                import boto3

                with quiet_debug():
                    self._client = boto3.session.Session().client("secretsmanager")
            return self._client


# --------------------------------------------------------------------------------------------
# Log guards
# --------------------------------------------------------------------------------------------

_quiet: ContextVar[bool] = ContextVar("adaptgen_quiet_debug", default=False)
_sources: list[weakref.WeakMethod[Callable[[], list[str]]]] = []
_sources_lock = threading.Lock()
_scanned_loggers = -1  # size of the logger registry at the last scan
# Loggers known to write request URLs, response headers/bodies or signed canonical requests.
GUARDED_NAMESPACES = (
    "httpx",
    "httpcore",
    "httpx2",
    "httpcore2",
    "botocore",
    "boto3",
    "urllib3",
    "s3transfer",
)
GUARDED_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpx2",
    "httpcore2.connection",
    "httpcore2.http11",
    "httpcore2.http2",
    "httpcore2.proxy",
    "httpcore2.socks",
    "botocore.auth",
    "botocore.credentials",
    "botocore.endpoint",
    "botocore.hooks",
    "botocore.httpsession",
    "botocore.parsers",
    "botocore.retryhandler",
    "botocore.utils",
    "urllib3.connectionpool",
)


def register_secret_source(source: Callable[[], list[str]]) -> None:
    """Have the log guard redact whatever `source()` returns (a bound method, held weakly)."""
    with _sources_lock:
        _sources[:] = [ref for ref in _sources if ref() is not None]
        _sources.append(weakref.WeakMethod(source))


def _live_secrets() -> list[str]:
    values: list[str] = []
    for ref in list(_sources):
        source = ref()
        if source is not None:
            values.extend(source())
    return values


@contextlib.contextmanager
def quiet_debug() -> Iterator[None]:
    """Within this block (this thread/task), guarded loggers drop their DEBUG records.

    botocore logs an AssumeRole/GetSecretValue response body and the signed canonical request
    (with the session token) at DEBUG, before we even know those values to redact them; so
    does httpcore2 a response's headers (SAP Gateway's CSRF token and its session cookie).
    """
    guard_logs()  # botocore may have created loggers since the last scan
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


class _LogGuard(logging.Filter):
    """Redacts live secrets from a record; drops DEBUG records inside `quiet_debug()`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _quiet.get() and record.levelno <= logging.DEBUG:
            return False
        try:
            secrets = _live_secrets()
            if not secrets:
                return True
            message = record.getMessage()
            cleaned = redact(message, secrets)
        except Exception:  # noqa: BLE001 - a broken record must not escape unredacted
            return False
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_GUARD = _LogGuard()


def guard_logs() -> None:
    """Install the log guard on the third-party loggers that can carry secrets (idempotent).

    Logger filters are not inherited by child loggers, so each known logger gets its own. The
    scan repeats only when loggers were added since (botocore creates them on import).
    """
    global _scanned_loggers
    if len(logging.root.manager.loggerDict) == _scanned_loggers:
        return
    with _sources_lock:
        names = set(GUARDED_LOGGERS)
        names.update(
            name
            for name in logging.root.manager.loggerDict
            if name.split(".")[0] in GUARDED_NAMESPACES
        )
        for name in sorted(names):
            logger = logging.getLogger(name)
            if _GUARD not in logger.filters:
                logger.addFilter(_GUARD)
        _scanned_loggers = len(logging.root.manager.loggerDict)
