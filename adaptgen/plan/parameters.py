"""Planning parameters: path-item and operation parameters merged, typed and named.

Also the path key itself: a query or fragment in it (`/messages?action=send`) becomes fixed
values and name words.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from adaptgen.load.source import SourceFile, join_pointer
from adaptgen.plan.describe import ARGUMENT_DESCRIPTION_CHARS, brief
from adaptgen.plan.names import argument_name, env_word, selector_words, unique_name
from adaptgen.plan.pagination import schema_type
from adaptgen.plan.state import OperationProblem, PlannerState
from adaptgen.runtime.catalog import FixedValue, Param, SecurityScheme
from adaptgen.runtime.http_methods import IGNORED_HEADERS, SIGNING_HEADERS, TRANSPORT_HEADERS
from adaptgen.words import squashed

_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
# Marks of a path parameter whose value spans segments (`_skips_encoding`).
RESERVED_MARKS = ("x-ms-skip-url-encoding", "x-reservedExpansion", "x-multi-segment")
# A path that starts, after its version, with a parameter: a Google resource name (`/v1/{name}`).
_LEADING_NAME = re.compile(r"/v\d+(?:[a-z]+\d*)*/\{([^{}/]+)\}")
# Google's system parameters (cloud.google.com/apis/docs/system-parameters) that a spec
# converted from a Discovery document declares on every operation, about the transport, not
# the call: `alt=proto` or `callback` (JSONP) would make an answer no JSON reader can read, and
# the rest change nothing an agent wants. Never tool arguments there. (`key`, `access_token`
# and `oauth_token` are credentials, read as such; `fields`, a partial answer, stays.)
GOOGLE_SYSTEM_PARAMETERS = frozenset(
    {"$.xgafv", "alt", "callback", "prettyPrint", "quotaUser", "upload_protocol", "uploadType"}
)
MAX_VERSIONS_SAID = 8  # an `api-version` argument names at most this many versions it saw
# An API version written as Azure's are: a date, perhaps a pre-release (`2019-05-01-preview`).
_DATED = re.compile(r"\d{4}-\d{2}-\d{2}(?:-[a-z]+(?:\.\d+)?)?")
_VERSION = re.compile(r"v?\d+(?:\.\d+)*(?:-[a-z]+(?:\.\d+)?)?", re.IGNORECASE)
# An HTTP field name is a token (RFC 9110 5.1, 5.6.2); a cookie name too (RFC 6265 4.1.1).
HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# The scheme made for an `Authorization` header parameter no security scheme supplies.
DECLARED_AUTHORIZATION = "declared_authorization"
# A parameter by these names carries the bearer token of the scheme that secures the operation.
TOKEN_PARAMETERS = frozenset({"token", "access_token", "auth_token", "oauth_token"})
# The schemes made for other credentials declared as parameters: `declared.<in>.<name>`.
DECLARED = "declared."
# A header, query or cookie parameter whose name (letters only, lower case) ends so carries a
# credential: `X-VO-Api-Key`, `trakt-api-key`, `ev-access-token`, `X-Sds-Auth-Token`,
# `api_secret`, `Ocp-Apim-Subscription-Key`. Not an id that is a key (`projectKey`,
# `userKey`), nor a paging or idempotency token (`nextToken`, `clientToken`).
_CREDENTIAL_ENDS = (
    "apikey",
    "apitoken",
    "apisecret",
    "accesstoken",
    "authtoken",
    "oauthtoken",
    "authkey",
    "authsecret",
    "authorization",
    "clientsecret",
    "secretkey",
    "accesskey",  # VisageCloud's `accessKey` beside its `secretKey`, Zuora's `apiSecretAccessKey`
    "consumerkey",
    "consumersecret",
    "subscriptionkey",
    "applicationkey",
    "appkey",
    "apptoken",
    "devtoken",
    "usertoken",
    "servertoken",
    "accounttoken",
    "servicetoken",
)
# A header or cookie by one of these names alone is one too (Autotask's `Secret`, `X-Token`).
_CREDENTIAL_FIELDS = frozenset({"secret", "token", "xsecret", "xtoken"})
# A header or cookie whose name ends so is one too (bunq's `X-Bunq-Client-Authentication`,
# WorkDocs' `Authentication`, data2crm's `X-API2CRM-USER-KEY`, VictorOps' `X-VO-Api-Id`,
# Apideck's `x-apideck-app-id`, Discourse's `Api-Username`); in a query such a name is as often
# the thing asked about (`userKey`, `appId`).
_HEADER_CREDENTIAL_ENDS = (
    *("authentication", "userkey", "apiid", "appid", "apiusername"),
    "accesskeyid",  # Zuora's `apiAccessKeyId`, beside its `apiSecretAccessKey`
)
_SAYS_API_KEY = re.compile(r"\bapi[ _-]?key\b", re.IGNORECASE)
# An Express-style path parameter, a whole segment (Clever Cloud's `/logs/{appId}/drains/:idOrUrl`,
# Vercel's `/v1/integrations/webhooks/:id`): the template's `{idOrUrl}`.
_COLON_PARAMETER = re.compile(r"(?<=/):([A-Za-z_][A-Za-z0-9_]*)(?=/|$)")


def credential_parameter(location: str, api_name: str, value: dict[str, Any]) -> bool:
    """Whether a header, query or cookie parameter carries a credential, by its name (and a
    bare `key` by its description: Google's "API key. Your API key identifies your
    project"): a string, never a flag like `append_api_key`."""
    schema = value.get("schema") if isinstance(value.get("schema"), dict) else value
    kind = schema.get("type")
    if location not in ("header", "query", "cookie") or kind not in (None, "string"):
        return False
    word = re.sub(r"[^a-z]", "", api_name.lower())
    if word.endswith(_CREDENTIAL_ENDS):
        return True
    if location != "query" and (
        word in _CREDENTIAL_FIELDS or word.endswith(_HEADER_CREDENTIAL_ENDS)
    ):
        return True
    return word == "key" and bool(_SAYS_API_KEY.search(str(value.get("description") or "")))


class ParameterPlanning(PlannerState):
    """The parameters part of the planner (a mixin of `adaptgen.plan._Planner`)."""

    def _declared_authorization(
        self,
        value: dict[str, Any],
        pointer: str,
        schemes: dict[str, SecurityScheme],
        op: dict[str, Any],
    ) -> bool:
        """Whether an `Authorization` header parameter is the operation's credential.

        OpenAPI says to ignore it (security schemes set that header). Where no scheme of the
        spec's secures the operation, ignoring it left the call without its credential
        (payrun.io and BBC's `/my/...` have no scheme at all; Just Eat's restaurant reads
        declare schemes and secure none of these operations): a required one is instead sent
        from an env var as the whole header value (a scheme registered in `schemes`, taken up
        by `_without_credentials`), never an argument. Said once, located.
        """
        requirement = op.get("security", self.doc.get("security"))
        own = {n for n in schemes if n != DECLARED_AUTHORIZATION and not n.startswith(DECLARED)}
        if isinstance(requirement, list) and any(
            isinstance(alternative, dict) and alternative and set(alternative) <= own
            for alternative in requirement
        ):
            return False  # the spec's own schemes say how to authorize it
        required = value.get("required") is True
        if any(
            s.kind == "api_key"
            and s.location == "header"
            and (s.param_name or "").lower() == "authorization"
            for n, s in schemes.items()
            if n in own
        ):
            return required  # an API key scheme of the spec's sends that header (Brandlovers)
        env = f"{self.env_prefix}_AUTHORIZATION"
        if required and DECLARED_AUTHORIZATION not in schemes:
            schemes[DECLARED_AUTHORIZATION] = SecurityScheme(
                name=DECLARED_AUTHORIZATION,
                kind="api_key",
                env=(env,),
                location="header",
                param_name="Authorization",
                credential=f"the whole `Authorization` header value in {env} (e.g. "
                "`Bearer <token>`): the spec declares the header and no security scheme",
            )
        if "authorization" not in self.said_once:
            self.said_once.add("authorization")
            done = (
                f"the server sends {env} as the whole header value (e.g. 'Bearer <token>')"
                if required
                else "an optional one is not sent"
            )
            self.warn(
                pointer,
                "header parameter 'Authorization' is declared and no security scheme supplies "
                f"it (OpenAPI says to ignore it): {done}; declaring a scheme (an overlay can) "
                "says more",
            )
        return required

    def _declared_credential(
        self,
        location: str,
        api_name: str,
        value: dict[str, Any],
        pointer: str,
        schemes: dict[str, SecurityScheme],
    ) -> None:
        """A credential declared as a parameter that no security scheme supplies (VictorOps'
        `X-VO-Api-Key` header, Autotask's `Secret`, Google's `key`): a scheme sending it from an
        env var (registered in `schemes`), never an argument an agent fills with a secret (it
        would pass through the model, the audit log and traces). `_without_credentials`
        drops the parameter: a required one is always sent, an optional one when its env var
        is set. Said once per parameter, located."""
        key = f"{DECLARED}{location}.{api_name}"
        env = f"{self.env_prefix}_{env_word(api_name) or 'CREDENTIAL'}"
        if key not in schemes:
            schemes[key] = SecurityScheme(
                name=key,
                kind="api_key",
                env=(env,),
                location=location,  # type: ignore[arg-type]
                param_name=api_name,
                credential=f"the {location} `{api_name}` in {env}: the spec declares it as a "
                "parameter and no security scheme",
            )
        if key not in self.said_once:
            self.said_once.add(key)
            self.warn(
                pointer,
                f"{location} parameter {api_name!r} carries a credential and no security scheme "
                f"supplies it: the server sends {schemes[key].env[0]} "
                + ("" if value.get("required") is True else "when it is set ")
                + "and it is never a tool argument; declaring a scheme (an overlay can) says "
                "more",
            )

    def _parameters(
        self,
        path_item: dict[str, Any],
        op: dict[str, Any],
        op_pointer: str,
        schemes: dict[str, SecurityScheme],
    ) -> list[Param]:
        merged: dict[tuple[str, str], tuple[dict[str, Any], SourceFile, str]] = {}
        item_pointer = op_pointer.rsplit("/", 1)[0]
        for owner, pointer in ((path_item, item_pointer), (op, op_pointer)):
            for i, raw in enumerate(owner.get("parameters") or []):
                at = f"{pointer}/parameters/{i}"
                value, source, value_pointer = raw, self.source, at
                if isinstance(raw, dict) and "$ref" in raw:
                    resolved = self.spec.resolver.resolve(raw["$ref"], self.source, at)
                    if resolved is None:
                        raise OperationProblem(f"remote parameter {raw['$ref']} not fetched", at)
                    value, source, value_pointer = (
                        resolved.value,
                        resolved.source,
                        resolved.pointer,
                    )
                if not isinstance(value, dict) or "name" not in value or "in" not in value:
                    raise OperationProblem("parameter without name or in", at)
                merged[(str(value["in"]), str(value["name"]))] = (value, source, value_pointer)
        supplied = {
            (s.location, (s.param_name or "").lower())
            for s in schemes.values()
            if s.location and s.name not in self.also_sent and not s.name.startswith(DECLARED)
        }
        params: list[Param] = []
        for (location, api_name), (value, source, pointer) in merged.items():
            if location == "header" and api_name.lower() in IGNORED_HEADERS:
                authorization = api_name.lower() == "authorization"
                if not authorization or not self._declared_authorization(
                    value, pointer, schemes, op
                ):
                    continue
            if location == "header" and api_name.lower() in TRANSPORT_HEADERS:
                continue  # the HTTP client frames the request itself
            if (
                location == "header"
                and api_name.lower() in SIGNING_HEADERS
                and value.get("required") is not True
            ):
                continue  # SigV4's: the signer sets them, never the agent
            if (
                location == "query"
                and api_name in GOOGLE_SYSTEM_PARAMETERS
                and value.get("required") is not True
                and self._from_discovery()
            ):
                continue  # Google's system parameters: the transport's, never the agent's
            if (location, api_name.lower()) in supplied and value.get("required") is not True:
                continue  # a credential: the runtime adds it, the agent never sees it
            # A required one goes on to `_without_credentials`, which drops it too and makes
            # sure the operation's requirement sends it.
            bearer = api_name.lower() in TOKEN_PARAMETERS and any(
                s.kind == "bearer" for s in schemes.values()
            )  # the bearer scheme's token (`_without_credentials`): Slack's `token`
            declared = (location, api_name.lower()) in supplied or (
                location == "header" and api_name.lower() in IGNORED_HEADERS
            )  # a scheme of the spec's sends it, or `Authorization` (above)
            if not (bearer or declared) and credential_parameter(location, api_name, value):
                self._declared_credential(location, api_name, value, pointer, schemes)
            if location not in _DEFAULT_STYLE:
                raise OperationProblem(f"parameter location {location!r} unknown", pointer)
            if location in ("header", "cookie") and not HTTP_TOKEN.fullmatch(api_name):
                self.warn(
                    pointer,
                    f"{location} parameter {api_name!r} skipped: not a valid {location} name "
                    "(an RFC 9110 token: ASCII letters, digits and !#$%&'*+-.^_`|~)",
                )
                continue
            schema = self._param_schema(value, source, pointer)
            style = value.get("style")
            explode = value.get("explode")
            default_style = _DEFAULT_STYLE[location]
            style = style if isinstance(style, str) and style != default_style else None
            if location == "path" and style is None and api_name.startswith("."):
                # RFC 6570's label operator written into the template (NASA TechPort's
                # `/projects/{id}{.format}`): the value goes with its dot, `/projects/7.json`.
                style = "label"
            if not isinstance(explode, bool) or explode == ((style or default_style) == "form"):
                explode = None
            required = location == "path" or value.get("required") is True
            if location == "path" and str(schema.get("default", "x")).strip() == "":
                # An empty default is no value for a path (Stoplight's `versionId`): a client
                # that takes it would call `/versions//export`.
                schema = {k: v for k, v in schema.items() if k != "default"}
            if required and location == "query" and _vanishes_when_empty(schema, style, explode):
                # `{}` would send nothing, and the upstream find the parameter missing
                # (Sinao's `movements`, Seldon's object filters): at least one field.
                schema = {**schema, "minProperties": 1}
            if required and location == "query" and api_name.lower() == "api-version":
                schema = self._api_version(value, schema)
            params.append(
                Param(
                    name=argument_name(api_name),
                    api_name=api_name,
                    location=location,  # type: ignore[arg-type]
                    schema=schema,
                    required=required,
                    style=style,
                    explode=explode,
                    # Azure's scopes and resource IDs (`/{scope}/providers/...`), a Google
                    # name the converter marked: slashes kept (also `_resource_names`)
                    reserved=True if location == "path" and _skips_encoding(value) else None,
                )
            )
        return params

    def _api_version(self, param: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        """The schema of a required `api-version` query parameter (Azure's, on every
        operation) that names no version, with the version it means: the one value its
        examples, example and default give, or, when they give none, the spec's
        `info.version` if it is dated as Azure's are (`2016-11-01`, `2019-05-01-preview`) or
        the spec is an AutoRest data-plane one (`x-ms-parameterized-host`: `7.4`), as a
        `const` (sent always, never asked: `operations._only_value`). AutoRest sends that
        version as a client constant; asked of the agent ("Client Api Version."), it was a
        guess every call, and Azure refuses a version it does not have. A spec merged from
        several versions (Compute, Service Bus) gives several: they are named in the
        description, and the agent picks."""
        if schema.get("type") not in (None, "string") or "enum" in schema or "const" in schema:
            return schema
        raw = param.get("schema") if isinstance(param.get("schema"), dict) else {}
        given = [param.get("example"), raw.get("example"), raw.get("default")]
        examples = param.get("examples")
        if isinstance(examples, dict):
            given += [e.get("value") for e in examples.values() if isinstance(e, dict)]
        said = sorted({v.strip() for v in given if isinstance(v, str) and v.strip()})
        version = (self.doc.get("info") or {}).get("version")
        if not said and isinstance(version, str) and _DATED.fullmatch(version):
            said = [version]
        elif (
            not said
            and isinstance(version, str)
            and _VERSION.fullmatch(version.strip())
            and isinstance(self.doc.get("x-ms-parameterized-host"), dict)
        ):
            # An AutoRest data-plane spec (its host parameterized: Key Vault's `7.4`, Text
            # Analytics' `v3.1`): AutoRest sends `info.version` whatever its form.
            said = [version.strip()]
        if len(said) == 1:
            return {**schema, "const": said[0]}
        if not said or len(said) > MAX_VERSIONS_SAID:
            return schema
        known = f"Versions this API's examples use: {', '.join(said)}."
        described = schema.get("description", "").rstrip()
        return {**schema, "description": f"{described} {known}".strip()}

    def _query_placeholders(
        self, params: list[Param], placeholders: dict[str, str], op_pointer: str
    ) -> list[Param]:
        """`params` with those the path key's query takes (`query_placeholders`: parameter
        name -> query name) sent in the query under that name, whatever location the spec
        declared (weatherbit's `lat` `in: path` for `/alerts?lat={lat}`); one it does not
        declare is added as a required string, as a path's own are."""
        out = []
        for param in params:
            query_name = placeholders.get(param.api_name)
            if query_name is not None and param.location in ("path", "query"):
                param = param.model_copy(update={"location": "query", "api_name": query_name})
            out.append(param)
        declared = {p.api_name for p in out if p.location == "query"}
        missing = [q for q in placeholders.values() if q not in declared]
        if missing:
            self.warn(op_pointer, f"query parameter(s) not declared, added as strings: {missing}")
            out += required_strings(missing, "query")
        return out

    def _resource_names(self, path: str, params: list[Param]) -> list[Param]:
        """`params` with a Google resource name marked `reserved`: in a spec converted from a
        Google Discovery document (`info.x-origin` format `google`), the parameter that starts
        a path after its version (`/v1/{name}`, `/v1beta1/{parent}/tlsRoutes`,
        `/v1/{resource}:getIamPolicy`) is the Discovery document's `{+name}`, a name of several
        segments (`projects/p1/locations/global/tlsRoutes/r1`). Google's servers do not decode
        a `%2F` there (google/api/http.proto), so the name's `/` must go as they are; the
        converter dropped the `+` (2,902 such parameters in 276 corpus specs, 35 kept as
        `x-reservedExpansion`)."""
        found = _LEADING_NAME.match(path)
        if found is None or not self._from_discovery():
            return params
        return [
            p.model_copy(update={"reserved": True})
            if p.location == "path"
            and p.api_name == found[1]
            and p.schema.get("type") in (None, "string")
            else p
            for p in params
        ]

    def _from_discovery(self) -> bool:
        """Whether the spec was converted from a Google Discovery document."""
        origins = (self.doc.get("info") or {}).get("x-origin")
        origins = origins if isinstance(origins, list) else [origins]
        return any(isinstance(o, dict) and o.get("format") == "google" for o in origins)

    def _usable_path_params(self, path: str, params: list[Param], op_pointer: str) -> list[Param]:
        """`params` without path parameters the path has no `{name}` for (never sent)."""
        in_path = {segment[1:-1] for segment in path_params(path)}
        unused = [p.api_name for p in params if p.location == "path" and p.api_name not in in_path]
        if unused:
            self.warn(op_pointer, f"path parameter(s) not in the path {path!r}, skipped: {unused}")
        return [p for p in params if p.location != "path" or p.api_name in in_path]

    def _param_schema(self, value: dict[str, Any], source: SourceFile, pointer: str) -> dict:
        if "schema" in value:
            schema = self.inliner.inline(value["schema"], source, pointer + "/schema")
        elif isinstance(value.get("content"), dict) and value["content"]:
            media = next(iter(value["content"]))
            media_obj = value["content"][media] or {}
            schema = self.inliner.inline(
                media_obj.get("schema"), source, join_pointer(pointer[1:], "content", media)
            )
        else:
            schema = {}
        description = value.get("description")
        if isinstance(description, str) and description.strip():
            rest = {k: v for k, v in schema.items() if k != "description"}
            schema = {"description": brief(description, ARGUMENT_DESCRIPTION_CHARS), **rest}
        return schema


def _skips_encoding(param: dict[str, Any]) -> bool:
    """Whether a path parameter's value spans segments, its `/` sent as they are: AutoRest's
    `x-ms-skip-url-encoding` (801 path parameters of 48 Azure corpus specs: `scope`,
    `resourceUri`, `parentResourcePath`, `resourceId`; Azure's answer to an encoded `%2F` there
    is a 404), a Google converter's `x-reservedExpansion` (RFC 6570's `{+name}`), or GitHub's
    mark of a file's path, a ref or a branch name with slashes in it (`x-multi-segment`, and
    in its older specs, the shared one among them, the description `path+ parameter`:
    octokit's `{+path}`; GitHub answers a file's `%2F`-encoded path 404). Scalar values of the
    simple style only: a list or object goes as before."""
    schema = param.get("schema") if isinstance(param.get("schema"), dict) else param
    marked = any(param.get(k) is True for k in RESERVED_MARKS)
    name, said = param.get("name"), param.get("description")
    if isinstance(name, str) and isinstance(said, str) and said.strip() == f"{name}+ parameter":
        marked = True
    return marked and schema.get("type") in (None, "string")


def _vanishes_when_empty(schema: dict[str, Any], style: str | None, explode: bool | None) -> bool:
    """Whether an empty object in this query parameter is sent as nothing at all: exploded as a
    form (each field its own `name=value`) or as a deep object (`name[field]=value`), an object
    that requires none of its fields and may have none."""
    exploded = (style is None and explode is None) or style == "deepObject"
    is_object = schema.get("type") == "object" or (
        "type" not in schema and isinstance(schema.get("properties"), dict)
    )
    return (
        exploded
        and is_object
        and not schema.get("required")
        and "minProperties" not in schema
        and not any(k in schema for k in ("anyOf", "oneOf", "allOf"))
    )


def required_strings(names: list[str], location: str) -> list[Param]:
    """Arguments a request needs that the spec does not declare (a path's `{id}`, a query's
    `{term}`): plain required strings."""
    return [
        Param(
            name=argument_name(name),
            api_name=name,
            location=location,  # type: ignore[arg-type]
            schema={"type": "string"},
            required=True,
        )
        for name in names
    ]


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def split_path_key(key: str) -> tuple[str, list[FixedValue], tuple[str, ...]]:
    """A path key's path, its query as fixed query values, and the words that name them.

    Real specs split one path into several operations by a query (`/messages?action=send`) or a
    fragment (Box's `/files/{file_id}#add_shared_link`): the query is sent with every call, a
    fragment never leaves the client. Either one names the operation apart from its siblings.
    A segment written `:name` (Express's way) is the parameter `{name}`.
    """
    rest, _, fragment = key.partition("#")
    path, _, query = rest.partition("?")
    path = _COLON_PARAMETER.sub(r"{\1}", path)
    pairs = parse_qsl(query, keep_blank_values=True)
    fixed = [
        FixedValue(location="query", api_name=name, value=value)
        for name, value in pairs
        if not _PLACEHOLDER.fullmatch(value)
    ]
    return path, fixed, selector_words(pairs, fragment)


def query_placeholders(key: str) -> dict[str, str]:
    """The arguments a path key's query takes (`/alerts?lat={lat}&lon={lon}`: a spec written
    from a URL template, whose parameters it declares `in: path`), by parameter name: the
    query's own name for each. Never fixed values: `{lat}` is what the caller gives."""
    query = key.partition("#")[0].partition("?")[2]
    return {
        found[1]: name
        for name, value in parse_qsl(query, keep_blank_values=True)
        if (found := _PLACEHOLDER.fullmatch(value))
    }


def path_params(path: str) -> list[str]:
    return [seg for seg in _segments(path) if seg.startswith("{") and seg.endswith("}")]


def _segments(path: str) -> list[str]:
    import re

    return re.findall(r"\{[^}]+\}", path)


def assign_names(params: list[Param]) -> list[Param]:
    """Make argument names unique: path and query names win, body fields yield (`body_id`)."""
    order = {"path": 0, "query": 1, "header": 2, "cookie": 3, "body": 4, "paging": 5}
    taken: set[str] = set()
    renamed: dict[int, Param] = {}
    for index, param in sorted(enumerate(params), key=lambda ip: (order[ip[1].location], ip[0])):
        name = param.name
        if name in taken:
            name = f"{param.location}_{param.name}"
        name = unique_name(name, taken)
        renamed[index] = param if name == param.name else param.model_copy(update={"name": name})
    # Required arguments first keeps generated signatures valid Python; spec order otherwise.
    ordered = [renamed[i] for i in range(len(params))]
    return [p for p in ordered if p.required] + [p for p in ordered if not p.required]


def _holds_path_value(field: dict[str, Any], path: dict[str, Any]) -> bool:
    """Whether a body field of schema `field` can take, unchanged, what the agent gives for
    a path parameter of schema `path`: a scalar of the same JSON type (an integer where the
    field says number), or any value where the field says no type."""
    into, given = schema_type(field), schema_type(path) or "string"
    if given not in ("string", "integer", "number", "boolean"):
        return False
    return into is None or into == given or (into, given) == ("number", "integer")


# A field its description calls text, or whose length may run to a paragraph, holds prose, not
# the id the path names it by: flat.io's `PUT .../comments/{comment}` takes "The comment text"
# as `comment` (an id has no need of 256 characters).
_TEXT = re.compile(r"\btext\b", re.I)
_ID_CHARS = 255


def _holds_text(field: dict[str, Any]) -> bool:
    longest = field.get("maxLength")
    long = isinstance(longest, int) and not isinstance(longest, bool) and longest > _ID_CHARS
    return long or bool(_TEXT.search(str(field.get("description") or "")))


# What a scalar's schema allows, said apart from its type.
_BOUNDS = frozenset(
    {
        "enum",
        "const",
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)


def path_defaults(params: list[Param], path: str) -> list[Param]:
    """`params` where a required body field that repeats the path parameter naming what the
    operation acts on (the same name but for case and punctuation: akeneo's
    `PATCH /categories/{code}` with `code` in its body, `PUT /agents/{agentID}` with `AgentID`)
    defaults to that parameter's value: the agent says the id once, not as `code` and again
    as `body_code`. It stays an argument, optional, for the call that means another value
    there (a rename). 53 such fields in 16 of 2,639 real specs.

    Only the parameter that ends the path: one before it names a parent, and a body field
    of its name there is as often another thing (the org a Gitea admin creates under
    `/admin/users/{username}/orgs` has a `username` of its own; SwaggerHub's
    `/apis/{owner}/{api}/{version}/fork` takes the `owner` and `version` to fork into;
    Telnyx's bridge, the other call's id): sent unasked, a wrong value. An optional field is
    left as it is (nothing is sent that the agent did not ask for), and so is one whose type
    the path's value would not fit, or that holds text (`_holds_text`).
    """

    last = path.rstrip("/").rsplit("/", 1)[-1]
    paths = {
        squashed(p.api_name): p
        for p in params
        if p.location == "path" and p.api_name and last == "{" + p.api_name + "}"
    }
    out: list[Param] = []
    bounds: dict[str, dict[str, Any]] = {}  # the body field's bounds, by path parameter
    for param in params:
        source = paths.get(squashed(param.api_name)) if param.location == "body" else None
        if (
            source is None
            or not param.api_name
            or not param.required
            or not _holds_path_value(param.schema, source.schema)
            or _holds_text(param.schema)
        ):
            out.append(param)
            continue
        said = str(param.schema.get("description") or "").strip()
        if said and not said.endswith((".", "!", "?", ")")):
            said += "."
        default = f"Defaults to the value given as `{source.name}`."
        schema = {**param.schema, "description": f"{said} {default}" if said else default}
        out.append(
            param.model_copy(
                update={"required": False, "default_from": source.name, "schema_": schema}
            )
        )
        bounds[source.name] = {k: v for k, v in param.schema.items() if k in _BOUNDS}
    # The one value goes to both places: what the body field allows (agco's serial number
    # pattern), the path parameter says too, where it says nothing of its own.
    for index, param in enumerate(out):
        more = {k: v for k, v in bounds.get(param.name, {}).items() if k not in param.schema}
        if param.location == "path" and more:
            out[index] = param.model_copy(update={"schema_": param.schema | more})
    # Required arguments first, as `assign_names` orders them: a valid Python signature.
    return [p for p in out if p.required] + [p for p in out if not p.required]
