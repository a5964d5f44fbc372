"""Planning security: schemes mapped to env vars, requirements, credentials kept out of arguments.

OAuth2 and OpenID Connect schemes take a bearer token from an env var unless an auth flow
(`adaptgen.runtime.flows`) fetches one; see `adaptgen.plan.auth`.
"""

from __future__ import annotations

from typing import Any

from adaptgen.load.source import join_pointer
from adaptgen.plan.body import FORM_MEDIA
from adaptgen.plan.names import env_word
from adaptgen.plan.parameters import DECLARED, HTTP_TOKEN, TOKEN_PARAMETERS
from adaptgen.plan.schemas import clean_text
from adaptgen.plan.state import PlannerState
from adaptgen.runtime.catalog import Body, Param, SecurityScheme

# HTTP schemes that sign or negotiate each request (RFC 7616's Digest, SPNEGO, HOBA, AWS's and
# PAYONE's signatures, OAuth 1.0's): a credential sent as it is would not do.
_SIGNED_HTTP_SCHEMES = frozenset(
    {
        "digest", "negotiate", "ntlm", "kerberos", "hoba", "mutual", "vapid", "oauth",
        "scram-sha-1", "scram-sha-256", "aws4-hmac-sha256", "payone-hmac-sha256", "privatetoken",
        "concealed", "dpop", "gnap",
    }
)  # fmt: skip

# Optional credentials declared as parameters that one operation sends each when its env var is
# set (each subset is an alternative: 2^n of them); past this many, all of them or none.
MAX_OPTIONAL_CREDENTIALS = 3


class SecurityPlanning(PlannerState):
    """The security part of the planner (a mixin of `adaptgen.plan._Planner`)."""

    def _without_credentials(
        self,
        params: list[Param],
        body: Body | None,
        security: tuple[tuple[str, ...], ...] | None,
        schemes: dict[str, SecurityScheme],
    ) -> tuple[list[Param], tuple[tuple[str, ...], ...] | None]:
        """`params` without the credentials a security scheme supplies; the requirement to use.

        An API key the spec also declares as a parameter (in any place, a form field too) is
        the scheme's; so is a `token` or `access_token` parameter of an operation a bearer
        scheme (OAuth2, OpenID Connect, HTTP bearer) secures, like Slack's `token`. The value
        comes from the server's environment. Where the spec requires it in that parameter, it
        is sent there too, by a scheme derived from the bearer one (same env var). A path
        parameter is never a credential (`/tokens/{token}` names a token, it does not carry one).
        API keys the operation's parameters require are all sent, even where its requirement
        offers their schemes as alternatives (Trello: `key` OR `token` in the requirement, both
        required parameters, and the API wants both).
        """
        requirement = security if security is not None else self._default_requirement(schemes)
        applying = {name for alternative in requirement for name in alternative}
        # API key parameter name -> its scheme (the first by name when two share one).
        keys = {
            (s.param_name or "").lower(): s.name
            for s in sorted(schemes.values(), key=lambda s: s.name, reverse=True)
            if s.kind == "api_key" and s.name not in self.also_sent
        }
        bearers = [schemes[n] for n in sorted(applying) if schemes[n].kind == "bearer"]
        form = body is not None and body.flattened and body.media_type in FORM_MEDIA
        kept: list[Param] = []
        derived: list[SecurityScheme] = []
        needed: list[str] = []  # schemes whose API key a required parameter names
        optional: list[str] = []  # declared credentials an optional parameter names
        for param in params:
            name = param.api_name.lower()
            credential = param.location not in ("paging", "path")
            if param.location == "body" and not form:
                kept.append(param)
            elif name in keys and credential:
                # The API key itself: the runtime adds it, also where the operation's
                # requirement forgot its scheme (VTEX: `security: []` beside a required
                # `X-VTEX-API-AppKey` header) — never an argument an agent fills with a secret.
                key = keys[name]
                if param.location == "body":
                    # A field of the form, where the spec wants it (VisageCloud's `secretKey`
                    # is a query parameter of its reads and a form field of its writes).
                    key = self._also_sent(schemes[key], "form", param.api_name, schemes).name
                if param.required:
                    needed.append(key)
                elif keys[name].startswith(DECLARED):
                    optional.append(key)  # sent when its env var is set
                continue
            elif bearers and name in TOKEN_PARAMETERS and credential:
                if param.required:
                    # Where the spec wants it: a header, else a form body's field (Slack's
                    # `token`, required in the form of 11 writes), else the query.
                    where = {"header": "header", "body": "form"}.get(param.location, "query")
                    derived.append(self._also_sent(bearers[0], where, param.api_name, schemes))
            else:
                kept.append(param)
        if needed and not any(set(needed) <= set(a) for a in requirement):
            extra_keys = tuple(dict.fromkeys(needed))
            merged: dict[frozenset[str], tuple[str, ...]] = {}
            for alternative in requirement:  # two that become the same: the first one's order
                full = alternative + tuple(k for k in extra_keys if k not in alternative)
                merged.setdefault(frozenset(full), full)
            requirement = tuple(merged.values()) or (extra_keys,)
            security = requirement
        if optional:
            # Each alternative with every subset of them, the largest first, then as it was:
            # the runtime takes the first alternative whose env vars are all set (an empty
            # one: none needed), so each is sent when its own env var is.
            # Past MAX_OPTIONAL_CREDENTIALS, all of them or none.
            extra_keys = tuple(dict.fromkeys(optional))
            if len(extra_keys) > MAX_OPTIONAL_CREDENTIALS:
                subsets = [extra_keys, ()]
            else:
                subsets = [
                    tuple(k for i, k in enumerate(extra_keys) if mask >> i & 1)
                    for mask in range(2 ** len(extra_keys) - 1, -1, -1)
                ]
                subsets.sort(key=len, reverse=True)
            found: dict[frozenset[str], tuple[str, ...]] = {}
            for alternative in requirement or ((),):
                for subset in subsets:
                    full = alternative + tuple(k for k in subset if k not in alternative)
                    found.setdefault(frozenset(full), full)
            requirement = security = tuple(found.values())
        if not derived:
            return kept, security
        extra = tuple(dict.fromkeys(s.name for s in derived))
        owner = bearers[0].name
        return kept, tuple(a + extra if owner in a else a for a in requirement)

    def _default_requirement(
        self, schemes: dict[str, SecurityScheme]
    ) -> tuple[tuple[str, ...], ...]:
        raw = self.doc.get("security")
        alternatives = (
            [tuple(r) for r in raw if isinstance(r, dict)] if isinstance(raw, list) else []
        )
        return tuple(a for a in alternatives if all(n in schemes for n in a))

    def _also_sent(
        self, source: SecurityScheme, location: str, name: str, schemes: dict[str, SecurityScheme]
    ) -> SecurityScheme:
        """A scheme's credential (a bearer's token, an API key) sent in a parameter as well, or
        in a form where its own scheme puts it in the query (registered in `schemes`)."""
        key = f"{source.name}.{location}.{name}"
        if key not in schemes:
            self.also_sent.add(key)
            what = "token" if source.kind == "bearer" else "key"
            schemes[key] = SecurityScheme(
                name=key,
                kind="api_key",
                env=source.env,
                location=location,
                param_name=name,
                credential=f"the {source.name} {what} ({source.env[0]}), also sent as "
                f"{'form field' if location == 'form' else location} `{name}` where the spec "
                "requires it",
            )
        return schemes[key]

    def _security_schemes(self) -> dict[str, SecurityScheme]:
        raw = (self.doc.get("components") or {}).get("securitySchemes") or {}
        schemes: dict[str, SecurityScheme] = {}
        for key, value in raw.items():
            pointer = join_pointer("components", "securitySchemes", key)
            if isinstance(value, dict) and "$ref" in value:
                resolved = self.spec.resolver.resolve(value["$ref"], self.source, pointer)
                if resolved is None:
                    schemes[key] = self._unread_scheme(key, str(value["$ref"]), pointer)
                    continue
                value = resolved.value
            if not isinstance(value, dict):
                continue
            scheme = self._scheme(key, value, pointer)
            if scheme is not None:
                schemes[key] = scheme
        return schemes

    def _scheme(self, key: str, value: dict[str, Any], pointer: str) -> SecurityScheme | None:
        base = f"{self.env_prefix}_{env_word(key) or 'AUTH'}"
        kind = value.get("type")
        description = clean_text(str(value.get("description") or "")) or None
        if kind == "apiKey":
            location = value.get("in")
            if location not in ("header", "query", "cookie") or not value.get("name"):
                self.warn(pointer, "apiKey scheme without a valid 'in' and 'name': ignored")
                return None
            if location != "query" and not HTTP_TOKEN.fullmatch(str(value["name"])):
                self.warn(pointer, f"apiKey {location} name is not an RFC 9110 token: ignored")
                return None
            return SecurityScheme(
                name=key,
                kind="api_key",
                env=(base,),
                location=str(location),
                param_name=str(value["name"]),
                description=description,
            )
        if kind == "http":
            http_scheme = str(value.get("scheme") or "").lower()
            if http_scheme == "bearer":
                env = _token_env(base)
                return SecurityScheme(name=key, kind="bearer", env=(env,), description=description)
            if http_scheme == "basic":
                return SecurityScheme(
                    name=key,
                    kind="basic",
                    env=(base + "_USERNAME", base + "_PASSWORD"),
                    description=description,
                )
            written = str(value.get("scheme") or "").strip()
            if HTTP_TOKEN.fullmatch(written) and http_scheme not in _SIGNED_HTTP_SCHEMES:
                # A scheme of the API's own that carries a credential as it is
                # (`Authorization: SharedAccessKey <key>`, DRF's `Token <key>`).
                env = _token_env(base)
                return SecurityScheme(
                    name=key,
                    kind="bearer",
                    env=(env,),
                    description=description,
                    credential=f"credential in {env}, sent as `Authorization: {written} "
                    "<credential>`",
                    auth_scheme=written,
                )
            self.warn(pointer, f"HTTP auth scheme {http_scheme!r} is not supported: ignored")
            return None
        if kind in ("oauth2", "openIdConnect"):
            # The access token is obtained out of band and given in the env var; OAuth2 client
            # credentials can instead be fetched by the server (hints `auth:`, runtime/flows.py).
            env = _token_env(base)
            credential = _token_source(key, value, env)
            return SecurityScheme(
                name=key, kind="bearer", env=(env,), description=description, credential=credential
            )
        if kind == "mutualTLS":
            # The certificate is the connection's (`runtime.tls`): required here, so that a
            # call without one says what to set rather than failing in the handshake.
            cert = f"{self.env_prefix}_CLIENT_CERT"
            return SecurityScheme(
                name=key,
                kind="mutual_tls",
                env=(cert,),
                description=description,
                credential=f"mutual TLS: client certificate in {cert} (a PEM file, its text or "
                f"${{aws-sm:...}}), its key in it or in {self.env_prefix}_CLIENT_KEY",
            )
        self.warn(pointer, f"security scheme type {kind!r} is not supported: ignored")
        return None

    def _unread_scheme(self, key: str, ref: str, pointer: str) -> SecurityScheme:
        """A scheme the spec only references (a remote `$ref` not fetched): a bearer token.

        Leaving it out left such an API (Zoho's OAuth2) with no credential at all; a bearer
        token is what OAuth2 and OpenID Connect schemes, the usual remote ones, take.
        """
        env = f"{self.env_prefix}_{env_word(key) or 'AUTH'}"
        env = env if env.endswith("TOKEN") else env + "_TOKEN"
        self.warn(
            pointer,
            f"security scheme {key!r} is {ref}, not read (--allow-remote-refs reads it): taken "
            f"as a bearer token from {env}",
        )
        credential = f"bearer token in {env} (the scheme is {ref}, not read at build time)"
        return SecurityScheme(name=key, kind="bearer", env=(env,), credential=credential)

    def _requirements(
        self, raw: Any, schemes: dict[str, SecurityScheme], pointer: str
    ) -> tuple[tuple[str, ...], ...] | None:
        if not isinstance(raw, list):
            return None
        alternatives: list[tuple[str, ...]] = []
        for i, requirement in enumerate(raw):
            if not isinstance(requirement, dict):
                continue
            names = tuple(requirement)
            unknown = [n for n in names if n not in schemes]
            if unknown:
                self.warn(
                    f"{pointer}/{i}", f"security requirement names unusable scheme(s) {unknown}"
                )
                continue
            alternatives.append(names)
        return tuple(alternatives)


def _token_source(key: str, value: dict[str, Any], env: str) -> str:
    """Where an OAuth2 / OpenID Connect access token comes from, for the README and report."""
    if value.get("type") == "openIdConnect":
        where = value.get("openIdConnectUrl") or "the provider"
        return f"access token in {env}, obtained out of band (OpenID Connect: {where})"
    flows = value.get("flows") if isinstance(value.get("flows"), dict) else {}
    if isinstance(flows.get("clientCredentials"), dict):
        url = flows["clientCredentials"].get("tokenUrl") or "the token URL"
        return (
            f"access token in {env}; or client credentials fetched at {url}: hints "
            f"`auth: {{{key}: {{oauth2_client_credentials: {{client_id: ..., client_secret: "
            "${env:...}}}}}`"
        )
    names = ", ".join(sorted(flows)) or "OAuth2"
    return f"access token in {env}, obtained out of band ({names} flow)"


def _token_env(base: str) -> str:
    """The env var of a scheme's token: `<NAME>_<SCHEME>_TOKEN` (once, when the scheme's own
    name ends in it)."""
    return base if base.endswith("TOKEN") else base + "_TOKEN"
