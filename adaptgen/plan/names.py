"""Names: tool and argument names that are snake_case, unique, short and still readable."""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable

from adaptgen.runtime.http_methods import OPENAPI_METHODS
from adaptgen.words import (  # noqa: F401 - re-exported
    ACTION_VERBS,
    FORMAT_SUFFIX,
    ID_WORDS,
    REST_VERBS,
    VERBS,
    acts_by_path,
    env_words,
    item_collection,
    keyed_sets,
    plain_path,
    plural,
    singular,
    snake_words,
)

MAX_TOOL_NAME = 64

# Long words that have a well-known short form; used only when a name is over the limit.
_ABBREVIATIONS = {
    "administrator": "admin",
    "administrators": "admins",
    "application": "app",
    "applications": "apps",
    "authentication": "auth",
    "authenticated": "authed",
    "authorization": "authz",
    "configuration": "config",
    "configurations": "configs",
    "environment": "env",
    "environments": "envs",
    "information": "info",
    "organization": "org",
    "organizations": "orgs",
    "repository": "repo",
    "repositories": "repos",
    "notification": "notif",
    "notifications": "notifs",
    "subscription": "sub",
    "subscriptions": "subs",
    "installation": "install",
    "installations": "installs",
    "permission": "perm",
    "permissions": "perms",
    "deployment": "deploy",
    "deployments": "deploys",
    "description": "desc",
    "identifier": "id",
    "parameters": "params",
    "parameter": "param",
    "attachment": "attach",
    "attachments": "attaches",
    "conversation": "convo",
    "conversations": "convos",
    "reference": "ref",
    "references": "refs",
    "protection": "prot",
}


def snake_case(text: str) -> str:
    """snake_case of `text`; empty when it has no letters or digits."""
    return "_".join(snake_words(text))


def file_name_server(stem: str) -> str:
    """The server name a spec's file stem makes when no name is given: snake_cased, and
    `api_` before one that does not start with a letter (`6-dot-authentiqio.json`, `2.0.yaml`:
    the name starts every env var the server reads, which cannot start with a digit); `api`
    for a stem with no letters or digits."""
    name = "_".join(env_words(stem))  # it starts every env var: split as it always was
    return name if name[:1].isalpha() else f"api_{name}" if name else "api"


MAX_ENV_WORD = 48  # Lambda holds 4 KB of env vars in all; CloudFormation names stop at 255
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def env_word(text: str) -> str:
    """The env var part made of a spec's name (a security scheme): UPPER_SNAKE, shortened."""
    return shorten(env_words(text), MAX_ENV_WORD).upper()


def is_env_name(name: str) -> bool:
    """True for a name every shell, Lambda and CloudFormation take as an env var name."""
    return _ENV_NAME.fullmatch(name) is not None


# A path segment that is only an API version or a prefix every API has (`v3`, `api`, `rest`).
_VERSION_SEGMENT = re.compile(r"^(?:v\d+(?:\.\d+)*|v\{[^}]*\}|api|rest)$", re.IGNORECASE)
# A name word that is a version (`v2`, `v1beta1`) or a number (`2026`, `03`, `0`): it tells an
# agent nothing about what the tool does, so names never carry one.
_VERSION_WORD = re.compile(r"v\d+(?:[a-z]+\d*)?|\d+")
# A year at the start of a word: the first part of a dated version (`2026-03`, `2010-04-01`).
_YEAR = re.compile(r"(?:19|20)\d\d")
# A representation suffix on the last path segment (`/Accounts.json`): not a resource word.
_FORMAT_SUFFIX = FORMAT_SUFFIX
_PATH_PARAMETER = re.compile(r"\{([^}]*)\}")
_TRAILING_PARAMETER = re.compile(r"\{([^}]*)\}/?$")
_NON_WORD_CHAR = re.compile(r"\W")

# The first word of every tool name says what it does (`VERBS`, in adaptgen.words): the REST
# verbs, then the action verbs real APIs use (Slack's `chat.postMessage`, GitHub's `pulls/merge`).
# HTTP methods as a name's first word: a name made of the method and the path (`put_files_id`).
_METHOD_WORDS = frozenset(OPENAPI_METHODS)
# Words of auto-generated operationIds that stand for a verb (`getPage`, `getById`, `doSearch`).
_GENERIC_OPERATIONS = {
    ("get", "page"): "list",
    ("get", "all"): "list",
    ("get", "list"): "list",
    ("get", "by", "id"): "get",
    ("get", "one"): "get",
    ("do", "search"): "search",
}
# A path's format suffix (`/ip.txt`, `/reports/all.csv`) and how a name says it.
_TWIN_FORMAT = re.compile(r"\.(txt|csv|tsv|xml|html?|css|json|ya?ml|atom|rss|pdf)$", re.IGNORECASE)
_FORMAT_WORDS = {"txt": "text", "htm": "html", "yml": "yaml"}
_NOUNS = frozenset({"page", "list"})  # of the generic words, those a path may be a thing of


def format_twins(paths: Iterable[str]) -> frozenset[str]:
    """The paths that are another of `paths` with a format suffix (`/ip.txt` beside `/ip`)."""
    every = set(paths)
    return frozenset(
        p for p in every if _TWIN_FORMAT.search(p) and _TWIN_FORMAT.sub("", p) in every
    )


def _generic(words: list[str], route: _Route) -> str | None:
    """The verb a generic operationId stands for (`getPage`: list), unless its noun is the
    path's own (`getPage` on `/pages/{slug}` reads a page, `getList` on `/lists/{id}` a list)."""
    verb = _GENERIC_OPERATIONS.get(tuple(words))
    statics = set(route.static_words())
    if verb is None or any(w in statics or f"{w}s" in statics for w in words[1:] if w in _NOUNS):
        return None
    return verb


# Query keys whose value names the operation (`/messages?action=send`).
_ACTION_KEYS = frozenset({"action", "op", "operation", "method", "cmd", "command", "do"})
# Azure's `SqlResources_CreateUpdateSqlContainer`, `ActionRules_CreateUpdate`: "create or
# update" with its "or" left out (not `CreateUpdatedImage`, which creates an updated image).
_CREATE_UPDATE = re.compile(r"(?<![a-z])(Create|create)(Update)(?![a-z])")
# Marks a selector word that an action key gave: a verb whatever `VERBS` says (`adopt`).
_ACTION_MARK = "!"
_ARTICLES = frozenset({"a", "an", "the"})
# Springfox (Java Spring) writes every operationId as the method's name, `Using` and the HTTP
# method, numbered when taken: `getChartInfoUsingGET_1`. Only the method's name says anything.
SPRINGFOX = re.compile(r"Using(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)(?:_\d+)?$")
# OpenAPI.NET (Microsoft Graph's generator) makes a repeated operationId unique with four hex
# digits of a hash: `Get.Count.attachments-e572`, `users.GetCount-d4ef`. They say nothing (the
# path tells such operations apart); a hyphenated word (`create-bank-feed`) is not one.
_GENERATED_HASH = re.compile(r"(?<=[A-Za-z])-([0-9a-f]{4})$")


def hashed_twins(operation_ids: Iterable[str]) -> frozenset[str]:
    """The operationIds that OpenAPI.NET made unique with a hash, where two or more are the
    same without it: a template's words, not a name (Graph's thousand casts
    `Get.microsoft.graph.directoryObject.Item.As.microsoft.graph.user-f858`, one per path, and
    counts `Get.Count.directReports-94c4`). Their paths name such operations."""
    seen: dict[str, set[str]] = {}
    for operation_id in operation_ids:
        if hashed := _GENERATED_HASH.search(operation_id):
            seen.setdefault(operation_id[: hashed.start()], set()).add(operation_id)
    return frozenset(op_id for twins in seen.values() if len(twins) > 1 for op_id in twins)


# A path segment that is a qualified name (`microsoft.graph.user`, `Microsoft.Dynamics.CRM.Win`):
# OData's type casts, and its bound functions and actions, named in their schema's namespace.
_QUALIFIED = re.compile(r"([A-Za-z]\w*(?:\.[A-Za-z]\w*)+)\.([A-Za-z]\w*)(\(.*\))?")


def namespaces(paths: Iterable[str]) -> frozenset[str]:
    """The namespaces an API's paths name things in: a dotted prefix of two or more parts that
    three or more segments share before different last names (Graph's `microsoft.graph` of
    `microsoft.graph.user`, `.group`, `.delta()`); never a domain its segments end in
    (Kubernetes's `apps.k8s.io`, `batch.k8s.io`: their last part is the one they share)."""
    names: dict[str, set[str]] = {}
    for path in paths:
        for segment in path.strip("/").split("/"):
            if (qualified := _QUALIFIED.fullmatch(segment)) and "." in qualified[1]:
                names.setdefault(qualified[1], set()).add(qualified[2])
    return frozenset(prefix for prefix, last in names.items() if len(last) >= 3)


def odata_cast(path: str, method: str, spaces: frozenset[str]) -> tuple[str, list[str]]:
    """`path` without the type cast it ends in (alone, or before `/$count`), and the words that
    say it: `GET /contacts/{id}/memberOf/microsoft.graph.user` reads the contact's
    memberships as users (`/contacts/{id}/memberOf`, `as user`). A cast is a GET of a qualified
    name in one of the API's `spaces` (`namespaces`), with no parentheses (those are
    functions); anything else is returned as it is, with no words."""
    segments = path.rstrip("/").split("/")
    at = len(segments) - (2 if segments[-1] == "$count" else 1)
    cast = _QUALIFIED.fullmatch(segments[at]) if method.lower() == "get" and at > 1 else None
    if cast is None or cast[3] is not None or cast[1] not in spaces:
        return path, []
    return "/".join(segments[:at] + segments[at + 1 :]), ["as", *snake_words(cast[2])]


# An operationId that is only a key a tool made up, no word in it: Azure API Management's
# 24-digit hex ids (WMATA's `5476364f031f5909e4fe3314`, Transavia's), a GUID. The summary or
# the path names such an operation.
_MADE_UP_ID = re.compile(
    r"(?=[0-9a-f-]*\d)(?=[0-9-]*[a-f])(?:[0-9a-f]{16,}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})",
    re.IGNORECASE,
)
# API Platform (PHP, Symfony) names every operation by its HTTP method, its resource class and
# whether it is the collection's or an item's: `getBookCollection`, `postBookCollection`,
# `putBookItem` (2.x); `api_books_get_collection`, `api_books_id_put` (3.x, the route's name).
_PLATFORM_CLASS = re.compile(r"(get|post|put|patch|delete)([A-Z][A-Za-z0-9]*?)(Item|Collection)")
_PLATFORM_ROUTE = re.compile(
    r"api_([a-z0-9_]+?)_(?:(get|post)_collection|get_subresource|(get|post|put|patch|delete))"
)
_PLATFORM_VERBS = {
    ("get", "Collection"): "list",
    ("post", "Collection"): "create",
    ("get", "Item"): "get",
    ("put", "Item"): "update",
    ("patch", "Item"): "update",
    ("delete", "Item"): "delete",
}
# JSON:API's operations as Apple's generator names them:
# `<resource>[-<relationship>]-<verb>_<kind>`.
_JSON_API = re.compile(
    r"(?P<resource>[A-Za-z][A-Za-z0-9]*)(?:-(?P<related>[A-Za-z][A-Za-z0-9]*))?-"
    r"(?P<verb>get|create|update|delete|replace)_"
    r"(?P<kind>collection|instance|to_many_related|to_one_related|to_many_relationship|"
    r"to_one_relationship)"
)
_JSON_API_METHODS = {
    "get": ("get",),
    "post": ("create",),
    "patch": ("update", "replace"),
    "delete": ("delete",),
}
# Magento's generator writes the service class, its version, the method's name and the HTTP
# method (`quoteGuestCartItemRepositoryV1SavePost`, `customerCustomerRepositoryV1GetByIdGet`):
# read as `<service>_<method>`, the class's kind (repository, management) left out.
_SERVICE_METHOD = re.compile(
    r"^([a-z][A-Za-z0-9]*?)V\d+([A-Z][A-Za-z0-9]*?)(Get|Post|Put|Patch|Delete)$"
)
_SERVICE_KIND = re.compile(r"(?:Repository|Management|Interface)(?=[A-Z]|$)")
# An operationId that is the HTTP method then what it does (`GET_AddTagsToResource`,
# `GET_ChargeMetrics`, `PUT_AccountingCode`), maybe after a group (`Object_GETPayment`,
# `Action_POSTamend`: the method glued to what follows).
_METHOD_VARIANT = re.compile(
    r"^(?:([A-Za-z][A-Za-z0-9]*)_)?(GET|POST|PUT|PATCH|DELETE)(?:_(?=[A-Za-z])|(?=[A-Z])|(?=[a-z]{3}))"
)
# An AWS action's name: a word, then words, each capitalized (`TagResource`, `GetIPSet`).
_AWS_ACTION = re.compile(r"[A-Z][a-z]+(?:[A-Z0-9][A-Za-z0-9]*)?")
# Verbs a GET may lead with; any other first word of a GET's name is a noun (`ChargeMetrics`).
_READING_VERBS = frozenset(
    {
        *("get", "list", "search", "find", "query", "count", "check", "describe", "show"),
        *("read", "fetch", "retrieve", "lookup", "view", "download", "export", "preview"),
        *("validate", "verify", "calculate", "estimate"),
    }
)
# Verbs a DELETE may lead with; any other first word is what it deletes (`DELETE_Refund`).
_REMOVING_VERBS = frozenset(
    {
        *("delete", "remove", "cancel", "revoke", "detach", "disable", "deactivate", "purge"),
        *("clear", "unsubscribe", "unlink", "unassign", "destroy", "erase", "discard", "void"),
        *("close", "terminate", "stop", "unregister", "leave", "reject", "dismiss", "decline"),
    }
)
# Verbs a method's name in a path starts with that `VERBS` leaves out, as names of things start
# with them elsewhere (Graph's `createForward`, Spoonacular's `quickAnswer`): Telegram's
# `/forwardMessage`, `/answerCallbackQuery`.
_METHOD_PATH_VERBS = frozenset({"forward", "answer"})
_METHOD_PATH_STARTS = VERBS | _METHOD_PATH_VERBS
# Verbs of `VERBS` that also name things, first in a compound noun: a path of such a word and
# a plural is a collection (Stripe's `/link_account_sessions`, `/search_suggestions`,
# `/post-logs`), of such a word and a singular an act (`/checkBalance`, `/post-review`).
_NOUNS_TOO = frozenset(
    {
        *("link", "search", "post", "push", "import", "export", "upload", "download", "test"),
        *("log", "change", "check", "share", "request", "transfer", "copy", "schedule", "run"),
        *("charge", "refund", "reset", "sync", "lock", "pin", "block", "query", "count"),
        *("store", "capture", "estimate", "preview", "exchange", "trigger", "patch", "replace"),
        *("move", "merge", "increase", "decrease"),
    }
)
# The verbs a `Controller_Verb` operationId ends with that act on one thing of the controller's,
# per method: a POST creates one (on a collection) or acts on the one its path ends with.
_ONE_THING_VERBS = {
    "get": frozenset({"read", "retrieve", "fetch", "show"}),
    "put": frozenset({"update", "replace", "create", "add", "set"}),
    "patch": frozenset({"update", "patch", "modify"}),
    "delete": frozenset({"destroy", "remove"}),
    "post": frozenset({"create", "add"}),
}
# The methods that read or change the one thing a path ends in.
_ONE_THING_METHODS = frozenset({"get", "put", "patch", "delete"})
# A name's first words that act on many things, whatever the path ends in.
_MANY_VERBS = frozenset({"list", "batch", "bulk", "search", "query", "count", "find"})
# Plurals that name one group of values (`/bankdetails/{id}` is one thing's bank details).
_GROUP_PLURALS = ("settings", "details", "preferences")
# Words after a controller's thing that say how the verb acts (Django REST's `partial_update`).
_MODIFIERS = frozenset({"partial"})
# Verbs that need no object: `login` says it all (not `login_auth`).
_OBJECTLESS_VERBS = frozenset({"login", "logout", "ping"})
# A verb written short at the start of an operationId.
_VERB_SHORTHANDS = {"del": "delete", "rm": "remove", "upd": "update"}
# Verbs that only say "the act the next word names": `doTransition`, `performSearch`.
_LIGHT_VERBS = frozenset({"do", "perform"})
# HTTP methods a generator writes where a name's verb goes (`Groups_PutGroupUsers`).
_PASTED_METHODS = frozenset({"put", "post", "patch"})
# The verbs a method says itself, where it says one act (a POST may do anything; a PUT also
# does what its path names: gitea's `PUT /user/starred/...` stars).
_METHOD_VERBS = {
    "get": frozenset(
        {"get", "list", "read", "fetch", "show", "describe", "find", "search", "query", "count"}
    ),
    "delete": frozenset({"delete", "remove"}),
    "patch": frozenset({"update", "patch", "set", "modify"}),
}
_PREPOSITIONS = frozenset({"for", "in", "on", "by", "of", "from", "to", "with", "at", "as"})
MAX_SUMMARY_WORDS = 8


def name_flags(name: str, method: str = "", path: str = "") -> list[str]:
    """What makes a tool name bad for an agent, by kind (empty: a good name).

    - `verbless`: the first word is not in `VERBS` (a name is a verb and its resource), nor
      the action a POSTed `path` ends in (`reboot_device` on `/devices/{id}/reboot`);
    - `numbered`: a word is all digits or a version (`get_page_2`, `list_v2_users`);
    - `versioned`: a word is a version (`v1`, `v1beta1`) or date-like (a year: `2026_03`).
    """
    words = name.split("_")
    flags = []
    said_by_path = words[0] in _METHOD_PATH_VERBS and _Route(method, path, [], ()).method_path()
    if words[0] not in VERBS and not acts_by_path(method, path, words) and not said_by_path:
        flags.append("verbless")
    if any(_VERSION_WORD.fullmatch(w) for w in words):
        flags.append("numbered")
    if any(_VERSION_WORD.fullmatch(w) and not w.isdigit() or _YEAR.fullmatch(w) for w in words):
        flags.append("versioned")
    return flags


def is_version(segment: str) -> bool:
    """Whether a path segment only says a version or an API prefix (`v2`, `api`, `rest`)."""
    return _VERSION_SEGMENT.match(segment) is not None or segment[:1].isdigit()


def resource_words(path: str) -> tuple[str, ...]:
    """What a path holds, in words: its literal segments less versions, API prefixes and
    dates, singular and lower case (`/v3/merchants/{id}/stores` -> merchant, store; OData's
    as `plain_path` reads it)."""
    return tuple(
        singular(segment.lower())
        for segment in plain_path(path).split("/")
        if segment
        and "{" not in segment
        and not _VERSION_SEGMENT.match(segment)
        and not segment[0].isdigit()
    )


def common_path_prefix(paths: list[str]) -> list[str]:
    """The static leading segments every path shares (`/crm/v3/objects/contacts/...`)."""
    split = [[s for s in p.strip("/").split("/") if s] for p in paths]
    prefix: list[str] = []
    for segments in zip(*split, strict=False):
        first = segments[0]
        if first.startswith("{") or any(s != first for s in segments):
            break
        prefix.append(first)
    return prefix


# An HTTP method a generator pasted after a name (`AddActor_Post`, `createAlertGET`,
# `List_Contracts_GET`): as its own last part, in any case, after a separator or a capital.
_PASTED_TAIL = re.compile(r"(?:[_\- ]+|(?<=[a-z0-9])(?=[A-Z]))((?i:get|post|put|patch|delete))$")


def without_pasted_method(
    operation_id: str, method: str, path: str, operation_words: frozenset[tuple[str, ...]]
) -> str | None:
    """`operation_id` without the operation's own HTTP method pasted after it (`AddActor_Post`
    on `POST /AddActor`: `AddActor`), where two words or more are left, the path does not say
    the method's word (`/reactions.get`), a read's verb does not lead a write, and no other
    operationId of the API is the rest (Jira's `searchForIssuesUsingJql` beside
    `searchForIssuesUsingJqlPost`: there the word tells the two apart), where the rest starts
    with its act. None where nothing was pasted."""
    tail = _PASTED_TAIL.search(operation_id)
    if tail is None or tail[1].lower() != method.lower() or SPRINGFOX.search(operation_id):
        return None
    fastapi = _NON_WORD_CHAR.sub("_", path) + "_" + method.lower()
    if "." in operation_id or operation_id.endswith(fastapi) or _SERVICE_METHOD.match(operation_id):
        return None  # read as a dotted id's method, FastAPI's, Magento's (`tool_names`)
    rest = operation_id[: tail.start()]
    if (
        "_" not in rest
        and operation_id[tail.start() : tail.start() + 1] == "_"
        and not _Route(method, path, [], ()).method_path()
    ):
        # `Controller_Get`: a class's name, a verb first or not (Azure's `QueryTexts_Get`,
        # AppCenter's `storeReleases_delete`), and its method's; pasted only where the path is
        # the method's name (`AddActor_Post` on `POST /AddActor`).
        return None
    words = tuple(snake_words(rest))
    path_words = {w for segment in path.split("/") for w in snake_words(segment)}
    if len(words) < 2 or method.lower() in path_words or words in operation_words:
        return None
    route = _Route(method, path, [], ())
    if (
        words[0] not in VERBS
        or (method.lower() != "get" and words[0] in _READING_VERBS)
        or (words[0] in _METHOD_WORDS and words[0] != method.lower())
        or (route.names_thing(words[0]) and not route.method_path())
    ):
        # A name that says no act first is a controller's and its method (Azure's
        # `VirtualMachineScaleSetExtensions_Get`, Magento's `...RepositoryV1DeleteByIdDelete`),
        # read as such; `getWidgetDelete`, `postTokenDelete` delete and Twitter's `listIdGet`
        # reads a list (a thing of its path): the last word is the act, not noise.
        return None
    return rest


def tool_name(operation_id: str | None, method: str, path: str, prefix: list[str]) -> str:
    """A tool name, a verb then the resource, at most 64 chars; the first of `tool_names`."""
    return tool_names(operation_id, method, path, prefix)[0]


def tool_names(
    operation_id: str | None,
    method: str,
    path: str,
    common_prefix: list[str] | None = None,
    summary: str = "",
    selector: tuple[str, ...] = (),
    collections: frozenset[str] = frozenset(),
    format_twin: bool = False,
    aws: bool = False,
    reserved: frozenset[tuple[str, ...]] = frozenset(),
) -> list[str]:
    """Names for one operation, best first: the later ones say more, for when one is taken.

    A readable operationId is kept, snake_cased (`listContacts` -> `list_contacts`); one whose
    verb is not first gets it moved there (Slack's `conversations_list` -> `list_conversations`);
    one that only spells the method and path (`put_files_id`) gives way to the summary when that
    is a short verb phrase ("Update file"), else to a name made of the method's intent and the
    path's resource (`GET /files/{id}/versions` -> `list_file_versions`). Some specs put the
    whole path into every operationId (`get-/crm/v3/objects/contacts_getPage`): the words after
    the path say the verb (`list_contacts`). Versions, numbers and path noise are never kept.
    `selector` holds the words of a path key's query or fragment (`?action=send`), which tell
    apart operations on one path. `collections`: the API's OData entity sets (`words.keyed_sets`),
    collections whatever the number of their names (SAP's `GET /A_BusinessPartner` lists).
    `format_twin`: the API has the same path without this one's format suffix (worldtimeapi's
    `/ip` beside `/ip.txt`): the format tells them apart (`get_ip_as_text`), not a number.
    `aws`: an AWS API, whose operationIds are its actions' names, a verb first by AWS's rule
    (`TagResource`, `PurchaseOffering`, `AdminConfirmSignUp`): they name the tools as boto3
    names its methods (`tag_resource`), whatever the method and path say.
    `reserved`: the words of the API's operationIds; a name tidied into another's (anchore's
    `delete_image_by_image_id` into `delete_image`, which another operation is called) is not.
    """
    written = tuple(snake_words(operation_id or ""))
    if aws and operation_id and _AWS_ACTION.fullmatch(operation_id):
        # The action names it; what else would be said of it names it next.
        named = tool_names(
            operation_id, method, path, common_prefix, summary, selector, collections, format_twin
        )
        return list(dict.fromkeys([_finish(snake_words(operation_id)), *named]))
    path = plain_path(path)  # OData's `/A_Things('{key}')` is one of `/Things`
    route = _Route(method, path, common_prefix or [], selector, collections)
    if operation_id and _MADE_UP_ID.fullmatch(operation_id):
        operation_id = None
    hashed = _GENERATED_HASH.search(operation_id or "")
    if operation_id and hashed and ("." in operation_id or not hashed[1].isalpha()):
        operation_id = operation_id[: hashed.start()]
    if operation_id and SPRINGFOX.search(operation_id) and SPRINGFOX.sub("", operation_id):
        operation_id = SPRINGFOX.sub("", operation_id)
    related: list[str] = []  # a JSON:API relation's other name, when the first is taken
    if operation_id:
        operation_id, related = _json_api_operation(_platform_operation(operation_id, route), route)
    service = _SERVICE_METHOD.match(operation_id or "")
    if service and service[3].lower() == method.lower():
        # `<Service>_<Method>`, the service a class's name (so a controller, whatever its first
        # word), its module said once (`customerCustomer`, `requisitionListRequisitionList`)
        words = snake_words(_SERVICE_KIND.sub("", service[1]) or service[1])
        half = next((k for k in range(len(words) // 2, 0, -1) if words[:k] == words[k : 2 * k]), 0)
        operation_id = "".join(w.capitalize() for w in words[half:]) + f"_{service[2]}"
    fastapi = _NON_WORD_CHAR.sub("_", path) + "_" + method.lower()
    if operation_id and operation_id.endswith(fastapi) and len(operation_id) > len(fastapi):
        # FastAPI writes every operationId as the function's name, the path and the method
        # (`search_horses_v1_horses_search_get`): the function's name says it.
        operation_id = operation_id[: -len(fastapi)]
    if operation_id:
        operation_id = _CREATE_UPDATE.sub(r"\1Or\2", operation_id)
        operation_id = _without_viewset_action(operation_id, method, path)
    by_parameter = False
    if operation_id and (unglued := _unglued(operation_id, path)) != operation_id:
        # A generator pasted the parameter's name in raw (`GetByaccountCd`): its "by <name>"
        # is boilerplate of every such operation, and the name says what without it.
        operation_id = _without_by_parameter(unglued, path)
        by_parameter = operation_id != unglued
    if operation_id:
        operation_id = _spelled_apart(operation_id, summary, path)
    variant = _METHOD_VARIANT.match(operation_id or "")
    action = _clean(snake_words(operation_id[variant.end() :])) if variant else []
    if variant is not None and action and route.selector and not variant[1]:
        # `GET_AddTagsToResource` and `POST_AddTagsToResource` on `/#Action=AddTagsToResource`
        # (AWS query APIs): one action callable by two methods; the action names it, the method
        # tells the second apart.
        return list(dict.fromkeys([_finish(action), _finish([*action, variant[2].lower()])]))
    candidates = _operation_id_names(operation_id, route) if operation_id else []
    if variant is not None and action and not route.echoed_by([variant[2].lower(), *action]):
        candidates = _method_prefixed_names(action, _clean(snake_words(variant[1] or "")), route)
    lone = candidates[0][0] if candidates and len(candidates[0]) == 1 else None
    if lone in VERBS and lone not in _OBJECTLESS_VERBS:
        # An operationId that is a lone verb (Jira's `notify`, `assign`; Jellyfin's `Get`) says
        # what, not to what: the path adds it (`notify_issue`), when it names more than the act.
        named = route.name(lone)
        if any(singular(w) != singular(lone) for w in named[1:]):
            candidates[0] = named
    if not candidates and summary and (words := _summary_words(summary)):
        candidates.append(words)
    if candidates and _method_as_verb(candidates[0], operation_id, route):
        # ASP.NET's `Groups_PutGroupUsers`, Akeneo's `patch_assets`: the generator wrote the
        # HTTP method where the verb goes. What the summary says it does names it ("Adds
        # users to a group": `add_group_users`), else what the method does to the path.
        verb = summary_verb(summary) or route.verb()
        candidates[0] = [verb, *(w for w in candidates[0][1:] if w != verb)]
    if not candidates:
        candidates.append(route.dotted_method() or route.name())
    context = _with_context(candidates[0], route)
    by: list[str] = []
    bare = _TWIN_FORMAT.sub("", path.rstrip("/")) if format_twin else path
    if trailing := _TRAILING_PARAMETER.search(bare):
        # Told apart by what the path ends with: `/aliases/{trackingId}/{type}` beside
        # `/aliases/{trackingId}` is `delete_alias_by_type` (not `delete_alias_2`); first
        # when the operationId said it (`Customer_GetBycustomerCd` beside `GetByinternalID`).
        by = [w for w in _clean(snake_words(trailing[1])) if w not in candidates[0]]
        if by:
            candidates.append([*candidates[0], "by", *by])
    at = len(candidates) if by_parameter else 1
    candidates.insert(at, context)
    embedded = path.strip("/") and path.lower() in (operation_id or "").lower()
    glued = None if embedded or not operation_id else _glue_versions(snake_words(operation_id))
    routed = route.name(candidates[0][0])
    if any(w != singular(w) == singular(routed[-1]) for w in candidates[0]):
        routed[-1] = plural_of(routed[-1])  # a PUT of `/customFields` said so: `update_..._fields`
    said = [singular(w) for w in routed]
    if (
        not route.selector
        and not by  # a `by` name is next: what the path ends with tells it apart
        and not glued  # or a version (`get_metric_data2`)
        and set(map(singular, candidates[0])) <= set(said)
        and said[0] not in said[1:]
        and len(set(zip(said, said[1:], strict=False))) == len(said) - 1
    ):
        # Taken: the path's own name says all the operationId's did, in the path's order
        # (`get_group_calendar_events_count`, `get_merchant_api_credential`, not
        # `get_count_events_groups_calendar`, `get_api_credential_merchants`), unless it says
        # its verb or two words again (`/ContentDirectory/ContentDirectory`); the
        # operationId's words with the path's after them are next.
        candidates.insert(at, routed)
    if glued:
        # Two operations told apart only by a version (Slack's `oauth.access`, `oauth.v2.access`)
        candidates.append(_verb_first(_clean(glued), route))
    parents = route.parents()
    acted = route.ends_in_act()
    if parents and (one := _one_parent(candidates[0], parents, acted)) != candidates[0]:
        candidates.insert(0, one)  # the plural stays next: a name already taken is not numbered
    if (item := route.item_of()) and candidates[0][-1] == item and _reads_one(candidates[0][0]):
        # Graph's `users.planner.DeleteTasks` on `.../tasks/{plannerTask-id}`: one task
        candidates.insert(0, [*candidates[0][:-1], _one(item)])
    if format_twin and (fmt := _TWIN_FORMAT.search(path.rstrip("/"))):
        # The same read in another format beside it (worldtimeapi's `/ip` and `/ip.txt`):
        # `get_ip_as_text` when `get_ip` is taken, not `get_ip_2`.
        said = _FORMAT_WORDS.get(fmt[1].lower(), fmt[1].lower())
        variants = [[*words, "as", said] for words in candidates if said not in words]
        candidates = [*candidates[:1], *variants[:1], *candidates[1:], *variants[1:]]
    if related:
        candidates.insert(1, related)  # `get_pre_order_of_app` beside `get_app_pre_order`
    tidied = [
        tidy if tidy == words or tuple(tidy) not in reserved or tuple(tidy) == written else words
        for words in candidates
        for tidy in [_tidy(words, route)]
    ]
    if tidied[0] != candidates[0]:
        # The name as written is the last resort, before a number: a tidied name may be
        # another operation's (`get_fiscal_company_car` beside `..._by_fiscal_company_car_id`).
        tidied.append(candidates[0])
    return list(dict.fromkeys(_finish(_listed(words, route)) for words in tidied))


def _tidy(words: list[str], route: _Route) -> list[str]:
    """A name without what it says twice: a run of two or three words said again right after
    itself (aviationdata's `search_auto_complete_airport_name_airport_name`), a last "by" and
    the thing's own id after the thing (loket's `get_fiscal_company_car_by_fiscal_company_car_id`:
    `get_fiscal_company_car`), and a chain of "by <path parameter>" (Trello's
    `get_board_card_by_id_board_by_id_card`): the last where the path ends in it, none else.
    One "by" a spec wrote stays (`get_topic_by_external_id`)."""
    words = _merged_runs(words)
    by = [at for at, word in enumerate(words) if word == "by" and 0 < at < len(words) - 1]
    if len(by) >= 2:
        parameters = [_clean(snake_words(p)) for p in _PATH_PARAMETER.findall(route.path)]
        spans = [words[at + 1 : end] for at, end in zip(by, [*by[1:], len(words)], strict=True)]
        if all(span in parameters for span in spans):
            ends_in_one = route.path.rstrip("/").endswith("}") and spans[-1] == parameters[-1]
            return [*words[: by[0]], *(["by", *spans[-1]] if ends_in_one else [])]
    if len(by) == 1:
        at = by[0]
        *thing, last = words[at + 1 :]
        if thing and last in ID_WORDS and _same(words[max(at - len(thing), 1) : at], thing):
            return words[:at]
    return words


def _same(these: list[str], those: list[str]) -> bool:
    """Whether two runs of words say the same: word for word, in either number for a run of
    two or more (one word alone only as written: `list` is no `lists`)."""
    if len(these) != len(those):
        return False
    if len(these) == 1:
        return these == those
    return all(singular(a) == singular(b) for a, b in zip(these, those, strict=True))


def _merged_runs(words: list[str]) -> list[str]:
    """`words` with a run of one to three words said again right after itself said once, in
    the later run's words (the thing's number is the one its place says), but a list's last
    run keeps its plural."""
    kept: list[str] = []
    at = 0
    while at < len(words):
        run = next(
            (
                n
                for n in (3, 2, 1)
                if len(kept) > n and at + n <= len(words) and _same(kept[-n:], words[at : at + n])
            ),
            0,
        )
        if not run:
            kept.append(words[at])
            at += 1
            continue
        later = words[at : at + run]
        if kept[0] == "list" and at + run == len(words) and plural(kept[-1]):
            later = [*later[:-1], kept[-1]]
        kept[-run:] = later
        at += run
    return kept


def _listed(words: list[str], route: _Route) -> list[str]:
    """A list's name with its thing in the plural, as its path says it (Twilio's `ListRole` on
    `/v1/Roles`: `list_roles`; `ListDialingPermissionsCountry` on `.../Countries`)."""
    last = route.parts[-1] if route.parts else None
    if words[:1] != ["list"] or last is None or last[1] or plural(words[-1]):
        return words
    said = last[0]
    if (
        len(words) > 1
        and said[-1] != words[-1]
        and singular(said[-1]) == words[-1]
        and words[-len(said) : -1] == said[:-1]
    ):
        return [*words[:-1], said[-1]]
    return words


def _reads_one(verb: str) -> bool:
    """Whether a name's first word may act on one thing (not `list`, `batch`, `search`)."""
    return verb not in _MANY_VERBS


def _one_parent(words: list[str], parents: set[str], acted: bool = False) -> list[str]:
    """`words` with a parent's plural singular: the path goes into one of them
    (`/v2/domains/{domain}/records`: `create_domain_record`, not `create_domains_record`;
    Graph's `users_user_...` once). The name's last word is what it acts on, and stays,
    unless the path ends in an act done to one of them (`acted`: `/account_roles/{id}/activate`
    is `activate_account_role`)."""
    last = len(words) if acted else len(words) - 1
    return _dedupe_adjacent(
        [_one(w) if w in parents and i < last else w for i, w in enumerate(words)]
    )


def _platform_operation(operation_id: str, route: _Route) -> str:
    """API Platform's operationId as a verb and its thing (`putBookItem` -> `updateBook`,
    `getBookCollection` -> `listBooks`); a 3.x route's name only spells the method and the
    path (`api_books_id_get`), so the path names it with the verb it says (`getBook`). Any
    other operationId as it is."""
    item = bool(route.parts) and route.parts[-1][1]  # the path ends in a parameter
    named = _PLATFORM_CLASS.fullmatch(operation_id)
    if named and named[1] == route.method and (named[3] == "Item") == item:
        verb = _PLATFORM_VERBS.get((named[1], named[3]))
        words = snake_words(named[2])
        statics = route.static_words()
        # the class is the path's thing (`/books`, not Crucible's `/reviewitems/{id}`)
        if verb and words and statics and singular(statics[-1]) == singular(words[-1]):
            last = plural_of(words[-1]) if verb == "list" else singular(words[-1])
            return verb + "".join(w.capitalize() for w in [*words[:-1], last])
    routed = _PLATFORM_ROUTE.fullmatch(operation_id)
    if routed and (routed[2] or routed[3] or route.method) == route.method:
        words = [w for w in routed[1].split("_") if w and w != "id"]
        if words and set(words) <= set(route.all_words) and not (item and route.method == "post"):
            many = route.method == "get" and not item and "_collection" in operation_id
            named = route.name("list" if many else route.verb())
            if many:
                named[-1] = plural_of(named[-1])
            return named[0] + "".join(w.capitalize() for w in named[1:])
    return operation_id


def _json_api_operation(operation_id: str, route: _Route) -> tuple[str, list[str]]:
    """A JSON:API generator's operationId (App Store Connect's) as a verb and its thing: the
    resource, maybe a relationship, and the act in JSON:API's words (`apps-get_collection` ->
    `list_apps`, `builds-get_instance` -> `get_build`, `apps-preOrder-get_to_one_related` ->
    `get_app_pre_order`, `betaGroups-builds-create_to_many_relationship` ->
    `add_beta_group_builds`, the linkage alone `..._ids`); with a related thing's name from
    the other side (`get_pre_order_of_app`), for when the first is the thing's own. Any other
    operationId as it is."""
    found = _JSON_API.fullmatch(operation_id)
    if found is None or found["verb"] not in _JSON_API_METHODS.get(route.method, ()):
        return operation_id, []
    resource, related = snake_words(found["resource"]), snake_words(found["related"] or "")
    verb, kind = found["verb"], found["kind"]
    one = [*resource[:-1], singular(resource[-1])]
    if kind == "collection":
        return "_".join(["list" if verb == "get" else verb, *resource]), []
    if kind == "instance":
        return "_".join([verb, *one]), []
    if not related:
        return operation_id, []
    many = kind.startswith("to_many")
    act = {"get": "list" if many else "get", "create": "add", "delete": "remove"}
    act |= {"update": "set" if not many else "update"}
    words = [act.get(verb, verb), *one, *related]
    if kind.endswith("relationship"):
        if verb == "get":  # the linkage (ids) beside the related things themselves
            words = [*words[:-1], singular(words[-1]), "ids" if many else "id"]
        return "_".join(words), []
    return "_".join(words), [act.get(verb, verb), *related, "of", *one]


def _without_viewset_action(operation_id: str, method: str, path: str) -> str:
    """A Django REST framework action's operationId without the viewset's word for the method
    (drf-spectacular writes the path's words and the method's viewset action: POST
    `/account_roles/{id}/activate/` is `account_roles_activate_create`, GET
    `.../stripe_get_payment_method/` is `..._stripe_get_payment_method_retrieve`): the action
    says its own verb (`activate_account_role`), and the method's word would lead the name
    (`create_account_role_activate`, a "create" that creates nothing). Only where the path's
    last segment is the action (after an id) and has a verb of its own."""
    found = _VIEWSET_ACTION.search(operation_id)
    if found is None or found[1] not in _VIEWSET_ACTIONS.get(method.lower(), ()):
        return operation_id
    segments = [s for s in path.strip("/").split("/") if s]
    rest = operation_id[: found.start()]
    if snake_words(rest) != [
        w for s in segments if not _PATH_PARAMETER.search(s) for w in snake_words(s)
    ]:
        return operation_id  # not the path's words and the viewset's: the operation's own
    if found[1] == "partial_update":
        # The viewset's PATCH is its update, as every API's PATCH is here: its PUT, named
        # alike then, replaces (`update_account_role`, `replace_account_role`).
        return rest + "_update"
    if (
        len(segments) < 2
        or not _PATH_PARAMETER.fullmatch(segments[-2])
        or _PATH_PARAMETER.search(segments[-1])
        or not any(w in VERBS for w in snake_words(segments[-1]))
    ):
        return operation_id
    return rest


_VIEWSET_ACTION = re.compile(r"_(list|create|retrieve|update|partial_update|destroy)$")
_VIEWSET_ACTIONS = {
    "get": ("list", "retrieve"),
    "post": ("create",),
    "put": ("update",),
    "patch": ("partial_update",),
    "delete": ("destroy",),
}


def _unglued(operation_id: str, path: str) -> str:
    """The operationId with the path's parameter names set apart where it glues one to the word
    before it in lower case (Visma's `GetByaccountCd` for `{accountCd}`,
    `GetBykitInventoryIDrevisionID`): camel case cannot see that boundary."""
    names = [n for n in dict.fromkeys(_PATH_PARAMETER.findall(path)) if len(n) >= 4]
    spans = [
        (match.start(), match.end(), name)
        for name in names
        if name[0].isalpha()
        for match in re.finditer(re.escape(name), operation_id, re.IGNORECASE)
    ]
    starts = {start for start, _, _ in spans}
    cuts: set[int] = set()
    for start, end, name in spans:
        glued = start > 0 and operation_id[start - 1].isalpha() and operation_id[start].islower()
        after = operation_id[end : end + 1]
        # Not the start of a longer word: the text goes on in another word or parameter.
        whole = not after.islower() or end in starts or name[-1].isupper()
        if glued and whole:
            cuts.update((start, end))
    for cut in sorted(cuts, reverse=True):
        operation_id = f"{operation_id[:cut]}_{operation_id[cut:]}"
    return operation_id


# Words a generator glues between the operation's own words (`ProductandTradePolicy`,
# `GetProductbyid`, `Productsfromacollection`): the little words of a name.
_GLUE_WORDS = frozenset(
    ("a", "all", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or")
    + ("per", "the", "to", "with")
)


def _spelled_apart(operation_id: str, summary: str, path: str) -> str:
    """The operationId with words glued in lower case set apart where the operation's summary
    and path spell them apart: VTEX's `GetProductbyid` ("Get Product by ID") is
    `GetProductById`, `GetSKUseller` ("Get details of a seller's SKU") `GetSkuSeller`,
    chaingateway's `listaddresses` `listAddresses`. A word is only split, never merged, and only
    into words the summary or the path's static segments say (or the little words between them:
    by, and, to, ...), the summary's first; one they say whole, or that cannot be read so, is
    left as written. Camel case cannot see these boundaries, the operation's own text can."""
    letters = [i for i, c in enumerate(operation_id) if c.isalnum()]
    words = snake_words(operation_id)
    if "".join(words) != "".join(operation_id[i] for i in letters).lower():
        return operation_id  # not a plain identifier: leave it to the rules that read it
    summary_said = {w for w in snake_words(summary) if not w.isdigit()}
    static = [segment for segment in path.split("/") if "{" not in segment]
    said = summary_said | {w for seg in static for w in snake_words(seg) if not w.isdigit()}
    if not said:
        return operation_id

    # The summary's words first: a path glues its own (`/gasprice`, "getGasPrice").
    readings = (summary_said | _GLUE_WORDS, said | _GLUE_WORDS)

    def read(word: str) -> list[str] | None:
        return _read_apart(word, readings[0]) or _read_apart(word, readings[1])

    spans: list[tuple[int, int, list[str]]] = []  # word positions replaced, by these words
    start = 0
    while start < len(words):
        if words[start] in said or words[start].isdigit():
            start += 1
            continue
        end = start
        while end < len(words) and words[end] not in said and not words[end].isdigit():
            end += 1
        for first in range(start, end):  # each word alone, then the run of them together
            if (parts := read(words[first])) is not None:
                spans.append((first, first + 1, parts))
        if not any(start <= a < end for a, _, _ in spans) and end - start > 1:
            run = "".join(words[start:end])
            parts = read(run)
            if parts is not None and len(parts) >= end - start and parts != words[start:end]:
                spans.append((start, end, parts))
        start = end
    if not spans:
        return operation_id
    offsets = [0]
    for word in words:
        offsets.append(offsets[-1] + len(word))
    for first, last, parts in reversed(spans):
        begin, stop = letters[offsets[first]], letters[offsets[last] - 1] + 1
        lead = parts[0] if operation_id[begin].islower() else parts[0].capitalize()
        camel = lead + "".join(part.capitalize() for part in parts[1:])
        operation_id = operation_id[:begin] + camel + operation_id[stop:]
    return operation_id


def _read_apart(word: str, known: frozenset[str] | set[str]) -> list[str] | None:
    """`word` as two or more of the `known` words, the fewest that spell it, or None. Never a
    little word (`into` is no "in to") nor one shorter than four letters; one starting with a
    little word only as three words or more (Google's `instorerefundlineitem`, never `format`,
    `another`, `bypass` as "for mat", "an other", "by pass"); each other word three letters or
    more but "id" ("be at" is no reading of HeartBeat's `beat`), "a" only between two."""
    if len(word) < 4 or word in _GLUE_WORDS:
        return None
    read = _fewest_words(word, known, glue_first=False)
    if read is None and (read := _fewest_words(word, known, glue_first=True)) is not None:
        return read if len(read) >= 3 else None
    return read


def _fewest_words(
    word: str, known: frozenset[str] | set[str], glue_first: bool
) -> list[str] | None:
    """The fewest `known` words that spell `word` (never itself), the first a little word or
    not as `glue_first` says, or None: a shortest path over the word's letters, each step no
    longer than the longest known word (a 200 KB operationId is read in linear time)."""
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    longest = max(map(len, known), default=0)
    for i in range(len(word)):
        if (before := best[i]) is None:
            continue
        for j in range(i + 1, min(i + longest, len(word)) + 1):
            part, then = word[i:j], best[j]
            if part == word or part not in known:
                continue
            if i == 0 and (part in _GLUE_WORDS) != glue_first:
                continue
            if len(part) < 3 and part != "id" and part not in _GLUE_WORDS:
                continue  # "by" and "to" may be read, "be" not
            if part == "a" and not (i > 0 and j < len(word)):
                continue
            if then is None or len(before) + 1 < len(then):
                best[j] = [*before, part]
    return best[len(word)]


def _without_by_parameter(operation_id: str, path: str) -> str:
    """The operationId without a trailing "by <path parameter>": the parameter is a required
    argument already (Visma's `Account_GetByaccountCd` is `get_account`; another operation of
    the same name gets the "by" back from the path). Only where `_unglued` found the generator's
    raw paste: elsewhere the "by" tells apart operations a spec wrote by hand (Discourse's
    `getTopic` and `getTopicByExternalId`)."""
    words = snake_words(operation_id)
    names = [name for name in _PATH_PARAMETER.findall(path) if name]
    for first in range(len(names)):  # the path's last parameters, the most of them first
        tail = ["by", *(w for name in names[first:] for w in snake_words(name))]
        if len(words) > len(tail) + 1 and words[-len(tail) :] == tail:
            return "_".join(words[: -len(tail)])
    return operation_id


def _method_prefixed_names(words: list[str], group: list[str], route: _Route) -> list[list[str]]:
    """Names of an operationId that starts with its HTTP method (Zuora's `GET_ChargeMetrics`,
    `PUT_AccountingCode`, `Object_GETPayment`): `words` follow the method, `group` precedes it.

    The method is the verb unless what follows starts with one it can do (`PUT_CancelCreditMemo`,
    not a GET's `charge` or a DELETE's `refund`).
    """
    allowed = {"get": _READING_VERBS, "delete": _REMOVING_VERBS}.get(route.method, VERBS)
    if words[0] not in allowed:
        words = [route.verb(last=words[-1]), *words]
    if not group:
        return [words]
    if len(words) == 1:  # `Action_POSTdelete`: a lone verb takes its group (and the method's
        # verb when two methods do it: `Object_GETExport`, `Object_POSTExport`)
        return [[*words, *group], [route.verb(last=group[-1]), *words, *group]]
    # The group first: Zuora's `Object_GETPayment` beside its REST `GET_Payment`.
    return [_dedupe_adjacent([words[0], *group, *words[1:]]), words]


def _glue_versions(words: list[str]) -> list[str] | None:
    """`oauth_v2_access` -> `oauth2_access`: a version kept as part of the word it versions."""
    if not any(re.fullmatch(r"v\d+", w) for w in words[1:]):
        return None
    glued: list[str] = []
    for word in words:
        if glued and re.fullmatch(r"v\d+", word):
            glued[-1] += word[1:]
        else:
            glued.append(word)
    return glued


def selector_words(pairs: list[tuple[str, str]], fragment: str) -> tuple[str, ...]:
    """Name words of a path key's query pairs and fragment (`?action=send` -> send).

    The value of a key like `action` is the operation's verb, so it comes first; a flag
    (`?beta=true`) is its key; other pairs are key and value.
    """
    actions: list[str] = []
    words: list[str] = []
    for key, value in pairs:
        if key.lower() in _ACTION_KEYS:
            actions += snake_words(value)
        elif value.lower() in ("", "true", "1", "yes"):
            words += snake_words(key)
        else:
            words += snake_words(key) + snake_words(value)
    if actions:
        actions[0] = f"{_ACTION_MARK}{actions[0]}"
    return tuple(actions + words + snake_words(fragment))


def _finish(words: list[str]) -> str:
    if words[0][0].isdigit():
        words = ["op", *words]
    return shorten(words, MAX_TOOL_NAME)


def _with_context(words: list[str], route: _Route) -> list[str]:
    """`words` plus the path words they lack (told apart from a same-named operation)."""
    have = set(words) | {singular(w) for w in words}
    extra = [w for w in route.static_words() if w not in have and singular(w) not in have]
    return _dedupe_adjacent([*words, *extra])


def _clean(words: list[str]) -> list[str]:
    """Without version and number words, articles, and a word repeated right after itself."""
    kept: list[str] = []
    for index, word in enumerate(words):
        article = word in _ARTICLES and len(words) > 2 and words[index + 1 : index + 2] != ["to"]
        if _VERSION_WORD.fullmatch(word) or article:
            continue  # `getABlockedList`: `get_blocked_list` (but `A_to_Z` keeps its letter)
        # `re-run` -> rerun, `unAssign` -> unassign: one verb
        if kept and (kept[-1] == "re" or (kept[-1] == "un" and word in VERBS)):
            kept[-1] += word
        else:
            kept.append(word)
    return _dedupe_adjacent(kept)


def _said_once(words: list[str]) -> list[str]:
    """`words` without a run of one to three words said again right after itself: OData's
    navigation `/BusinessPartner/{id}/BusinessPartnerAddress` lists the business partner's
    addresses, not its `business_partner_business_partner_addresses`."""
    kept: list[str] = []
    at = 0
    while at < len(words):
        run = next((n for n in (3, 2, 1) if len(kept) >= n and kept[-n:] == words[at : at + n]), 0)
        if run:
            at += run
        else:
            kept.append(words[at])
            at += 1
    return kept


def _dedupe_adjacent(words: list[str]) -> list[str]:
    return [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]


def _operation_id_names(operation_id: str, route: _Route) -> list[list[str]]:
    """Names an operationId gives, verb first, best first; none when it only spells the route."""
    path = route.path
    if path.strip("/") and path.lower() in operation_id.lower():
        start = operation_id.lower().index(path.lower())
        own = snake_words(operation_id[start + len(path) :])
        generic = _generic(own, route)
        verb = generic or (own[0] if own and own[0] in VERBS else None)
        if verb is None:
            return [_verb_first(_clean(own + route.static_words()), route)] if own else []
        rest = [] if generic else own[1:]
        return [_clean(route.name(verb) + [w for w in rest if w not in route.static_words()])]
    words = _clean(snake_words(operation_id))
    if words and words[0] in _VERB_SHORTHANDS:  # PeerTube's `delVideo`: not `delete_del_video`
        words = [_VERB_SHORTHANDS[words[0]], *words[1:]]
    if not words or route.echoed_by(words):
        return []
    if generic := _generic(words, route):  # `getPage`: the verb, and the path's resource
        return [route.name(generic)]
    if words[0] in _LIGHT_VERBS and len(words) > 1:
        return [_light_verb_name(words[1:], route)]
    controller, _, method_name = operation_id.rpartition("_")
    action = snake_words(method_name)
    statics = set(route.static_words())
    group = _clean(snake_words(controller))
    # A controller names a thing: not a function's name (`get_dealers_get`), unless a class's
    # (`QueryPacks_Get`, `OpenIdConnectProvider_Delete`: a verb may start a thing's name) that
    # is not the method a path names (`AddActor_Post` on `POST /AddActor`).
    controls = bool(group) and (
        group[0] not in VERBS
        or (
            controller[:1].isupper()
            and len(group) > 1
            and "_" not in controller
            and not route.method_path()
        )
    )
    listed = route.method == "get" and action == ["list"]  # Azure's `QueryPacks_List`
    if (
        controls
        and (_generic(action, route) or action in ([route.method], ["save"]) or listed)
        and not statics & set(action)  # not Slack's `reactions_get` on `/reactions.get`
    ):
        # ASP.NET's `Customers_Put`, `Customers_GetAll`, Django REST's `dcim_racks_delete`: the
        # controller, then its method's name, which only repeats the HTTP method (or says
        # "save", Magento's for create and update alike, or "list"): what the method does, to
        # the controller's thing (`update_customer`, `list_customers`), whose first word may
        # be a verb too (`list_query_packs`, not `query_packs_list`).
        if listed:  # in the plural where its path says it (`_listed`)
            return [["list", *group]]
        last = group[-1]
        verb = _generic(action, route) or route.verb(last=last)
        if verb == "list":
            return [[verb, *group[:-1], plural_of(last)]]
        one = verb == "create" or (bool(route.parts) and route.parts[-1][1])  # `/{id}` last
        return [[verb, *group[:-1], singular(last) if one else last]]
    if (
        controls
        and len(action) == 1
        and action[0] in _ONE_THING_VERBS.get(route.method, ())
        and not statics & set(action)
        and (route.method == "post" or (bool(route.parts) and route.parts[-1][1]))
    ):
        # `Controller_Verb` where the verb is one the method does to one thing: Django REST's
        # `circuits_circuits_read` and `_update` on `/circuits/{id}/`, DigitalOcean's
        # `droplets_destroy`, `sshKeys_create`, Azure's `Accounts_Update`: it acts on one of
        # the controller's things (`read_circuit`, `create_ssh_key`), the verb as written. A
        # modifier after the thing stays after it (`circuits_circuits_partial_update`:
        # `update_circuit_partial`).
        *thing, last = group
        modifier = [last] if last in _MODIFIERS and thing else []
        if modifier:
            *thing, last = thing
        return [_dedupe_adjacent([*action, *thing, singular(last), *modifier])]
    if (
        controls
        and len(action) > 1
        and action[0] in ({"get": _READING_VERBS}.get(route.method) or VERBS)
        and not method_name.islower()
        and "/" not in operation_id
    ):
        # `Controller_MethodName` (ASP.NET, DocuSign's `BulkSendV2CRUD_GetBulkSendLists`): the
        # method's name says what, and its verb is the first word, not one of the nouns
        # (`send` of "bulk send lists"); the controller's words come after the verb unless
        # the method's name begins the same family again (`BulkSend...`, `Recipients_
        # GetRecipientTabs`). A snake namespace (Slack's `admin_users_setAdmin`) goes only
        # when the name says all of it.
        span = _verb_span(action, 0)
        rest = _clean(action[span:])
        if rest and group[-len(rest) :] == rest:
            rest = []  # `CheckoutPaymentInformation_SavePaymentInformation` saves it once
        if not rest and _acts_on_one(action[:span], route):
            group = [*group[:-1], _one(group[-1])]  # Azure's `Disks_CreateOrUpdate`
        family = "_" not in controller and len(rest) >= len(group)
        if _said_again(group, rest) or (
            family and rest and singular(rest[0]) == singular(group[0])
        ):
            group = []
        return [_dedupe_adjacent([*action[:span], *group, *rest])]
    namespace, _, phrase = operation_id.rpartition("/")
    phrase_words = _clean(snake_words(phrase))
    if namespace and phrase_words and phrase_words[0] in VERBS:
        # `repos/get-release-asset`: the namespace is the resource family, right after the verb
        # (`get_repo_release_asset`); a modifier is singular, a last word or one before a
        # preposition stays as it is (`list_repos_for_org`).
        span = _verb_span(phrase_words, 0)
        group = _clean(snake_words(namespace))
        rest = phrase_words[span:]
        if group and rest and rest[0] not in _PREPOSITIONS:
            group = [*group[:-1], singular(group[-1])]
        if _said_again(group, rest):
            group = []  # `orgs/list-org-members`: the phrase names the family itself
        elif group and not rest and _acts_on_one(phrase_words[:span], route):
            group = [*group[:-1], _one(group[-1])]  # `issues/update` on one: `update_issue`
        return [_dedupe_adjacent([*phrase_words[:span], *group, *rest])]
    family, _, verb = operation_id.rpartition(".")
    method_words = _clean(snake_words(verb))
    api, _, resources = family.partition(".")
    # Google's `run.projects.locations.services.get`, `translate.projects.translateText`: the
    # API's name is a verb, the act is the method's (`get_run_..._service`).
    api_verb = snake_words(api)[:1] == [api.lower()] and api.lower() in VERBS and bool(resources)
    if (
        family
        and verb[:1].islower()
        and verb.isalnum()
        and method_words
        and method_words[0] in VERBS
        and (api_verb or any(word in VERBS for word in method_words[1:]))
        and not VERBS.intersection(snake_words(resources if api_verb else family))
        and not route.selector
    ):
        # A dotted id's last part is a method named verb first (Google's
        # `cloudfunctions.projects.locations.functions.abortFunctionUpgrade` aborts): a noun
        # after the verb that is a verb too (`upgrade`) is not the act. The verb, the family,
        # the method's other words.
        span = _verb_span(method_words, 0)
        named = _dedupe_adjacent(
            [*method_words[:span], *_clean(snake_words(family)), *method_words[span:]]
        )
    else:
        named = _verb_first(words, route)
    thing = _clean(snake_words(family))[-1:]
    if thing and named[-1:] == thing and _acts_on_one(_clean(snake_words(verb)), route):
        # Google's `gmail.users.messages.get` on `.../messages/{id}`: `get_gmail_users_message`
        named = [*named[:-1], _one(named[-1])]
    return [named]


def _one(word: str) -> str:
    """`word` for one thing: singular, but a word glued onto a plural that names one group of
    values stays (`bankdetails`, `shippingsettings`: not `bankdetail`)."""
    if word.endswith(_GROUP_PLURALS) and word not in _GROUP_PLURALS:
        return word
    return singular(word)


def _acts_on_one(verbs: list[str], route: _Route) -> bool:
    """Whether an operationId's verb (`update`, `create or update`) is one its method does to
    one thing: on a path that ends in an item, or a POST's (it creates one)."""
    verbs = [v for v in verbs if v != "or"]
    own = _ONE_THING_VERBS.get(route.method, frozenset())
    if route.method != "post":
        own |= {route.method}  # `licenses/get`, `sql.databases.delete`
    return (
        bool(verbs)
        and all(v in own for v in verbs)
        and (route.method == "post" or (bool(route.parts) and route.parts[-1][1]))
    )


def plural_of(word: str) -> str:
    """`customer` -> customers, `category` -> categories; a plural stays as it is."""
    if plural(word):
        return word
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")


def _light_verb_name(words: list[str], route: _Route) -> list[str]:
    """`doTransition` names the act `transition`; POSTed to `/issue/{id}/transitions`, a
    collection named after the act, it is done to the thing above it: `transition_issue`."""
    statics = [part for part, is_param in route.parts if not is_param]
    if (
        len(words) == 1
        and len(statics) > 1
        and singular(statics[-1][-1]) == singular(words[0])
        and route.parts[-1][0] == statics[-1]
    ):
        return _dedupe_adjacent([*words, *statics[-2][:-1], singular(statics[-2][-1])])
    return words


def _said_again(group: list[str], rest: list[str]) -> bool:
    """Whether every word of a name's group prefix is said again after its verb (Azure's and
    DocuSign's `CloudStorage_GetCloudStorage`, `Outlets_GetAllOutlets`): then it is noise."""
    again = {singular(w) for w in rest}
    return bool(group) and all(singular(w) in again for w in group)


def _verb_span(words: list[str], index: int) -> int:
    """How many words the verb at `index` takes: 3 for `create_or_update`, else 1."""
    joined = words[index + 1 : index + 2] in (["or"], ["and"])
    return 3 if joined and words[index + 2 : index + 3] and words[index + 2] in VERBS else 1


def _act_first(words: list[str], route: _Route) -> list[str] | None:
    """A POST's name when its path ends in the act and its operationId with it after nouns
    (Plaid's `transferCreate` on `POST /transfer/create`, `sandboxItemResetLogin` on
    `.../item/reset_login`): the act leads, though `transfer` or `link` may be a verb too; a
    list lists many. None for any other name."""
    acted = route.act()
    if not acted:
        return None
    # Linode's `postDatabases...CredentialsReset`: the method pasted in first
    named = words[1:] if words[0] == route.method else words
    if len(named) <= len(acted) or named[-len(acted) :] != acted:
        return None
    before = named[: -len(acted)]
    # What comes before the act names a thing: no verb (a path's `openShiftChangeRequests`
    # after Graph's `CreateOpenShiftChangeRequests` is a thing), but a noun too (`bank
    # transfer`). First, such a word must be the path's thing: its first segment (Plaid's
    # `/transfer/...`) or one it begins (`/testJob/suspend`); Einstein's `uploadDatasetSync`
    # on `.../datasets/upload/sync` uploads, Wowza's `requestPlayerRebuild` requests.
    statics = [segment for segment, is_param in route.parts if not is_param]
    starts = statics[:1] == [before[:1]] or any(
        len(segment) > 1 and segment[0] == before[0] for segment in statics
    )
    for at, word in enumerate(before):
        if word in VERBS and (word not in _NOUNS_TOO or (at == 0 and not starts)):
            return None
    rest = [*([] if _said_again(before, acted[1:]) else before), *acted[1:]]
    if acted[0] == "list" and not acted[1:]:
        rest[-1] = plural_of(rest[-1])
    return _dedupe_adjacent([acted[0], *rest])


def _verb_first(words: list[str], route: _Route) -> list[str]:
    if (first := _act_first(words, route)) is not None:
        return first
    said = _METHOD_VERBS.get(route.method, frozenset())
    if words[0] in VERBS and not (
        # A first word the path names as a thing, before a verb the method says, is a noun:
        # Twitter's `listIdDelete` on `DELETE /2/lists/{id}` deletes a list.
        words[0] not in said
        and route.names_thing(words[0])
        and any(word in said for word in words[1:])
    ):
        return words
    # The last verb: nouns come first in such names, and some are verbs too (Slack's
    # `admin.inviteRequests.approve` approves invite requests). A verb the method says wins
    # over a noun that is also a verb: Graph's `teams.schedule.DeleteOpenShifts` deletes.
    # A read's last word may be its action (`:wait`, `$translate`): it keeps it, unless the
    # path ends in that word as a thing (Graph's `GetSchedule` on `.../schedule` gets it).
    found = [i for i, word in enumerate(words) if word in VERBS]
    if (
        found
        and route.method == "get"
        and found[-1] == len(words) - 1
        and not route.names_thing(words[-1], last=True)
    ):
        said = frozenset()
    agreeing = [i for i in found if words[i] in said]
    if found:
        index = (agreeing or found)[-1]
        start = index - 2 if index >= 2 and _verb_span(words, index - 2) == 3 else index
        end = start + _verb_span(words, start)
        before = [] if _said_again(words[:start], words[end:]) else words[:start]
        return _dedupe_adjacent([*words[start:end], *before, *words[end:]])
    if acts_by_path(route.method, route.path, words):
        return words  # `rebootNetworkDevice` on `POST .../reboot`: the path says it is a verb
    acted = route.parts[-1][0] if route.parts and not route.parts[-1][1] else []
    if route.method == "post" and len(acted) == 1 and acted[0] in VERBS and not plural(acted[0]):
        # No verb in the name, and the POST's path ends in one: AppCenter's `orgInvitations_`
        # on `.../invitations/{email}/revoke` revokes (not `create_org_invitations`).
        return [acted[0], *words]
    return [route.verb(last=words[-1]), *words]


def _method_as_verb(words: list[str], operation_id: str | None, route: _Route) -> bool:
    """Whether a name's verb is the HTTP method pasted in by a generator: `put`, `post` or
    `patch`, the operation's own method, from an operationId a generator wrote (a controller's
    `Groups_PutGroupUsers`, a snake `patch_assets`, a lone `Post`, ASP.NET's PascalCase action
    `PostPayCode`), and no word of the path (Slack's `chat.postMessage` posts: there `post` is
    the API's word). A person's camelCase `patchContact` beside `updateContact` keeps its verb:
    it tells the two apart."""
    verb = words[0] if words else ""
    written = operation_id or ""
    said = snake_words(written)
    return (
        verb == route.method
        and verb in _PASTED_METHODS
        and verb in said
        and ("_" in written or said == [verb] or written[:1].isupper())
        and verb not in route.all_words
    )


def summary_verb(summary: str) -> str | None:
    """The verb a summary starts with, in its plain form ("Adds users to a group" -> add),
    when it says one act (not "Send, void, or modify a draft envelope")."""
    said = summary.strip().split("\n")[0].split()
    if not said or not said[0].isalpha():
        return None
    word = said[0].lower()
    following = said[1].lower() if len(said) > 1 else ""
    if following in ("or", "and", "and/or"):
        return None
    for plain in (word, word[:-3] + "y" if word.endswith("ies") else "", word[:-2], word[:-1]):
        if plain in VERBS and plain not in _PASTED_METHODS and (plain == word or word[-1] == "s"):
            return plain
    return None


def _summary_words(summary: str) -> list[str] | None:
    """A short verb phrase of a summary as name words ("Get a file" -> get, file), else None."""
    first = summary.strip().split("\n")[0].rstrip(". ")
    if not re.fullmatch(r"[A-Za-z][A-Za-z ,'-]*", first):
        return None
    words = [w for w in snake_words(first.replace("'", "")) if w not in _ARTICLES]
    if not words or len(words) > MAX_SUMMARY_WORDS or words[0] not in VERBS:
        return None
    return words


class _Route:
    """An operation's method and path, read for the words a name is made of."""

    def __init__(
        self,
        method: str,
        path: str,
        common_prefix: list[str],
        selector: tuple[str, ...],
        collections: frozenset[str] = frozenset(),
    ) -> None:
        self.method = method.lower()
        self.path = path
        self.selector = [w for w in selector if not _VERSION_WORD.fullmatch(w)]
        self.action = bool(self.selector) and self.selector[0].startswith(_ACTION_MARK)
        if self.action:
            self.selector[0] = self.selector[0][len(_ACTION_MARK) :]
        segments = [s for s in path.strip("/").split("/") if s]
        all_words: set[str] = set()
        # (words, is a parameter) per segment, from the last shared one on.
        self.parts: list[tuple[list[str], bool]] = []
        for index, segment in enumerate(segments):
            is_param = segment.startswith("{") and segment.endswith("}")
            words = snake_words(_FORMAT_SUFFIX.sub("", _PATH_PARAMETER.sub("", segment)))
            if segment in collections and words:
                words[-1] = plural_of(words[-1])  # an entity set named in the singular
            all_words.update(snake_words(segment))
            if index < max(len(common_prefix) - 1, 0):
                continue
            if is_param:
                self.parts.append(([], True))
            elif not _VERSION_SEGMENT.match(segment) and _clean(words):
                self.parts.append((_clean(words), False))
        self.all_words = all_words | set(self.selector) | {"id", "ids"}

    def names_thing(self, word: str, last: bool = False) -> bool:
        """Whether the path names `word` (in either number) as a thing, in a segment that is
        not a parameter nor an action marked in the path (`:wait`, `$translate`).
        `last`: as the head noun of its last such segment (Graph's `.../schedule`). Else as a
        thing the path goes on from, or a word before its segment's head noun
        (`/lists/{id}`, `/push_notifications`): a path's final word may be its action
        (`GET /api/user/login`, `/lists/{id}/export`)."""
        segments = self.path.strip("/").split("/")
        for index in range(len(segments) - 1, -1, -1):
            bare = _FORMAT_SUFFIX.sub("", _PATH_PARAMETER.sub("", segments[index]))
            if not bare:
                continue  # a parameter: the segment before it is the thing's
            words = [singular(w) for w in snake_words(bare)]
            plain = ":" not in bare and "$" not in bare
            if last:
                return plain and words[-1:] == [singular(word)]
            final = index == len(segments) - 1
            if plain and singular(word) in (words[:-1] if final else words):
                return True
        return False

    def static_words(self) -> list[str]:
        return [w for words, is_param in self.parts for w in words]

    def item_of(self) -> str | None:
        """The plural the path's last segment is one of, by its id, for GET, PUT, PATCH and
        DELETE (`words.item_collection`; a noun the same in both numbers is none)."""
        held = None if self.method not in _ONE_THING_METHODS else item_collection(self.path)
        return held if held is not None and singular(held) != held else None

    def ends_in_act(self) -> bool:
        """Whether the path ends in an act done to one thing: a last segment after an id that
        is one verb (`/account_roles/{id}/activate`, `/charges/{id}/capture`;
        not `/users/{id}/followers`, nor `.../change_owner`)."""
        if len(self.parts) < 2 or self.parts[-1][1] or not self.parts[-2][1]:
            return False
        words = self.parts[-1][0]
        return len(words) == 1 and words[0] in VERBS

    def parents(self) -> set[str]:
        """The plural head nouns of the segments the path goes into one of, on to another
        segment (`domains` of `/domains/{domain}/records`; not `records`)."""
        found = set()
        for at in range(len(self.parts) - 2):
            (words, is_param), (_, next_param) = self.parts[at], self.parts[at + 1]
            rest = self.parts[at + 2 :]
            into = not is_param and next_param and any(not p for _, p in rest)
            if into and plural(words[-1]) and singular(words[-1]) != words[-1]:
                found.add(words[-1])
        last = next((words for words, is_param in reversed(self.parts) if not is_param), [])
        return found - set(last)  # Asana's `/goals/{goal_gid}/parentGoals`: goals it lists

    def echoed_by(self, words: list[str]) -> bool:
        """True when operationId words only spell the method and path (`get_files_id`)."""
        spelled = set(words[1:])
        if len(words) > 1 and self.selector[-len(words) :] == words:
            # The path key's fragment ends with the whole operationId: that is the API's own
            # name for the operation (AWS's `/#X-Amz-Target=CodeCommit_20150413.PutFile`, where
            # `PutFile` is `put_file`), not a name spelled out of the route.
            return False
        if words[0] not in _METHOD_WORDS or not spelled <= self.all_words:
            return False
        if not set(self.static_words()) <= spelled:
            return False  # `DeleteOutgoingCallerId` on `/Accounts/{}/OutgoingCallerIds/{}`
        return "id" in words or "ids" in words or words[0] not in ("get", "delete", "patch")

    def verb(self, last: str | None = None) -> str:
        """What the method does to this path (`GET /things` -> list, `GET /things/{id}` -> get)."""
        item = bool(self.parts) and self.parts[-1][1]
        if self.method == "get":
            resource = last if last is not None else self._last_static()
            return "get" if item or not resource or not plural(resource) else "list"
        return {
            "post": "post" if item else "create",  # a POST to one thing: no safe guess
            "put": "update",
            "patch": "update",
            "delete": "delete",
            "head": "check",
            "options": "describe",
        }.get(self.method, self.method)

    def dotted_method(self) -> list[str]:
        """The method a last segment names after its service, when that says an act and what
        it acts on (EPA's `/echo_rest_services.get_facilities`: get, facilities), else none."""
        last = self.path.rstrip("/").rsplit("/", 1)[-1]
        service, dot, method = _FORMAT_SUFFIX.sub("", last).rpartition(".")
        words = _clean(snake_words(method)) if dot and service and "{" not in last else []
        return words if len(words) > 1 and words[0] in VERBS else []

    def act(self) -> list[str]:
        """The words of a POST's last path segment when it names an act done to what the path
        before it names (`/transfer/create`, `/item/reset_login`), else none. Another method
        says its own act: a DELETE of `.../installSummary` deletes a summary."""
        last = self.path.rstrip("/").rsplit("/", 1)[-1]
        if self.method != "post" or len(self.parts) < 2 or self.parts[-1][1] or ":" in last:
            return []  # Google's `patchJobs:execute` executes: the colon says its act
        words = self.parts[-1][0]
        return words if words[0] in VERBS else []

    def method_path(self) -> bool:
        """Whether the path is one segment naming a method, a verb and what it acts on, as RPC
        APIs write them (Telegram's `POST /sendMessage`, `/getChatAdministrators`; a GET's
        verb a reading one: `/validateEmail`, not `GET /change-log`). One word alone
        (`/transfer`, `/request`) may as well be a thing."""
        if len(self.parts) != 1:
            return False
        ((words, is_param),) = self.parts
        return (
            not is_param
            and len(words) > 1
            and words[0] in _METHOD_PATH_STARTS
            and (self.method == "post" or (self.method == "get" and words[0] in _READING_VERBS))
            and (words[0] not in _NOUNS_TOO or not plural(words[-1]))
        )

    def _last_static(self) -> str | None:
        statics = [words for words, is_param in self.parts if not is_param]
        return statics[-1][-1] if statics else None

    def name(self, verb: str | None = None) -> list[str]:
        """A name made of the method's intent and the path's resources (and the selector)."""
        parts = list(self.parts)
        selector = list(self.selector)
        rest: list[str] = []
        one_thing = verb in ("create", "update", "delete")
        if verb is None and selector and (self.action or selector[0] in VERBS):
            verb, selector = selector[0], selector[1:]
            one_thing = True  # `POST /messages?action=send` sends a message
        if (
            parts
            and not parts[-1][1]
            and (
                (parts[-1][0][0] in VERBS and len(parts) > 1)
                or (verb is None and self.method_path())
            )
        ):
            # An action segment (`/files/{id}/copy`), or a path that is a method's name
            # (`/sendMessage`): its verb names the operation, said once (the second `set` of
            # `/setChatStickerSet` is the sticker set's).
            words = parts.pop()[0]
            verb = verb or words[0]
            rest = list(words)
            if verb in rest:
                rest.remove(verb)
        if verb is None:
            verb = self.verb()
            one_thing = verb in ("create", "update", "delete")
        resource: list[str] = []
        for index, (words, is_param) in enumerate(parts):
            if is_param:
                continue
            # `/users/{id}/...` names one user; so does the object of a create, update, delete.
            last = index == len(parts) - 1 or (index == len(parts) - 2 and parts[-1][1])
            one = not last and parts[index + 1][1]
            if verb == "list" and last:
                one = False  # `list_object_associations`, even on `.../associations/{type}`
            elif last and self.method == "delete" and not parts[-1][1]:
                one = False  # `DELETE /rules` deletes the rules: `delete_rules`, not `delete_rule`
            elif last and self.method != "get" and one_thing:
                one = True  # `create_folder`, `send_message`: one thing is acted on
            elif last and parts[-1][1]:
                one = True  # `get_contact` on `/contacts/{id}`
            if one:
                words = [*words[:-1], singular(words[-1])]
            resource += words
        return _said_once([verb, *resource, *rest, *selector])


def shorten(words: list[str], limit: int, keep: frozenset[str] = frozenset()) -> str:
    """Join words with `_`, shortening readably (never cutting mid-word) to fit `limit`.

    First well-known abbreviations, then repeated words dropped (never the last: the object,
    `create_..._annotation_stores_annotation`), then words dropped from the middle: the verb at
    the start and the object at the end say the most. Words in `keep` (what tells the name
    from another's) are dropped last.
    """
    name = "_".join(words)
    if len(name) <= limit:
        return name
    words = [_ABBREVIATIONS.get(w, w) for w in words]
    name = "_".join(words)
    if len(name) <= limit:
        return name
    words = [*dict.fromkeys(words[:-1]), words[-1]]
    if keep:
        words = _drop_all_but(words, limit, {_ABBREVIATIONS.get(w, w) for w in keep})
    name = "_".join(_drop_middle(words, limit))
    if len(name) > limit:  # two giant words: cut at the limit as a last resort
        name = name[:limit].rstrip("_")
    return name


def _drop_middle(words: list[str], limit: int) -> list[str]:
    """Delete `words[len(words) // 2]` until the joined name fits `limit` or two words are left.

    What is left is always a head and a tail of `words`, and the deleted word is the head's
    last or the tail's first, so only their sizes are tracked: linear, where deleting from the
    list and joining it again each time was quadratic in the number of words.
    """
    head, tail = len(words) // 2, len(words) - len(words) // 2
    length = len("_".join(words))
    while length > limit and head + tail > 2:
        if (head + tail) // 2 < head:
            head -= 1
            length -= len(words[head]) + 1
        else:
            length -= len(words[len(words) - tail]) + 1
            tail -= 1
    return words[:head] + words[len(words) - tail :]


def _drop_all_but(words: list[str], limit: int, keep: set[str]) -> list[str]:
    """`words` less those nearest the middle that are not in `keep`, the first and last never,
    until the joined name fits `limit` or only kept ones are left to drop."""
    words = list(words)
    while len("_".join(words)) > limit:
        middle = (len(words) - 1) / 2
        droppable = [i for i in range(1, len(words) - 1) if words[i] not in keep]
        if not droppable:
            break
        del words[min(droppable, key=lambda i: (abs(i - middle), i))]
    return words


def literal_name(
    verb: str, path: str, common_prefix: list[str], spaces: frozenset[str]
) -> list[str]:
    """`verb` and every word of the path's segments in order, nothing merged or said once
    (one of a collection a parameter follows in the singular; a qualified name in one of
    the API's `spaces` by its own name): the name of last resort before a number, for an
    operation whose other names another took (Keycloak's `/{realm}/clients/{id}/roles` beside
    `/{realm}/roles`, both "Get all roles for the realm or client": `get_client_roles`)."""
    segments = [s for s in plain_path(path).strip("/").split("/") if s]
    words: list[str] = []
    for index, segment in enumerate(segments):
        if index < max(len(common_prefix) - 1, 0) or _PATH_PARAMETER.fullmatch(segment):
            continue
        if (qualified := _QUALIFIED.fullmatch(segment)) and qualified[1] in spaces:
            segment = qualified[2]
        said = _clean(snake_words(_FORMAT_SUFFIX.sub("", _PATH_PARAMETER.sub("", segment))))
        if not said or _VERSION_SEGMENT.match(segment):
            continue
        if index + 1 < len(segments) and _PATH_PARAMETER.fullmatch(segments[index + 1]):
            said[-1] = singular(said[-1])
        words += said
    return [verb, *(w for w in words if w != verb)] if words else []


def path_words(path: str) -> set[str]:
    """The words of a path's segments but its parameters, each in the singular."""
    segments = plain_path(path).strip("/").split("/")
    return {singular(w) for s in segments if "{" not in s for w in snake_words(s)}


# A path segment that is an API version (`v2`, `v1beta3`, `v0.1`): see `told_apart`.
_PATH_VERSION = re.compile(r"v\d+(?:\.\d+)*(?:(?:alpha|beta|preview)\d*)?", re.IGNORECASE)


def told_apart(path: str, other: str) -> list[str]:
    """The words that tell `path` from `other` in a name they would share, when its words
    cannot (empty when none do):

    - the version `path` is at, where `other` is the same path at another version or at none
      (`/v2/latest` beside `/v1/latest`: `v2`; `.../v1beta3/...` beside `.../v1beta2/...`:
      `v1beta3`; `/v3/logs` beside `/logs`: `v3`);
    - the parameter `path` ends with, where `other` is the same path without it (`/nh/fish/{fish}`
      beside `/nh/fish`, both `getNhFish`: `by`, `fish`), even if the name says its words;
    - the one thing `path` goes into, where `other` ends the same without it or in another
      (OData's navigation `/A_Customer('{Customer}')/to_CustomerSalesArea` beside the entity set
      `/A_CustomerSalesArea`, both `list_customer_sales_areas`: `for`, `customer`; Orthanc's
      `/series/{id}/archive` beside `/patients/{id}/archive`: `for`, `series`).

    Parameters compare by place, not by name; OData's paths as `plain_path` reads them."""
    mine = [_PATH_PARAMETER.sub("{}", s) for s in plain_path(path).strip("/").split("/")]
    theirs = [_PATH_PARAMETER.sub("{}", s) for s in plain_path(other).strip("/").split("/")]
    if len(mine) == len(theirs) + 1 and mine[:-1] == theirs and mine[-1] == "{}":
        return ["by", *_clean(snake_words(plain_path(path).strip("/").split("/")[-1][1:-1]))]
    if len(mine) == len(theirs) + 1:  # a version where the other has none
        added = [i for i, s in enumerate(mine) if _PATH_VERSION.fullmatch(s)]
        if len(added) == 1 and mine[: added[0]] + mine[added[0] + 1 :] == theirs:
            return [mine[added[0]].lower().replace(".", "_")]
    if len(mine) == len(theirs):
        differ = [(a, b) for a, b in zip(mine, theirs, strict=True) if a != b]
        if len(differ) == 1 and all(_PATH_VERSION.fullmatch(v) for v in differ[0]):
            return [differ[0][0].lower().replace(".", "_")]
    versions = [[s for s in segments if _PATH_VERSION.fullmatch(s)] for segments in (mine, theirs)]
    if (
        all(len(found) == 1 for found in versions)
        and versions[0] != versions[1]
        and _things(mine) == _things(theirs)
    ):
        # the same things at another version, in another shape (Square's `/v2/payments`
        # beside `/v1/{location_id}/payments`, OpenAQ's `/v2/latest/{id}` beside `/v1/latest`)
        return [versions[0][0].lower().replace(".", "_")]
    if len(mine) == len(theirs):
        differ = [i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b]
        at = differ[0] if len(differ) == 1 else -1
        if 0 <= at < len(mine) - 2 and mine[at + 1] == "{}" and "{}" not in (mine[at], theirs[at]):
            # the same below another owner (Keycloak's `/{realm}/clients/{id}/scope-mappings`
            # beside `/{realm}/client-scopes/{id}/scope-mappings`: `for`, `client`)
            *words, last = snake_words(plain_path(path).strip("/").split("/")[at])
            return ["for", *_clean([*words, singular(last)])]
    owner = mine[-3] if len(mine) >= 3 and mine[-2] == "{}" != mine[-1] else "{}"
    head = mine[:-3]  # what both paths start with, before the one `path` goes into
    apart = theirs[-3:] != mine[-3:]  # the other goes into no such thing
    if owner != "{}" and apart and theirs[-1:] == mine[-1:] and theirs[: len(head)] == head:
        *words, last = snake_words(owner)
        return ["for", *_clean([*words, singular(last)])]
    if _things(mine) == _things(theirs) and len(mine) >= len(theirs):
        # the same things, with parameters the other has not (xkcd's `/{comicId}/info.0.json`
        # beside `/info.0.json`, Superset's `/chart/{pk}/data/` beside `/chart/data/{cache_key}`)
        ours = _PATH_PARAMETER.findall(plain_path(path))
        extra = [p for p in ours if p not in _PATH_PARAMETER.findall(plain_path(other))]
        if extra:
            return ["by", *_clean([w for p in extra for w in snake_words(p)])]
    return []


def _things(segments: list[str]) -> list[str]:
    """A path's segments but its parameters and versions: the things it says."""
    return [s for s in segments if s != "{}" and not _PATH_VERSION.fullmatch(s)]


def unique_name(
    base: str,
    taken: set[str],
    limit: int = MAX_TOOL_NAME,
    free: Callable[[str], bool] | None = None,
) -> str:
    """`base`, or `base_2`, `base_3`... (shortened to fit) when taken (or not `free`: kept for
    another); records the result."""
    name = base
    n = 2
    while name in taken or (free is not None and not free(name)):
        suffix = f"_{n}"
        name = shorten(base.split("_"), limit - len(suffix)) + suffix
        n += 1
    taken.add(name)
    return name


# A comparison a query parameter's name ends in (Twilio's `DateCreated<`, `StartTime>`): what it
# filters by, said in words, for a time and for anything else.
_COMPARISONS = re.compile(r"\s*(<=|>=|!=|<|>|=)\s*$")
_COMPARISON_WORDS = {
    "<": ("before", "below"),
    ">": ("after", "above"),
    "<=": ("on_or_before", "at_most"),
    ">=": ("on_or_after", "at_least"),
    "!=": ("not", "not"),
    "=": ("", ""),
}
_TIME_WORDS = frozenset({"date", "time", "datetime", "timestamp", "day", "since", "until"})


# An argument name's most, with room for the location (`header_`) or number (`_2`) that
# `parameters.assign_names` may add: Anthropic's API refuses a tool whose argument names pass
# 64 characters (`^[a-zA-Z0-9_.-]{1,64}$`), and with it every tool of the server.
MAX_ARGUMENT_NAME = 56
# Letters NFKD does not take apart into an ASCII letter and its marks.
_FOLDED = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe",
                         "Œ": "OE", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th"})  # fmt: skip


def ascii_folded(text: str) -> str:
    """`text` with its accented letters as ASCII ones (`Größe` -> `Groesse` is German's own
    spelling, but `Grosse` is what an agent types; `Résolução` -> `Resolucao`); what has no
    ASCII form (CJK) is dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLDED))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def argument_name(api_name: str) -> str:
    """The agent-facing name of a parameter: snake_case of its ASCII letters, starting with a
    letter, at most `MAX_ARGUMENT_NAME` long; a comparison it ends in said in words
    (`DateCreated<` -> `date_created_before`, not a second `date_created` that only a number
    tells apart)."""
    api_name = ascii_folded(api_name)
    compared = _COMPARISONS.search(api_name)
    if compared and compared.start() > 0:
        words = snake_words(api_name[: compared.start()])
        timed = bool(_TIME_WORDS & set(words)) or words[-1:] in (["at"], ["on"])
        said = _COMPARISON_WORDS[compared[1]][0 if timed else 1]
        api_name = "_".join([*words, said]) if said else api_name[: compared.start()]
    name = shorten(snake_words(api_name), MAX_ARGUMENT_NAME) or "value"
    if name[0].isdigit():
        name = "n_" + name
    return name


# Names the generated function body or module uses: an argument must not shadow them.
_RESERVED = {"api", "mcp"}


def python_name(name: str) -> str:
    """The Python identifier for an agent-facing argument name (keywords get a `_` suffix)."""
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _RESERVED:
        return name + "_"
    return name
