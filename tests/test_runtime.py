"""The runtime's upstream client against a real HTTP server on loopback.

An echo server reports exactly what arrived (raw path, raw query, headers, body), so each
OpenAPI serialization rule and each credential kind is checked on the wire, not in a mock.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from adaptgen.runtime.catalog import Body, Operation, Param, SecurityScheme, Tool
from adaptgen.runtime.upstream import Upstream, UpstreamError
from adaptgen.sandbox.server import serve_app

SECRET = "s3cr3t-api-key-value"


async def echo(request: Request) -> Response:
    body = (await request.body()).decode("utf-8", "replace")
    data = {
        "method": request.method,
        "raw_path": request.scope["raw_path"].decode(),
        "query": request.scope["query_string"].decode(),
        "headers": {k.decode().lower(): v.decode() for k, v in request.scope["headers"]},
        "body": body,
    }
    if request.url.path.startswith("/fail/"):
        # A careless upstream that echoes the request (and so the credential) in its errors.
        code = int(request.url.path.rsplit("/", 1)[1])
        return JSONResponse({"error": "nope", "echo": data}, status_code=code)
    if request.url.path == "/text":
        return PlainTextResponse("plain words")
    if request.url.path == "/empty":
        return Response(status_code=204)
    if request.url.path == "/slow":
        await asyncio.sleep(2)
    return JSONResponse(data)


APP = Starlette(
    routes=[Route("/{path:path}", echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])]
)


@pytest.fixture(scope="module")
def echo_url():
    with serve_app(APP) as url:
        yield url


def upstream(url: str, schemes=(), security=(), monkeypatch=None) -> Upstream:
    return Upstream(
        base_url=url,
        env_prefix="ECHO",
        schemes={s.name: s for s in schemes},
        security=security,
    )


def op(
    path="/things/{id}",
    method="GET",
    params=(),
    media=None,
    flattened=True,
    security=None,
    required=False,
):
    body = Body(media_type=media, required=required, flattened=flattened) if media else None
    upstream = Operation(
        operation_id="t",
        method=method,
        path=path,
        params=tuple(params),
        body=body,
        security=security,
    )
    return Tool(name="t", description="", input_schema={}, upstream=upstream)


def send(up: Upstream, operation: Tool, **arguments):
    return asyncio.run(up.send(operation, arguments))


def P(name, location, api_name=None, style=None, explode=None):  # noqa: N802 - reads like a row
    return Param(
        name=name, location=location, api_name=api_name or name, style=style, explode=explode
    )


def test_path_values_cannot_escape_their_segment(echo_url):
    up = upstream(echo_url)
    for value, expected in [
        ("../admin", "/things/..%2Fadmin"),
        ("...", "/things/..."),
        ("a b/c?d#e", "/things/a%20b%2Fc%3Fd%23e"),
        ("ü", "/things/%C3%BC"),
    ]:
        got = send(up, op(params=[P("id", "path")]), id=value).data
        assert got["raw_path"] == expected


def test_a_path_value_of_only_dots_is_refused_not_sent_encoded_or_not(echo_url):
    """`/things/..` is `/`, and so is `/things/%2E%2E` to a server that normalises percent-encoded
    dots (RFC 3986 6.2.2.2): another operation than the one the caller was allowed. Such a value
    is an error that names the argument and nothing is sent; dots inside a segment are text."""
    up = upstream(echo_url)
    for value in (".", "..", [".."]):
        with pytest.raises(UpstreamError, match=r"argument id may not be '\.{1,2}': a path"):
            send(up, op(method="DELETE", params=[P("id", "path")]), id=value)
    adjacent = op(path="/files/{stem}{ext}", params=[P("stem", "path"), P("ext", "path")])
    with pytest.raises(UpstreamError, match="segment of only dots"):
        send(up, adjacent, stem=".", ext=".")
    got = send(up, op(path="/files/{name}.json", params=[P("name", "path")]), name="..").data
    assert got["raw_path"] == "/files/...json"


def test_an_empty_path_value_is_refused_not_sent_as_another_path(echo_url):
    """`DELETE /things/{id}` with "" would be `DELETE /things/`: the collection's path, another
    operation. An empty value (or list) for a whole segment is an error that says so and
    nothing is sent; one inside a segment (`/files/{name}.json`) still leaves its segment."""
    up = upstream(echo_url)
    for value in ("", []):
        with pytest.raises(UpstreamError, match=r"argument id is empty: the path needs a value"):
            send(up, op(method="DELETE", params=[P("id", "path")]), id=value)
    scoped = op(
        path="/{scope}/x",
        params=[Param(name="scope", location="path", api_name="scope", reserved=True)],
    )
    with pytest.raises(UpstreamError, match="argument scope is empty"):
        send(up, scoped, scope="")
    inside = op(path="/files/{name}.json", params=[P("name", "path")])
    assert send(up, inside, name="").data["raw_path"] == "/files/.json"


def test_a_value_the_spec_says_spans_segments_keeps_its_slashes_and_no_more(echo_url):
    """Azure's `/{scope}/providers/...` (`x-ms-skip-url-encoding`): the scope is a path of
    its own, and Azure answers 404 to its `/` sent as `%2F`. Its slashes go as they are, each
    segment encoded as any path value is, a leading `/` dropped (the template has one); a `.`
    or `..` segment would move the request to another operation's path, and is refused."""
    up = upstream(echo_url)
    scoped = op(
        path="/{scope}/providers/Microsoft.Authorization/roleAssignments",
        params=[Param(name="scope", location="path", api_name="scope", reserved=True)],
    )
    tail = "/providers/Microsoft.Authorization/roleAssignments"
    for value, expected in [
        ("subscriptions/1a2b/resourceGroups/rg-web", "/subscriptions/1a2b/resourceGroups/rg-web"),
        ("/subscriptions/1a2b", "/subscriptions/1a2b"),
        ("subscriptions/a b?c#d", "/subscriptions/a%20b%3Fc%23d"),
        ("subscriptions/%2e%2e", "/subscriptions/%252e%252e"),
    ]:
        assert send(up, scoped, scope=value).data["raw_path"] == expected + tail
    for value in ("subscriptions/../../admin", "./x", "subscriptions/1/.."):
        with pytest.raises(UpstreamError, match=r"argument scope may not have a '\.' or '\.\.'"):
            send(up, scoped, scope=value)
    # Not said to span segments: one segment, as before.
    plain = op(path="/{scope}/x", params=[P("scope", "path")])
    assert send(up, plain, scope="subscriptions/1").data["raw_path"] == "/subscriptions%2F1/x"


@pytest.mark.parametrize(
    ("style", "explode", "value", "path"),
    [
        (None, None, [3, 4, 5], "/things/3,4,5"),
        ("label", None, [3, 4], "/things/.3,4"),
        ("label", True, [3, 4], "/things/.3.4"),
        ("matrix", None, [3, 4], "/things/;id=3,4"),
        ("matrix", True, [3, 4], "/things/;id=3;id=4"),
        (None, None, {"a": 1, "b": "x"}, "/things/a,1,b,x"),
        (None, True, {"a": 1, "b": "x"}, "/things/a=1,b=x"),
        ("matrix", None, True, "/things/;id=true"),
        # OpenAPI's style table; TypeSpec's test server asks for `.a=1.b=2` (`,` before)
        ("label", True, {"a": 1, "b": 2}, "/things/.a=1.b=2"),
        ("label", None, {"a": 1, "b": 2}, "/things/.a,1,b,2"),
        ("matrix", True, {"a": 1, "b": 2}, "/things/;a=1;b=2"),
        ("matrix", None, {"a": 1, "b": 2}, "/things/;id=a,1,b,2"),
    ],
)
def test_path_styles(echo_url, style, explode, value, path):
    got = send(
        upstream(echo_url), op(params=[P("id", "path", style=style, explode=explode)]), id=value
    )
    assert got.data["raw_path"] == path


def test_a_label_operator_in_the_template_sends_the_value_with_its_dot(echo_url, tmp_path):
    """NASA TechPort's `/api/projects/{id}{.format}` declares a path parameter named `.format`:
    RFC 6570's label operator, so the value goes with its dot (`/api/projects/7.json`), as
    `style: label` sends it."""
    from adaptgen.load import load_spec
    from adaptgen.plan import PlanOptions, plan

    operation = {
        "operationId": "getProject",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": ".format", "in": "path", "required": True, "schema": {"type": "string"}},
        ],
        "responses": {"200": {"description": "the project"}},
    }
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "TechPort", "version": "1"},
        "paths": {"/api/projects/{id}{.format}": {"get": operation}},
    }
    path = tmp_path / "techport.json"
    path.write_text(json.dumps(spec))
    (tool,) = plan(load_spec(path), "techport", PlanOptions()).api.tools
    assert {p.api_name: p.style for p in tool.params} == {"id": None, ".format": "label"}
    got = send(upstream(echo_url), tool, id=7, format="json")
    assert got.data["raw_path"] == "/api/projects/7.json"


def test_an_iso_date_given_for_an_http_date_is_written_as_one(echo_url):
    """`If-Modified-Since`, TypeSpec's `http-date`, AutoRest's `date-time-rfc1123`: the upstream
    reads `Fri, 26 Aug 2022 14:38:00 GMT` only (TypeSpec's test server refused the ISO form,
    400); agents write ISO 8601, so an ISO value is converted, to UTC. An HTTP date, a value of
    no such format and a value that is no date go as given."""

    def dated(name, location, fmt="http-date"):
        return Param(name=name, location=location, api_name=name, schema={"format": fmt})

    params = [
        dated("If-Modified-Since", "header"),
        dated("since", "query", "date-time-rfc1123"),
        dated("at", "query", "date-time"),
        dated("note", "query"),
    ]
    operation = op("/q", params=params)
    got = send(
        upstream(echo_url),
        operation,
        **{"If-Modified-Since": "2022-08-26T16:38:00+02:00"},
        since="2022-08-26T14:38:00",
        at="2022-08-26T14:38:00Z",
        note="next Friday",
    ).data
    assert got["headers"]["if-modified-since"] == "Fri, 26 Aug 2022 14:38:00 GMT"
    assert got["query"] == (
        "since=Fri%2C%2026%20Aug%202022%2014%3A38%3A00%20GMT"
        "&at=2022-08-26T14%3A38%3A00Z&note=next%20Friday"
    )


@pytest.mark.parametrize(
    ("style", "explode", "value", "query"),
    [
        (None, None, [1, 2], "ids=1&ids=2"),
        (None, False, [1, 2], "ids=1%2C2"),
        ("spaceDelimited", False, ["a", "b"], "ids=a%20b"),
        ("pipeDelimited", False, ["a", "b"], "ids=a%7Cb"),
        ("deepObject", True, {"min": 1, "max": 9}, "ids%5Bmin%5D=1&ids%5Bmax%5D=9"),
        (None, None, {"min": 1, "max": 9}, "min=1&max=9"),
        (None, False, {"min": 1, "max": 9}, "ids=min%2C1%2Cmax%2C9"),
        (None, None, True, "ids=true"),
        (None, None, "a&b=c", "ids=a%26b%3Dc"),
        (None, None, 150.0, "ids=150"),  # a `number` given as 150 is not sent as `150.0`
        (None, None, 0.5, "ids=0.5"),
    ],
)
def test_query_styles(echo_url, style, explode, value, query):
    operation = op("/q", params=[P("ids", "query", style=style, explode=explode)])
    assert send(upstream(echo_url), operation, ids=value).data["query"] == query


def test_headers_cookies_and_omitted_values(echo_url):
    operation = op(
        "/h",
        params=[
            P("trace", "header", "X-Trace"),
            P("tags", "header", "X-Tags"),
            P("sid", "cookie", "session id"),
            P("skip", "query"),
        ],
    )
    got = send(upstream(echo_url), operation, trace="abc", tags=["a", "b"], sid="x y", skip=None)
    headers = got.data["headers"]
    assert headers["x-trace"] == "abc" and headers["x-tags"] == "a,b"
    assert headers["cookie"] == "session id=x%20y"
    assert got.data["query"] == ""


def test_json_form_multipart_and_raw_bodies(echo_url):
    up = upstream(echo_url)
    params = [P("name", "body"), P("tags", "body"), P("meta", "body")]
    args = {"name": "Ada", "tags": ["x", "y"], "meta": {"k": 1}}
    got = send(up, op("/b", "POST", params, "application/json"), **args).data
    assert got["headers"]["content-type"] == "application/json"
    assert json.loads(got["body"]) == args
    got = send(up, op("/b", "POST", params, "application/x-www-form-urlencoded"), **args).data
    assert got["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert got["body"] == "name=Ada&tags=x&tags=y&meta=%7B%22k%22%3A1%7D"
    got = send(up, op("/b", "POST", params, "multipart/form-data"), **args).data
    assert got["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert 'name="name"\r\n\r\nAda\r\n' in got["body"] and got["body"].count('name="tags"') == 2
    # A required form of optional fields, none given: an empty form, not no body at all.
    got = send(up, op("/b", "POST", params, "multipart/form-data", required=True)).data
    boundary = got["headers"]["content-type"].removeprefix("multipart/form-data; boundary=")
    assert boundary and got["body"] == f"--{boundary}--\r\n"
    got = send(
        up, op("/b", "POST", [P("body", "body", "")], "text/csv", flattened=False), body="a,b\n1,2"
    ).data
    assert got["headers"]["content-type"] == "text/csv" and got["body"] == "a,b\n1,2"
    got = send(
        up,
        op("/b", "PUT", [P("body", "body", "")], "application/json", flattened=False),
        body=[1, 2],
    ).data
    assert json.loads(got["body"]) == [1, 2]


def test_a_form_given_as_one_string_is_sent_as_it_is(echo_url):
    """Spoonacular's `POST /food/detect`: a form body whose schema is a string, the whole form
    (`text=I like tacos`). It went as a form of one field the API never named (`body=text%3DI
    ...`); it goes as given."""
    form = op("/b", "POST", [P("body", "body", "")], "application/x-www-form-urlencoded", False)
    got = send(upstream(echo_url), form, body="text=I like tacos&servings=2").data
    assert got["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert got["body"] == "text=I like tacos&servings=2"


def test_a_token_the_spec_requires_in_the_form_goes_in_the_form(echo_url, monkeypatch):
    """Slack's `token`, required in the form body of 11 writes (`admin.emoji.addAlias`, and
    `users.setPhoto`'s multipart form): it went in the query, and the form lacked it."""
    monkeypatch.setenv("ECHO_TOKEN", SECRET)
    form = SecurityScheme(
        name="auth.form.token",
        kind="api_key",
        env=("ECHO_TOKEN",),
        location="form",
        param_name="token",
    )
    bearer = SecurityScheme(name="auth", kind="bearer", env=("ECHO_TOKEN",))
    up = upstream(echo_url, [bearer, form], security=(("auth", "auth.form.token"),))
    params = [P("name", "body"), P("alias_for", "body")]
    args = {"name": "party parrot", "alias_for": "parrot"}
    got = send(up, op("/b", "POST", params, "application/x-www-form-urlencoded"), **args).data
    assert got["query"] == "" and got["headers"]["authorization"] == f"Bearer {SECRET}"
    assert got["body"] == f"token={SECRET}&name=party%20parrot&alias_for=parrot"
    assert int(got["headers"]["content-length"]) == len(got["body"])
    # A required form of optional fields, none given: the token alone.
    got = send(up, op("/b", "POST", params, "application/x-www-form-urlencoded", required=True))
    assert got.data["body"] == f"token={SECRET}"
    # Multipart: a part of its own, before the others, and the whole still one valid form.
    got = send(up, op("/b", "POST", params, "multipart/form-data"), **args).data
    kind = got["headers"]["content-type"]
    message = email.message_from_bytes(
        f"Content-Type: {kind}\r\n\r\n{got['body']}".encode(), policy=email.policy.HTTP
    )
    fields = {
        part.get_param("name", header="content-disposition"): part.get_content()
        for part in message.iter_parts()
    }
    assert fields == {"token": SECRET, **args}
    assert int(got["headers"]["content-length"]) == len(got["body"].encode())


SCHEMES = [
    SecurityScheme(
        name="hdr", kind="api_key", env=("ECHO_HDR",), location="header", param_name="X-API-Key"
    ),
    SecurityScheme(
        name="qry", kind="api_key", env=("ECHO_QRY",), location="query", param_name="api_key"
    ),
    SecurityScheme(
        name="cki", kind="api_key", env=("ECHO_CKI",), location="cookie", param_name="key"
    ),
    SecurityScheme(name="bearer", kind="bearer", env=("ECHO_BEARER_TOKEN",)),
    SecurityScheme(name="basic", kind="basic", env=("ECHO_BASIC_USERNAME", "ECHO_BASIC_PASSWORD")),
]


def test_each_static_credential_kind_on_the_wire(echo_url, monkeypatch):
    monkeypatch.setenv("ECHO_HDR", SECRET)
    monkeypatch.setenv("ECHO_QRY", SECRET)
    monkeypatch.setenv("ECHO_CKI", SECRET)
    monkeypatch.setenv("ECHO_BEARER_TOKEN", SECRET)
    monkeypatch.setenv("ECHO_BASIC_USERNAME", "ada")
    monkeypatch.setenv("ECHO_BASIC_PASSWORD", SECRET)
    up = upstream(echo_url, SCHEMES)
    seen = {}
    for scheme in SCHEMES:
        seen[scheme.name] = send(up, op("/a", security=((scheme.name,),))).data
    assert seen["hdr"]["headers"]["x-api-key"] == SECRET
    assert seen["qry"]["query"] == f"api_key={SECRET}"
    assert seen["cki"]["headers"]["cookie"] == f"key={SECRET}"
    assert seen["bearer"]["headers"]["authorization"] == f"Bearer {SECRET}"
    expected = base64.b64encode(f"ada:{SECRET}".encode()).decode()
    assert seen["basic"]["headers"]["authorization"] == f"Basic {expected}"


def test_first_satisfiable_alternative_is_used_and_missing_ones_are_named(echo_url, monkeypatch):
    monkeypatch.delenv("ECHO_HDR", raising=False)
    monkeypatch.delenv("ECHO_BEARER_TOKEN", raising=False)
    up = upstream(echo_url, SCHEMES, security=(("hdr",), ("bearer",)))
    with pytest.raises(UpstreamError, match="set ECHO_HDR or ECHO_BEARER_TOKEN"):
        send(up, op("/a"))
    monkeypatch.setenv("ECHO_BEARER_TOKEN", SECRET)
    assert send(up, op("/a")).data["headers"]["authorization"] == f"Bearer {SECRET}"
    # `{}` among the alternatives: anonymous is fine when nothing is configured.
    monkeypatch.delenv("ECHO_BEARER_TOKEN")
    assert "authorization" not in send(up, op("/a", security=(("hdr",), ()))).data["headers"]


def test_upstream_errors_are_readable_and_never_leak_the_secret(echo_url, monkeypatch):
    monkeypatch.setenv("ECHO_QRY", SECRET)
    up = upstream(echo_url, SCHEMES, security=(("qry",),))
    with pytest.raises(UpstreamError) as err:
        send(up, op("/fail/{code}", params=[P("code", "path")]), code=403)
    message = str(err.value)
    assert err.value.status == 403
    assert message.startswith("GET /fail/{code}: upstream answered 403 Forbidden: {")
    assert '"error":"nope"' in message
    assert SECRET not in message and "***" in message
    assert len(message) < 400


def test_transport_failures_name_the_fix(monkeypatch):
    up = upstream("http://127.0.0.1:9")
    with pytest.raises(UpstreamError, match=r"cannot reach http://127.0.0.1:9 \(ConnectError\)"):
        send(up, op("/a"))
    up = upstream("/relative/only")
    with pytest.raises(UpstreamError, match="no upstream URL configured: set ECHO_BASE_URL"):
        send(up, op("/a"))


def test_timeout_and_base_url_from_env(echo_url, monkeypatch):
    up = upstream("http://127.0.0.1:9")
    monkeypatch.setenv("ECHO_BASE_URL", echo_url)
    monkeypatch.setenv("ECHO_TIMEOUT", "0.2")
    with pytest.raises(UpstreamError, match="timed out after 0.2s"):
        send(up, op("/slow"))


def test_non_json_and_empty_answers(echo_url):
    up = upstream(echo_url)
    text = send(up, op("/text"))
    assert (text.is_json, text.data) == (False, "plain words")
    empty = send(up, op("/empty", "DELETE"))
    assert (empty.status, empty.data) == (204, "")


def test_client_is_reused_within_a_loop(echo_url):
    up = upstream(echo_url)

    async def twice():
        await up.send(op("/a"), {})
        first = up._client()
        await up.send(op("/a"), {})
        return first is up._client()

    assert asyncio.run(twice())


def test_a_warm_upstream_request_imports_nothing(echo_url):
    """No import machinery per request: httpcore imports sniffio on each lock it takes, and a
    missing sniffio costs a search of sys.path every time (a dependency now)."""
    import sys

    up = upstream(echo_url)
    searched: list[str] = []

    class Counter:
        @staticmethod
        def find_spec(name, path=None, target=None):
            searched.append(name)
            return None

    async def warm_then_count():
        await up.send(op("/a"), {})
        sys.meta_path.insert(0, Counter)
        try:
            for _ in range(3):
                await up.send(op("/a"), {})
        finally:
            sys.meta_path.remove(Counter)

    asyncio.run(warm_then_count())
    assert searched == []


def test_a_calls_cookies_go_back_only_to_the_origin_that_set_them():
    """Within one call (a deadline), a cookie the upstream sets goes back on its later requests
    to the same origin, after the call's own; never to a sibling host its Domain would allow
    (where a redirect may lead), and never into another call."""
    import httpx2

    from adaptgen.runtime import upstream as module

    seen: list[tuple[str, str | None]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append((request.url.host, request.headers.get("cookie")))
        if request.url.path == "/login":
            return httpx2.Response(200, headers={"set-cookie": "s=1; Domain=example.test; Path=/"})
        return httpx2.Response(200)

    client = httpx2.AsyncClient(transport=module._HeaderGuard(httpx2.MockTransport(answer)))

    async def call(*urls: str, cookie: str | None = None) -> None:
        jars = module._CALL_COOKIES.set({})
        try:
            for url in urls:
                headers = {"Cookie": cookie} if cookie else {}
                await client.send(httpx2.Request("GET", url, headers=headers))
        finally:
            module._CALL_COOKIES.reset(jars)

    async def go() -> None:
        await call(
            "https://api.example.test/login",
            "https://files.example.test/blob",
            "https://api.example.test/next",
        )
        await call("https://api.example.test/again", cookie="mine=2")

    asyncio.run(go())
    assert seen == [
        ("api.example.test", None),
        ("files.example.test", None),  # the Domain would allow it: another origin's jar
        ("api.example.test", "s=1"),
        ("api.example.test", "mine=2"),  # a new call: the last one's cookie is gone
    ]


def test_schemes_of_one_requirement_that_write_one_header_are_alternatives(echo_url, monkeypatch):
    """Azure Container Registry requires `{registry_auth, registry_oauth2}`: HTTP basic and an
    API key in `Authorization`. A request carries one `Authorization`, so the upstream asked
    for either: the first one configured goes, and either alone is enough."""
    token = SecurityScheme(
        name="key", kind="api_key", env=("ECHO_KEY",), location="header", param_name="Authorization"
    )
    up = upstream(echo_url, [*SCHEMES, token], security=(("basic", "key", "hdr"),))
    for name in ("ECHO_BASIC_USERNAME", "ECHO_BASIC_PASSWORD", "ECHO_KEY", "ECHO_HDR"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UpstreamError, match="set ECHO_BASIC_USERNAME and ECHO_BASIC_PASSWORD "):
        send(up, op("/a"))
    monkeypatch.setenv("ECHO_HDR", SECRET)
    monkeypatch.setenv("ECHO_KEY", f"Bearer {SECRET}")
    headers = send(up, op("/a")).data["headers"]
    assert headers["authorization"] == f"Bearer {SECRET}"
    assert headers["x-api-key"] == SECRET  # a scheme of another header still goes with it
    monkeypatch.setenv("ECHO_BASIC_USERNAME", "ada")
    monkeypatch.setenv("ECHO_BASIC_PASSWORD", SECRET)
    expected = base64.b64encode(f"ada:{SECRET}".encode()).decode()
    assert send(up, op("/a")).data["headers"]["authorization"] == f"Basic {expected}"
