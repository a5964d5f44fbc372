"""`sigv4`: AWS Signature V4 with the runtime's AWS credentials, optionally per caller.

With `assume_role`, each caller gets its own STS `AssumeRole` session named after a claim and
tagged with claims (ABAC), so the upstream's CloudTrail shows who acted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import quote, unquote_plus

import httpx2
from pydantic import Field

from adaptgen.runtime import identity
from adaptgen.runtime.flows.base import (
    MAX_CACHED,
    MIN_LIFETIME,
    AuthError,
    Clock,
    Flow,
    FlowRuntime,
    Strict,
    UpstreamAuthFlow,
)
from adaptgen.runtime.secrets import quiet_debug

if TYPE_CHECKING:  # boto3 is imported only when a SigV4 flow first needs it (it is slow)
    import boto3

ASSUMED_ROLE_MARGIN = 300.0  # assumed-role credentials are renewed 5 minutes before expiry


class AssumeRoleHints(Strict):
    """STS AssumeRole per caller, with session tags from the caller's identity (ABAC)."""

    role_arn: str
    session_name_claim: str = "sub"
    tags: dict[str, str] = Field(default_factory=dict, description="session tag -> claim")
    duration: int = Field(default=900, ge=900, le=43200)


class SigV4Hints(Strict):
    """AWS Signature V4 with the runtime's AWS credentials."""

    service: str
    region: str
    assume_role: AssumeRoleHints | None = None


class SigV4Flow(UpstreamAuthFlow):
    """SigV4, as a catalog entry."""

    kind: Literal["sigv4"] = "sigv4"
    config: SigV4Hints

    hints: ClassVar[type[SigV4Hints]] = SigV4Hints

    def build(self, runtime: FlowRuntime) -> httpx2.Auth:
        role = self.config.assume_role
        return SigV4Auth(
            self.config.service,
            self.config.region,
            assume_role=role.model_dump() if role is not None else None,
        )

    def describe(self) -> str:
        role = ", AssumeRole per caller" if self.config.assume_role else ""
        return f"AWS SigV4 ({self.config.service}, {self.config.region}){role}"


SESSION_NAME_CHARS = re.compile(r"[^A-Za-z0-9_+=,.@-]")  # STS RoleSessionName: [\w+=,.@-]
TAG_CHARS = re.compile(r"[^\w .:/=+@-]")  # STS tags: [\p{L}\p{Z}\p{N}_.:/=+\-@]
MAX_SESSION_NAME = 64
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
MAX_SESSION_TAGS = 50


@dataclass(frozen=True)
class _AwsKeys:
    access_key: str
    secret_key: str
    token: str | None
    refresh_at: float = float("inf")


class SigV4Auth(Flow):
    """Sign requests with AWS Signature V4 (botocore's signer) for `service` in `region`.

    Credentials come from the boto3 session's chain (env, profile, role...). With `assume_role`
    `{"role_arn", "session_name_claim": "sub", "tags": {"Department": "groups"}, "duration": 900,
    "external_id"?}`, each caller (`identity.caller()`) gets its own `AssumeRole` session named
    after a claim and tagged with claims, so the upstream's CloudTrail shows who acted and ABAC
    policies can use the tags. Assumed credentials are cached per caller until 5 minutes before
    they expire.
    """

    def __init__(
        self,
        service: str,
        region: str,
        *,
        assume_role: Mapping[str, Any] | None = None,
        session: boto3.session.Session | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if assume_role is not None and not assume_role.get("role_arn"):
            raise ValueError("assume_role needs a role_arn")
        super().__init__(clock)
        self.service = service
        self.region = region
        self.assume_role = dict(assume_role) if assume_role is not None else None
        self._session = session
        self._base: Any = None  # botocore Credentials from the chain, resolved on first use
        self._base_keys_seen: _AwsKeys | None = None  # last frozen base keys, for secrets()
        self._sts: Any = None
        self._assumed: dict[str, _AwsKeys] = {}

    def __repr__(self) -> str:
        role = self.assume_role["role_arn"] if self.assume_role else None
        return f"SigV4Auth(service={self.service!r}, region={self.region!r}, assume_role={role!r})"

    def secrets(self) -> list[str]:
        """Secret keys and session tokens of the base and assumed credentials held."""
        values: list[str] = []
        keys = list(dict(self._assumed).values())
        if self._base_keys_seen is not None:
            # Not the live credentials object: reading that could trigger a refresh (and I/O).
            keys.append(self._base_keys_seen)
        for key in keys:
            values.append(key.secret_key)
            if key.token:
                values.append(key.token)
        return values

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        await request.aread()  # the payload hash is part of the signature
        keys = await (self._assumed_keys() if self.assume_role else self._base_keys())
        self._sign(request, keys)
        yield request

    # -- credentials -------------------------------------------------------------------------

    def _boto_session(self) -> boto3.session.Session:
        if self._session is None:
            import boto3

            self._session = boto3.session.Session()
        return self._session

    async def _base_keys(self) -> _AwsKeys:
        if self._base is None:
            async with self._locks("base"):
                if self._base is None:
                    # The chain may read files or the instance metadata service: off the loop.
                    self._base = await asyncio.to_thread(self._resolve_chain)
        # Refreshable credentials refresh themselves here when near expiry.
        frozen = self._base.get_frozen_credentials()
        keys = _AwsKeys(frozen.access_key, frozen.secret_key, frozen.token)
        self._base_keys_seen = keys
        return keys

    def _resolve_chain(self) -> Any:
        with quiet_debug():
            credentials = self._boto_session().get_credentials()
        if credentials is None:
            raise AuthError(
                "no AWS credentials for SigV4 signing: configure the AWS credential chain "
                "(e.g. AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or an instance role)"
            )
        return credentials

    async def _assumed_keys(self) -> _AwsKeys:
        params = self._assume_params(identity.caller())
        # Same session name and tags = same AWS identity, so they share credentials.
        key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        cached = self._assumed.get(key)
        if cached is not None and self._clock() < cached.refresh_at:
            return cached
        async with self._locks(key):
            cached = self._assumed.get(key)
            if cached is not None and self._clock() < cached.refresh_at:
                return cached
            keys = await asyncio.to_thread(self._assume, params)
            self._assumed.pop(key, None)
            if len(self._assumed) >= MAX_CACHED:
                now = self._clock()
                self._assumed = {k: v for k, v in self._assumed.items() if now < v.refresh_at}
                while len(self._assumed) >= MAX_CACHED:
                    del self._assumed[next(iter(self._assumed))]
            self._assumed[key] = keys
            return keys

    def _assume_params(self, who: identity.Caller | None) -> dict[str, Any]:
        assert self.assume_role is not None
        spec = self.assume_role
        if who is None:
            raise AuthError("caller identity required for AssumeRole")
        claim = spec.get("session_name_claim", "sub")
        raw_name = who.claim(claim)
        if raw_name in (None, "", [], ()):
            raise AuthError(f"caller has no {claim!r} claim for the AssumeRole session name")
        params: dict[str, Any] = {
            "RoleArn": spec["role_arn"],
            "RoleSessionName": session_name(_claim_text(raw_name)),
            "DurationSeconds": int(spec.get("duration", 900)),
        }
        tags = []
        for tag_key, tag_claim in (spec.get("tags") or {}).items():
            value = who.claim(tag_claim)
            if value is None:
                continue  # an absent claim is no tag (not an empty one ABAC could match)
            tags.append({"Key": tag_text(tag_key, MAX_TAG_KEY), "Value": tag_value(value)})
        if tags:
            params["Tags"] = tags[:MAX_SESSION_TAGS]
        if spec.get("external_id"):
            params["ExternalId"] = str(spec["external_id"])
        return params

    def _assume(self, params: dict[str, Any]) -> _AwsKeys:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with quiet_debug():
                if self._sts is None:
                    self._sts = self._boto_session().client("sts", region_name=self.region)
                answer = self._sts.assume_role(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            raise AuthError(f"AssumeRole {params['RoleArn']} failed: {code}") from None
        except BotoCoreError as exc:
            kind = type(exc).__name__
            raise AuthError(f"AssumeRole {params['RoleArn']} failed: {kind}") from None
        creds = answer["Credentials"]
        expiration = creds["Expiration"]
        remaining = (
            expiration.timestamp() - time.time()
            if isinstance(expiration, datetime)
            else float(params["DurationSeconds"])
        )
        return _AwsKeys(
            creds["AccessKeyId"],
            creds["SecretAccessKey"],
            creds.get("SessionToken"),
            self._clock() + max(remaining - ASSUMED_ROLE_MARGIN, MIN_LIFETIME),
        )

    # -- signing -----------------------------------------------------------------------------

    def _sign(self, request: httpx2.Request, keys: _AwsKeys) -> None:
        from botocore.auth import S3SigV4Auth
        from botocore.auth import SigV4Auth as BotoSigV4
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        for stale in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            request.headers.pop(stale, None)  # a re-sent request must not keep the old ones
        _canonicalize_query(request)
        # Sign what no hop should change: host, content type and x-amz-* (not connection etc.).
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in ("host", "content-type") or name.lower().startswith("x-amz-")
        }
        aws = AWSRequest(
            method=request.method, url=str(request.url), data=request.content, headers=headers
        )
        signer_class = S3SigV4Auth if self.service == "s3" else BotoSigV4
        signer = signer_class(
            Credentials(keys.access_key, keys.secret_key, keys.token), self.service, self.region
        )
        with quiet_debug():  # botocore logs the canonical request (with the session token)
            signer.add_auth(aws)
        for name, value in aws.headers.items():
            if name.lower() == "authorization" or name.lower().startswith("x-amz-"):
                request.headers[name] = value


def _canonicalize_query(request: httpx2.Request) -> None:
    """Re-encode the query the way SigV4 canonicalizes it, so what is sent is what was signed.

    botocore signs the query string as given; AWS decodes and re-encodes it (RFC 3986, space as
    %20). httpx2 writes spaces as "+", which would then not match.
    """
    raw = request.url.query.decode("ascii")
    if not raw:
        return
    pairs = [part.partition("=") for part in raw.split("&") if part]
    encoded = "&".join(
        f"{quote(unquote_plus(k), safe='-_.~')}={quote(unquote_plus(v), safe='-_.~')}"
        for k, _, v in pairs
    )
    request.url = request.url.copy_with(query=encoded.encode("ascii"))


def _claim_text(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ":".join(str(v) for v in value)
    return str(value)


def session_name(value: str) -> str:
    """A valid STS RoleSessionName (2-64 chars of `[\\w+=,.@-]`) for a claim value.

    Overlong values keep a readable prefix plus a hash of the whole, so two long subjects that
    share a prefix still get different sessions.
    """
    name = SESSION_NAME_CHARS.sub("-", value)
    if len(name) > MAX_SESSION_NAME:
        digest = hashlib.sha256(value.encode()).hexdigest()[:10]
        name = f"{name[: MAX_SESSION_NAME - 11]}-{digest}"
    return name.ljust(2, "_")


def tag_text(value: str, limit: int) -> str:
    """Text in STS's session-tag charset, at most `limit` characters."""
    return TAG_CHARS.sub("_", value)[:limit]


def tag_value(value: Any) -> str:
    """A session-tag value for a claim: lists joined with ":", sanitized, <= 256 characters."""
    return tag_text(_claim_text(value), MAX_TAG_VALUE)
