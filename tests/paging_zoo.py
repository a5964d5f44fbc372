"""A small real HTTP API that pages its 137 items in each style adaptgen knows, as real APIs do.

Used with a matching OpenAPI spec (no hints) to check that the planner detects each style and
that the runtime walks every style to the end, item by item, across upstream pages. Besides the
five basic styles: Stripe (`starting_after` = the last item's id, `has_more`), Jira (`startAt`,
`maxResults`, `total`), OpenAI (`after` + `last_id`, `has_more`), Slack
(`response_metadata.next_cursor`, empty at the end), Google (`pageToken`/`nextPageToken`), a
Google Cloud list beside its `unreachable` locations, a search whose string `page` is a token,
Petstore's `x-next` header, Kubernetes (`continue`, `metadata.continue`), Zoom
(`next_page_token` both ways), Visma (`firstRow`, `rowCount`), Keycloak (`first`, `max`),
e-conomic (`SkipPages`), Zuora (a `nextPage` URL), Magento
(`searchCriteria[currentPage]`), API Gateway (`position` both ways) and BigOven (`pg`, `rpp`).
`REQUESTS` counts the requests each route received.
"""

from __future__ import annotations

import base64
from collections import Counter

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ITEMS = [{"id": i, "name": f"item {i}", "note": None, "tags": []} for i in range(1, 138)]
PAGE_CAP = 20  # the most items any route sends at once, whatever it is asked for
REQUESTS: Counter[str] = Counter()


def _int(request: Request, name: str, default: int) -> int:
    return int(request.query_params.get(name, default))


def _after(request: Request, name: str) -> tuple[list[dict], bool]:
    """The page after the item whose id is in `name`, and whether more follow."""
    REQUESTS[request.url.path] += 1
    start = int(request.query_params.get(name) or 0)  # ids are 1..137, in order
    end = start + min(_int(request, "limit", 10), PAGE_CAP)
    return ITEMS[start:end], end < len(ITEMS)


async def stripe_like(request: Request) -> JSONResponse:
    chunk, more = _after(request, "starting_after")
    return JSONResponse({"object": "list", "url": "/v1/x", "data": chunk, "has_more": more})


async def openai_like(request: Request) -> JSONResponse:
    chunk, more = _after(request, "after")
    # last_id is sent on the last page too: only has_more says it is the end.
    first, last = (str(chunk[0]["id"]), str(chunk[-1]["id"])) if chunk else (None, None)
    body = {"object": "list", "data": chunk, "first_id": first, "last_id": last, "has_more": more}
    return JSONResponse(body)


async def jira_like(request: Request) -> JSONResponse:
    start, size = _int(request, "startAt", 0), min(_int(request, "maxResults", 50), PAGE_CAP)
    chunk = ITEMS[start : start + size]
    body = {"startAt": start, "maxResults": size, "total": len(ITEMS), "values": chunk}
    return JSONResponse(body)


def _token(start: int) -> str:
    return base64.b64encode(f"at:{start}".encode()).decode()


def _start(token: str | None) -> int:
    return int(base64.b64decode(token).decode()[3:]) if token else 0


async def slack_like(request: Request) -> JSONResponse:
    start = _start(request.query_params.get("cursor"))
    end = start + min(_int(request, "limit", 10), PAGE_CAP)
    meta = {"next_cursor": _token(end) if end < len(ITEMS) else ""}
    return JSONResponse({"ok": True, "members": ITEMS[start:end], "response_metadata": meta})


async def google_like(request: Request) -> JSONResponse:
    start = _start(request.query_params.get("pageToken"))
    end = start + min(_int(request, "pageSize", 10), PAGE_CAP)
    body: dict = {"kind": "list", "items": ITEMS[start:end]}
    if end < len(ITEMS):
        body["nextPageToken"] = _token(end)
    return JSONResponse(body)


async def google_cloud_like(request: Request) -> JSONResponse:
    """A Cloud list (AIP-132): the records under their own name, the locations that did not
    answer beside them (AIP-217)."""
    start = _start(request.query_params.get("pageToken"))
    end = start + min(_int(request, "pageSize", 10), PAGE_CAP)
    body: dict = {"backups": ITEMS[start:end], "unreachable": ["us-east9"]}
    if end < len(ITEMS):
        body["nextPageToken"] = _token(end)
    return JSONResponse(body)


async def filtered_like_google(request: Request) -> JSONResponse:
    """A server whose filter runs page by page (AIP-158: a page may be empty before the end):
    the items whose id is a multiple of 25, pages of `pageSize` ids, the empty ones too."""
    REQUESTS[request.url.path] += 1
    start = _start(request.query_params.get("page_token"))
    end = start + min(_int(request, "page_size", 10), PAGE_CAP)
    body: dict = {"items": [i for i in ITEMS[start:end] if i["id"] % 25 == 0]}
    if end < len(ITEMS):
        body["next_page_token"] = _token(end)
    return JSONResponse(body)


async def endless_empty(request: Request) -> JSONResponse:
    """Empty pages, each with a new next token, forever (a feed waiting for events)."""
    REQUESTS[request.url.path] += 1
    start = _start(request.query_params.get("page_token"))
    return JSONResponse({"items": [], "next_page_token": _token(start + 1)})


async def search_by_page_token(request: Request) -> JSONResponse:
    raw = request.query_params.get("page")
    if raw is not None and raw.isdigit():  # what a page-number guess would send
        return JSONResponse({"error": f"page must be a token from next_page, not {raw}"}, 400)
    start = _start(raw)
    end = start + min(_int(request, "count", 10), PAGE_CAP)
    return JSONResponse(
        {"results": ITEMS[start:end], "next_page": _token(end) if end < len(ITEMS) else None}
    )


async def placeholder_next(request: Request) -> JSONResponse:
    """A first page whose next link is a mock's placeholder for a URL."""
    return JSONResponse({"entries": ITEMS[:12], "next": "string"})


async def by_x_next(request: Request) -> JSONResponse:
    start = _int(request, "from_item", 0)
    end = start + min(_int(request, "limit", 10), PAGE_CAP)
    headers = {"x-next": f"{request.base_url}x-next?from_item={end}"} if end < len(ITEMS) else {}
    return JSONResponse(ITEMS[start:end], headers=headers)


async def by_page(request: Request) -> JSONResponse:
    page, size = _int(request, "page", 1), min(_int(request, "per_page", 10), 20)
    chunk = ITEMS[(page - 1) * size : page * size]
    return JSONResponse({"results": chunk, "total_count": len(ITEMS)})


async def ignores_page(request: Request) -> JSONResponse:
    """Declares `page` and `per_page` but sends the first page whatever `page` says."""
    REQUESTS[request.url.path] += 1
    size = min(_int(request, "per_page", 10), PAGE_CAP)
    return JSONResponse({"results": ITEMS[:size], "total_count": len(ITEMS)})


async def by_offset(request: Request) -> JSONResponse:
    offset, limit = _int(request, "offset", 0), min(_int(request, "limit", 10), 20)
    return JSONResponse({"items": ITEMS[offset : offset + limit]})


async def opensearch_like(request: Request) -> JSONResponse:
    """OpenSearch's `startIndex`, counted from 1 (weber-gesamtausgabe's `offset`, Europeana's
    `start`, GitHub's SCIM): 0 is refused, as its spec's `minimum: 1` says."""
    start, count = _int(request, "startIndex", 1), min(_int(request, "count", 10), PAGE_CAP)
    if start < 1:
        return JSONResponse({"message": "startIndex must be >= 1"}, status_code=400)
    chunk = ITEMS[start - 1 : start - 1 + count]
    return JSONResponse({"totalResults": len(ITEMS), "startIndex": start, "items": chunk})


async def zero_based_page(request: Request) -> JSONResponse:
    """SwaggerHub's and Nexmo's pages, numbered from 0 (`default: 0`, no least value said):
    page 1 is the second page."""
    page, size = _int(request, "pageIndex", 0), min(_int(request, "pageSize", 10), PAGE_CAP)
    chunk = ITEMS[page * size : (page + 1) * size]
    return JSONResponse({"totalCount": len(ITEMS), "items": chunk})


async def azure_skip(request: Request) -> JSONResponse:
    """Azure Data Lake's `$skip`, a count of items to skip whose spec says `minimum: 1`: a
    request that skips none leaves it out (0 is refused)."""
    if "$skip" in request.query_params and _int(request, "$skip", 0) < 1:
        return JSONResponse({"message": "$skip must be >= 1"}, status_code=400)
    skip, top = _int(request, "$skip", 0), min(_int(request, "$top", 10), PAGE_CAP)
    return JSONResponse({"count": len(ITEMS), "items": ITEMS[skip : skip + top]})


async def by_cursor(request: Request) -> JSONResponse:
    raw = request.query_params.get("cursor")
    start = int(base64.b64decode(raw).decode()) if raw else 0
    size = min(_int(request, "page_size", 10), 20)
    end = start + size
    next_cursor = base64.b64encode(str(end).encode()).decode() if end < len(ITEMS) else None
    return JSONResponse({"data": ITEMS[start:end], "meta": {"next_cursor": next_cursor}})


async def by_link(request: Request) -> JSONResponse:
    start = _int(request, "start_at", 0)
    end = start + 15
    headers = {}
    if end < len(ITEMS):
        headers["Link"] = f'<{request.url.path}?start_at={end}>; rel="next", </x>; rel="last"'
    return JSONResponse(ITEMS[start:end], headers=headers)


async def by_next_url(request: Request) -> JSONResponse:
    start = _int(request, "from_item", 0)
    end = start + 12
    nxt = f"{request.base_url}next-url?from_item={end}" if end < len(ITEMS) else None
    return JSONResponse({"entries": ITEMS[start:end], "next": nxt})


async def apideck_like(request: Request) -> JSONResponse:
    """Scalars of the call beside the list, the next cursor in `meta.cursors.next`."""
    start = _start(request.query_params.get("cursor"))
    end = start + min(_int(request, "limit", 20), PAGE_CAP)
    cursors = {"current": _token(start), "next": _token(end) if end < len(ITEMS) else None}
    body = {
        "status_code": 200,
        "status": "OK",
        "service": "zoo-crm",
        "resource": "items",
        "operation": "all",
        "data": ITEMS[start:end],
        "meta": {"items_on_page": len(ITEMS[start:end]), "cursors": cursors},
    }
    return JSONResponse(body)


async def facebook_like(request: Request) -> JSONResponse:
    """Facebook's Graph API (and Just Eat's): the next token in `paging.cursors.after`, sent on
    the last page too; the page after the last is empty and carries no paging object."""
    start = _start(request.query_params.get("after"))
    end = start + min(_int(request, "limit", 25), PAGE_CAP)
    chunk = ITEMS[start:end]
    body: dict = {"data": chunk}
    if chunk:
        body["paging"] = {"cursors": {"before": _token(start), "after": _token(end)}}
    return JSONResponse(body)


async def wrapped(request: Request) -> JSONResponse:
    """api2cart: the list inside `result`, beside return codes; a text-typed `count`."""
    start, count = _int(request, "start", 0), min(_int(request, "count", 10), PAGE_CAP)
    result = {"items_count": len(ITEMS), "item": ITEMS[start : start + count]}
    return JSONResponse({"return_code": 0, "return_message": "", "result": result})


async def hal_like(request: Request) -> JSONResponse:
    """Akeneo and Spring Data REST: `_embedded.items`, the next page at `_links.next.href`."""
    after = int(request.query_params.get("search_after") or 0)
    end = after + min(_int(request, "limit", 10), PAGE_CAP)
    links = {"self": {"href": str(request.url)}}
    if end < len(ITEMS):
        links["next"] = {"href": f"{request.base_url}hal?search_after={end}"}
    return JSONResponse({"_links": links, "_embedded": {"items": ITEMS[after:end]}})


async def token_in_header(request: Request) -> JSONResponse:
    """Visma: a bare array; the next `pageToken` in a header the spec never declares."""
    start = _start(request.query_params.get("pageToken"))
    end = start + min(_int(request, "pageSize", 10), PAGE_CAP)
    headers = {"NextPageToken": _token(end)} if end < len(ITEMS) else {}
    return JSONResponse(ITEMS[start:end], headers=headers)


async def token_in_request_header(request: Request) -> JSONResponse:
    """Cosmos DB: the token goes back in a request header, `x-ms-continuation`, and the next
    one comes in the response header of that name; the page size in `x-ms-max-item-count`."""
    start = _start(request.headers.get("x-ms-continuation"))
    size = int(request.headers.get("x-ms-max-item-count") or 10)
    end = start + min(size, PAGE_CAP)
    headers = {"x-ms-continuation": _token(end)} if end < len(ITEMS) else {}
    return JSONResponse({"_rid": "r1", "Documents": ITEMS[start:end]}, headers=headers)


async def link_undeclared(request: Request) -> JSONResponse:
    """gsmtasks: a bare array, an integer `cursor`, the next page in an undeclared `Link`."""
    start = _int(request, "cursor", 0)
    end = start + min(_int(request, "page_size", 10), PAGE_CAP)
    headers = {}
    if end < len(ITEMS):
        headers["Link"] = f'<{request.base_url}link-undeclared?cursor={end}>; rel="next"'
    return JSONResponse(ITEMS[start:end], headers=headers)


async def asana_like(request: Request) -> JSONResponse:
    """Asana: its spec declares `data` alone; the next `offset` token is in `next_page`."""
    start = _start(request.query_params.get("offset"))
    end = start + min(_int(request, "limit", 10), PAGE_CAP)
    following = None
    if end < len(ITEMS):
        token = _token(end)
        path = f"/asana?limit={_int(request, 'limit', 10)}&offset={token}"
        following = {"offset": token, "path": path, "uri": f"{request.base_url}{path[1:]}"}
    return JSONResponse({"data": ITEMS[start:end], "next_page": following})


async def clever_like(request: Request) -> JSONResponse:
    """Clever: each item wraps its record (`{data: {id, ...}, uri}`); `starting_after` takes
    the last record's id; the next link is in a `links` array its spec leaves out."""
    chunk, more = _after(request, "starting_after")
    wrapped = [{"data": item, "uri": f"/v3.0/items/{item['id']}"} for item in chunk]
    links = [{"rel": "self", "uri": str(request.url)}]
    if more:
        links.append({"rel": "next", "uri": f"/clever?starting_after={chunk[-1]['id']}"})
    return JSONResponse({"data": wrapped, "links": links})


async def kubernetes_like(request: Request) -> JSONResponse:
    """Kubernetes: `limit` and `continue`; the next token in `metadata.continue`, empty at the
    end."""
    start = _start(request.query_params.get("continue"))
    end = start + min(_int(request, "limit", 10), PAGE_CAP)
    meta = {"resourceVersion": "4711", "continue": _token(end) if end < len(ITEMS) else ""}
    return JSONResponse({"apiVersion": "v1", "kind": "List", "metadata": meta,
                         "items": ITEMS[start:end]})  # fmt: skip


async def zoom_like(request: Request) -> JSONResponse:
    """Zoom: the parameter is named for the value it takes back, `next_page_token`, which the
    answer carries under the same name ("" on the last page)."""
    start = _start(request.query_params.get("next_page_token"))
    size = min(_int(request, "page_size", 30), PAGE_CAP)
    end = start + size
    following = _token(end) if end < len(ITEMS) else ""
    body = {"page_size": size, "total_records": len(ITEMS), "next_page_token": following}
    return JSONResponse({**body, "meetings": ITEMS[start:end]})


async def visma_like(request: Request) -> JSONResponse:
    """Visma: a bare array from row `firstRow` (0 the first), `rowCount` rows."""
    first, count = _int(request, "firstRow", 0), min(_int(request, "rowCount", 20), PAGE_CAP)
    return JSONResponse(ITEMS[first : first + count])


async def keycloak_like(request: Request) -> JSONResponse:
    """Keycloak: a bare array from result `first`, at most `max` of them."""
    first, most = _int(request, "first", 0), min(_int(request, "max", 100), PAGE_CAP)
    return JSONResponse(ITEMS[first : first + most])


async def economic_like(request: Request) -> JSONResponse:
    """e-conomic: `SkipPages` pages of `PageSize` skipped, a bare array."""
    skip, size = _int(request, "SkipPages", 0), min(_int(request, "PageSize", 20), PAGE_CAP)
    return JSONResponse(ITEMS[skip * size : (skip + 1) * size])


async def zuora_like(request: Request) -> JSONResponse:
    """Zuora: `pageSize` alone is declared; the answer's `nextPage` is the next page's URL,
    which carries the page number the spec never names."""
    page, size = _int(request, "page", 1), min(_int(request, "pageSize", 20), PAGE_CAP)
    chunk = ITEMS[(page - 1) * size : page * size]
    body: dict = {"success": True, "accountingCodes": chunk}
    if page * size < len(ITEMS):
        body["nextPage"] = f"{request.base_url}zuora?page={page + 1}&pageSize={size}"
    return JSONResponse(body)


async def magento_like(request: Request) -> JSONResponse:
    """Magento: `searchCriteria[currentPage]` and `searchCriteria[pageSize]`, the criteria
    echoed beside the items; a page past the last is the last page again, as Magento sends."""
    size = min(_int(request, "searchCriteria[pageSize]", 20), PAGE_CAP)
    last = -(-len(ITEMS) // size)
    page = min(_int(request, "searchCriteria[currentPage]", 1), last)
    criteria = {"current_page": page, "page_size": size, "filter_groups": [], "sort_orders": []}
    chunk = ITEMS[(page - 1) * size : page * size]
    return JSONResponse({"items": chunk, "search_criteria": criteria, "total_count": len(ITEMS)})


async def apigateway_like(request: Request) -> JSONResponse:
    """AWS API Gateway: `position` in, `position` out (left out on the last page); only the
    parameter's description says it pages."""
    start = _start(request.query_params.get("position"))
    end = start + min(_int(request, "limit", 25), PAGE_CAP)
    body: dict = {"items": ITEMS[start:end]}
    if end < len(ITEMS):
        body["position"] = _token(end)
    return JSONResponse(body)


async def bigoven_like(request: Request) -> JSONResponse:
    """BigOven: `pg` and `rpp`, named by their descriptions alone ("page number", "results per
    page")."""
    page, size = _int(request, "pg", 1), min(_int(request, "rpp", 10), PAGE_CAP)
    chunk = ITEMS[(page - 1) * size : page * size]
    return JSONResponse({"ResultCount": len(ITEMS), "Results": chunk})


NEWEST_FIRST = ITEMS[::-1]


async def mastodon_like(request: Request) -> JSONResponse:
    """A bare array, newest first: `max_id` asks for the items older than that id."""
    below = int(request.query_params.get("max_id") or len(ITEMS) + 1)
    older = [item for item in NEWEST_FIRST if item["id"] < below]
    return JSONResponse(older[: min(_int(request, "limit", 10), PAGE_CAP)])


def _xml_items(chunk: list[dict], tag: str) -> str:
    return "".join(f"<{tag}><id>{i['id']}</id><name>{i['name']}</name></{tag}>" for i in chunk)


def _xml(text: str) -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + text, media_type="text/xml")


async def aws_query_like(request: Request) -> Response:
    """IAM and the other AWS query APIs: XML only, the result inside an envelope, the list
    wrapped in `<member>`s, `Marker` back while `IsTruncated` (and left out at the end)."""
    start = _start(request.query_params.get("Marker"))
    end = start + min(_int(request, "MaxItems", 10), PAGE_CAP)
    more = end < len(ITEMS)
    marker = f"<Marker>{_token(end)}</Marker>" if more else ""
    return _xml(
        '<ListItemsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListItemsResult>'
        f"<Items>{_xml_items(ITEMS[start:end], 'member')}</Items>"
        f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>{marker}</ListItemsResult>"
        "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4</RequestId></ResponseMetadata>"
        "</ListItemsResponse>"
    )


async def s3_like(request: Request) -> Response:
    """S3's ListObjectsV2: one `<Contents>` per object, not wrapped (a page of one object is
    one element, still a list), `NextContinuationToken` while `IsTruncated`."""
    start = _start(request.query_params.get("continuation-token"))
    end = start + min(_int(request, "max-keys", 10), 1 if start == 0 else PAGE_CAP)
    more = end < len(ITEMS)
    token = f"<NextContinuationToken>{_token(end)}</NextContinuationToken>" if more else ""
    return _xml(
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>zoo</Name><Prefix></Prefix><MaxKeys>{end - start}</MaxKeys>"
        f"<KeyCount>{end - start}</KeyCount><IsTruncated>{str(more).lower()}</IsTruncated>"
        f"{_xml_items(ITEMS[start:end], 'Contents')}"
        "<CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>"
        f"{token}</ListBucketResult>"
    )


async def ec2_like(request: Request) -> Response:
    """EC2: elements named otherwise than the fields (`itemSet` of `<item>`s, `nextToken`)."""
    start = _start(request.query_params.get("NextToken"))
    end = start + min(_int(request, "MaxResults", 10), PAGE_CAP)
    token = f"<nextToken>{_token(end)}</nextToken>" if end < len(ITEMS) else ""
    return _xml(
        '<DescribeItemsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        f"<requestId>59dbff89-35bd</requestId><itemSet>{_xml_items(ITEMS[start:end], 'item')}"
        f"</itemSet>{token}</DescribeItemsResponse>"
    )


APP = Starlette(
    routes=[
        Route("/aws-query", aws_query_like),
        Route("/s3", s3_like),
        Route("/ec2", ec2_like),
        Route("/apideck", apideck_like),
        Route("/wrapped", wrapped),
        Route("/hal", hal_like),
        Route("/facebook", facebook_like),
        Route("/mastodon", mastodon_like),
        Route("/token-in-header", token_in_header),
        Route("/token-in-request-header", token_in_request_header),
        Route("/asana", asana_like),
        Route("/kubernetes", kubernetes_like),
        Route("/zoom", zoom_like),
        Route("/visma", visma_like),
        Route("/keycloak", keycloak_like),
        Route("/economic", economic_like),
        Route("/zuora", zuora_like),
        Route("/magento", magento_like),
        Route("/apigateway", apigateway_like),
        Route("/bigoven", bigoven_like),
        Route("/clever", clever_like),
        Route("/link-undeclared", link_undeclared),
        Route("/page", by_page),
        Route("/offset", by_offset),
        Route("/opensearch", opensearch_like),
        Route("/azure-skip", azure_skip),
        Route("/zero-based-page", zero_based_page),
        Route("/cursor", by_cursor),
        Route("/link", by_link),
        Route("/next-url", by_next_url),
        Route("/stripe", stripe_like),
        Route("/openai", openai_like),
        Route("/jira", jira_like),
        Route("/slack", slack_like),
        Route("/google", google_like),
        Route("/cloud", google_cloud_like),
        Route("/filtered", filtered_like_google),
        Route("/endless-empty", endless_empty),
        Route("/search", search_by_page_token),
        Route("/x-next", by_x_next),
        Route("/placeholder-next", placeholder_next),
        Route("/ignores-page", ignores_page),
    ]
)

_ITEM = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}


def _list(props: dict, headers: dict | None = None, media: str = "application/json") -> dict:
    response = {"description": "ok", "content": {media: {"schema": props}}}
    if headers:
        response["headers"] = headers
    return {"200": response}


def _q(name: str, kind: str = "integer") -> dict:
    return {"name": name, "in": "query", "schema": {"type": kind}}


def _object(**props: dict) -> dict:
    return {"type": "object", "properties": props}


def _get(operation_id: str, params: list[dict], responses: dict) -> dict:
    return {"get": {"operationId": operation_id, "parameters": params, "responses": responses}}


_STRING = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}


def spec(base_url: str) -> dict:
    """The OpenAPI document of APP served at `base_url` (no pagination hints in it)."""
    array = {"type": "array", "items": _ITEM}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Paging zoo", "version": "1"},
        "servers": [{"url": base_url}],
        "paths": {
            "/page": {
                "get": {
                    "operationId": "listByPage",
                    "parameters": [_q("page"), _q("per_page")],
                    "responses": _list(
                        {
                            "type": "object",
                            "properties": {"results": array, "total_count": {"type": "integer"}},
                        }
                    ),
                }
            },
            "/offset": {
                "get": {
                    "operationId": "listByOffset",
                    "parameters": [_q("offset"), _q("limit")],
                    "responses": _list({"type": "object", "properties": {"items": array}}),
                }
            },
            "/cursor": {
                "get": {
                    "operationId": "listByCursor",
                    "parameters": [
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                        _q("page_size"),
                    ],
                    "responses": _list(
                        {
                            "type": "object",
                            "properties": {
                                "data": array,
                                "meta": {
                                    "type": "object",
                                    "properties": {
                                        "next_cursor": {"type": "string", "nullable": True}
                                    },
                                },
                            },
                        }
                    ),
                }
            },
            "/link": {
                "get": {
                    "operationId": "listByLink",
                    "responses": _list(array, headers={"Link": {"schema": {"type": "string"}}}),
                }
            },
            "/next-url": {
                "get": {
                    "operationId": "listByNextUrl",
                    "responses": _list(
                        {
                            "type": "object",
                            "properties": {
                                "entries": array,
                                "next": {"type": "string", "format": "uri", "nullable": True},
                            },
                        }
                    ),
                }
            },
            **_real_world_paths(array),
        },
    }


def _real_world_paths(array: dict) -> dict:
    """The operations paging the way popular APIs do."""
    nullable = {"type": "string", "nullable": True}
    return {
        **_xml_paths(),
        "/stripe": _get(
            "listLikeStripe",
            [_q("starting_after", "string"), _q("ending_before", "string"), _q("limit")],
            _list(_object(object=_STRING, url=_STRING, data=array, has_more=_BOOL)),
        ),
        "/openai": _get(
            "listLikeOpenai",
            [_q("after", "string"), _q("limit")],
            _list(
                _object(
                    object=_STRING, data=array, first_id=nullable, last_id=nullable, has_more=_BOOL
                )
            ),
        ),
        "/opensearch": _get(
            "listLikeOpenSearch",
            [
                {**_q("startIndex"), "schema": {"type": "integer", "minimum": 1, "default": 1}},
                _q("count"),
            ],
            _list(_object(totalResults=_INT, startIndex=_INT, items=array)),
        ),
        "/zero-based-page": _get(
            "listPagesFromZero",
            [{**_q("pageIndex"), "schema": {"type": "integer", "default": 0}}, _q("pageSize")],
            _list(_object(totalCount=_INT, items=array)),
        ),
        "/azure-skip": _get(
            "listSkippingLikeAzure",
            [{**_q("$skip"), "schema": {"type": "integer", "minimum": 1}}, _q("$top")],
            _list(_object(count=_INT, items=array)),
        ),
        "/jira": _get(
            "listLikeJira",
            [_q("startAt"), _q("maxResults")],
            _list(_object(startAt=_INT, maxResults=_INT, total=_INT, values=array)),
        ),
        "/slack": _get(
            "listLikeSlack",
            [_q("cursor", "string"), _q("limit")],
            _list(_object(ok=_BOOL, members=array, response_metadata=_object(next_cursor=_STRING))),
        ),
        "/google": _get(
            "listLikeGoogle",
            [_q("pageToken", "string"), _q("pageSize")],
            _list(_object(kind=_STRING, items=array, nextPageToken=_STRING)),
        ),
        "/cloud": _get(
            "listLikeGoogleCloud",
            [_q("pageToken", "string"), _q("pageSize")],
            _list(
                _object(
                    backups=array,
                    unreachable={"type": "array", "items": _STRING},
                    nextPageToken=_STRING,
                )
            ),
        ),
        "/filtered": _get(
            "listFilteredLikeGoogle",
            [_q("page_token", "string"), _q("page_size")],
            _list(_object(items=array, next_page_token=_STRING)),
        ),
        "/endless-empty": _get(
            "listEndlessEmpty",
            [_q("page_token", "string"), _q("page_size")],
            _list(_object(items=array, next_page_token=_STRING)),
        ),
        "/search": _get(
            "searchByPageToken",
            [_q("q", "string"), _q("page", "string"), _q("count")],
            _list(_object(results=array, next_page=nullable)),
        ),
        "/asana": _get(
            "listLikeAsana",
            [
                {**_q("offset", "string"), "description": "Offset token from a previous page."},
                _q("limit"),
            ],
            _list(_object(data=array)),
        ),
        "/kubernetes": _get(
            "listLikeKubernetes",
            [_q("continue", "string"), _q("limit")],
            _list(
                _object(
                    apiVersion=_STRING,
                    kind=_STRING,
                    metadata=_object(resourceVersion=_STRING, **{"continue": _STRING}),
                    items=array,
                )
            ),
        ),
        "/zoom": _get(
            "listLikeZoom",
            [_q("page_size"), _q("next_page_token", "string")],
            _list(
                _object(page_size=_INT, total_records=_INT, next_page_token=_STRING, meetings=array)
            ),
        ),
        "/visma": _get(
            "listLikeVisma",
            [{**_q("firstRow"), "schema": {"type": "integer", "default": 0}}, _q("rowCount")],
            _list(array),
        ),
        "/keycloak": _get("listLikeKeycloak", [_q("first"), _q("max")], _list(array)),
        "/economic": _get(
            "listLikeEconomic",
            [
                {**_q("SkipPages"), "schema": {"type": "integer", "default": 0, "minimum": 0}},
                _q("PageSize"),
            ],
            _list(array),
        ),
        "/zuora": _get(
            "listLikeZuora",
            [_q("pageSize")],
            _list(
                _object(
                    success=_BOOL,
                    accountingCodes=array,
                    nextPage={
                        "type": "string",
                        "description": "URL to retrieve the next page of the response if it "
                        "exists.",
                    },
                )
            ),
        ),
        "/magento": _get(
            "listLikeMagento",
            [_q("searchCriteria[currentPage]"), _q("searchCriteria[pageSize]")],
            _list(
                _object(
                    items=array,
                    search_criteria=_object(
                        current_page=_INT,
                        page_size=_INT,
                        filter_groups={"type": "array", "items": _object(filters=_STRING)},
                        sort_orders={"type": "array", "items": _object(field=_STRING)},
                    ),
                    total_count=_INT,
                )
            ),
        ),
        "/apigateway": _get(
            "listLikeApiGateway",
            [
                {
                    **_q("position", "string"),
                    "description": "The current pagination position in the paged result set.",
                },
                _q("limit"),
            ],
            _list(_object(position=_STRING, items=array)),
        ),
        "/bigoven": _get(
            "listLikeBigOven",
            [
                {**_q("pg"), "description": "page number (starting with 1)"},
                {**_q("rpp"), "description": "results per page"},
            ],
            _list(_object(ResultCount=_INT, Results=array)),
        ),
        "/clever": _get(
            "listLikeClever",
            [_q("starting_after", "string"), _q("ending_before", "string"), _q("limit")],
            _list(_object(data={"type": "array", "items": _object(data=_ITEM, uri=_STRING)})),
        ),
        "/placeholder-next": _get(
            "listWithPlaceholderNext", [], _list(_object(entries=array, next=_STRING))
        ),
        "/ignores-page": _get(
            "listIgnoringPage",
            [_q("page"), _q("per_page")],
            _list(_object(results=array, total_count=_INT)),
        ),
        "/apideck": _get(
            "listLikeApideck",
            [_q("cursor", "string"), _q("limit")],
            _list(
                _object(
                    status_code=_INT,
                    status=_STRING,
                    service=_STRING,
                    resource=_STRING,
                    operation=_STRING,
                    data=array,
                    meta=_object(
                        items_on_page=_INT,
                        cursors=_object(current=_STRING, next=nullable),
                    ),
                )
            ),
        ),
        "/facebook": _get(
            "listLikeFacebook",
            [_q("after", "string"), _q("before", "string"), _q("limit")],
            _list(
                _object(data=array, paging=_object(cursors=_object(before=_STRING, after=_STRING)))
            ),
        ),
        "/wrapped": _get(
            "listWrapped",
            [_q("start"), _q("count", "string")],
            _list(
                _object(
                    return_code=_INT,
                    return_message=_STRING,
                    result=_object(items_count=_INT, item=array),
                )
            ),
        ),
        "/hal": _get(
            "listLikeHal",
            [_q("search_after", "string"), _q("limit")],
            _list(
                _object(
                    _links=_object(self=_object(href=_STRING), next=_object(href=_STRING)),
                    _embedded=_object(items=array),
                )
            ),
        ),
        "/mastodon": _get(
            "listLikeMastodon",
            [_q("max_id", "string"), _q("since_id", "string"), _q("limit")],
            _list(array),
        ),
        "/token-in-header": _get(
            "listTokenInHeader", [_q("pageToken", "string"), _q("pageSize")], _list(array)
        ),
        "/token-in-request-header": _get(
            "listTokenInRequestHeader",
            [
                {"name": "x-ms-continuation", "in": "header", "schema": _STRING},
                {"name": "x-ms-max-item-count", "in": "header", "schema": _INT},
            ],
            _list(
                _object(_rid=_STRING, Documents=array),
                headers={"x-ms-continuation": {"schema": _STRING}},
            ),
        ),
        "/link-undeclared": _get(
            "listLinkUndeclared", [_q("cursor"), _q("page_size")], _list(array)
        ),
        "/x-next": _get(
            "listByXNext",
            [_q("limit")],
            _list(array, headers={"x-next": {"schema": _STRING}}),
        ),
    }


def _xml_paths() -> dict:
    """The operations that answer only in XML, as AWS's specs declare them."""
    member = {**_ITEM, "xml": {"name": "member"}}
    return {
        "/aws-query": _get(
            "listLikeAwsQuery",
            [_q("Marker", "string"), _q("MaxItems")],
            _list(
                _object(
                    Items={"type": "array", "items": member}, IsTruncated=_BOOL, Marker=_STRING
                ),
                media="text/xml",
            ),
        ),
        "/s3": _get(
            "listLikeS3",
            [
                _q("continuation-token", "string"),
                _q("max-keys"),
                # aws2openapi adds the SDK paginator's names as query parameters of their own,
                # twins of S3's: S3 reads neither.
                {**_q("MaxKeys", "string"), "description": "Pagination limit"},
                {**_q("ContinuationToken", "string"), "description": "Pagination token"},
            ],
            _list(
                _object(
                    # What the bucket's listing says of itself beside its objects (the name,
                    # the folders under the prefix): it is still a page of a list.
                    Name=_STRING,
                    Prefix=_STRING,
                    Delimiter=_STRING,
                    MaxKeys=_INT,
                    EncodingType=_STRING,
                    KeyCount=_INT,
                    IsTruncated=_BOOL,
                    Contents={"type": "array", "items": _ITEM, "xml": {"wrapped": False}},
                    CommonPrefixes={
                        "type": "array",
                        "items": _object(Prefix=_STRING),
                        "xml": {"wrapped": False},
                    },
                    ContinuationToken=_STRING,
                    NextContinuationToken=_STRING,
                    StartAfter=_STRING,
                ),
                media="application/xml",
            ),
        ),
        "/ec2": _get(
            "listLikeEc2",
            [_q("NextToken", "string"), _q("MaxResults")],
            _list(
                _object(
                    Items={
                        "type": "array",
                        "items": {**_ITEM, "xml": {"name": "item"}},
                        "xml": {"name": "itemSet", "wrapped": True},
                    },
                    NextToken={"type": "string", "xml": {"name": "nextToken"}},
                ),
                media="text/xml",
            ),
        ),
    }
