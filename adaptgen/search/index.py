"""The search index, made at build time from the IR and written beside the server.

One entry per tool, in the catalog's order, holding the words each field contributes (not
stems: a reviewer reads `create issue bug`, and the stemmer may improve without a rebuild
changing meaning) and the operation's intent. `search_index.json` is deterministic: the same
spec and hints give the same bytes. The one exception is opt-in sentence-model vectors
(`semantic`): numpy's sums may round differently on another CPU, so `same_index` (what `adaptgen
check` asks) takes two indexes whose vectors differ by at most one quantization step as equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adaptgen.runtime.catalog import MORE_FIELDS, Param, Tool
from adaptgen.runtime.catalog import Catalog as Api
from adaptgen.search.associations import associations
from adaptgen.search.identifiers import FORMAT_SUFFIX, VERSION_SEGMENT, operation_of
from adaptgen.search.intent import (
    ACT_OF_WORD,
    CHANGES,
    GENERIC_VERBS,
    INTENT_WORDS,
    OPERATION_ACTS,
    READS,
    OperationIntent,
)
from adaptgen.search.text import STOP_WORDS, content_words, field_words, stem, words
from adaptgen.words import (
    ACTION_VERBS,
    REST_VERBS,
    VERBS,
    acts_by_path,
    item_collection,
    plain_path,
    plural,
    singular,
    snake_words,
)

INDEX_FORMAT = 1
MIN_GLUED = 3  # the shortest word `_split_glued` reads inside a glued path word
MAX_ENUM = 20  # a longer enum is a list of codes (countries, timezones), not what a tool does
MAX_VALUE_WORDS = 30
# What a create or an update sets (`_body_fields`): its body's field names, two levels inside
# each body argument (a firewall's `spec.sourceRanges`), and their enum values (`privacyStatus:
# private | public | unlisted`), at most MAX_SET_WORDS words.
SET_DEPTH = 2
MAX_SET_WORDS = 80
MAX_SET_FIELDS = 200
MAX_ACTION_DEPTH = 3
_ACTION_SEGMENTS = frozenset(["actions", "action"])  # POST /volumes/{id}/actions {type: attach}
_ACTION_FIELDS = ("type", "action")
# A change of one thing that sets its state (`_state_changes`).
_CHANGE_METHODS = frozenset(["PUT", "PATCH", "POST"])
_STATE_FIELDS = frozenset(["state", "status"])
_NOT_CHANGES = frozenset(["open", "active", "new", "get", "post", "put", "patch", "delete", "head"])
_CHANGE_VERBS = frozenset(stem(verb) for verb in VERBS) - GENERIC_VERBS
_CLOSE = stem("close")
# An argument that holds the thing's fields (Asana's `{data: {archived: true}}`), read as they
# are; another object is a part of the thing (GKE's `networkPolicy: {enabled}`), whose flags
# are the part's.
_ENVELOPES = frozenset(["data"])
MAX_NOTE_WORDS = 60

# Words of operationIds that say nothing of the operation: versions and numbers.
_NOISE = re.compile(r"v\d+|\d+")


@dataclass(frozen=True)
class Operation:
    """What the index reads of one tool, from the IR or from a catalog entry."""

    name: str
    operation_id: str
    method: str
    path: str
    title: str
    description: str
    tags: tuple[str, ...]
    params: tuple[str, ...]  # argument names, paging arguments left out
    values: tuple[str, ...] = ()  # the arguments' enum values (`closed`, `private`)
    sets: tuple[str, ...] = ()  # the body's field names, two levels in, and enum values
    notes: str = ""  # the arguments' descriptions
    actions: tuple[str, ...] = ()  # what a generic action endpoint does (`reboot`, `attach`)
    changes: tuple[str, ...] = ()  # the states a change of one thing sets (`closed`, `archived`)

    @classmethod
    def of_tool(cls, tool: Tool) -> Operation:
        said = [p for p in tool.params if p.location != "paging" and not _more_fields(p)]
        params = tuple(p.name for p in said)
        schemas = [p.schema for p in said]
        body = [(p.name, p.schema) for p in said if p.location == "body"]
        return cls(
            tool.name, tool.operation_id, tool.method, tool.path, tool.title or "",
            tool.description, tool.tags, params, _enum_values(schemas), _body_fields(body),
            _notes(schemas), _action_types(tool.method, tool.path, schemas),
            _state_changes(tool.method, tool.path, params, schemas),
        )  # fmt: skip


def build_index(
    api: Api,
    keywords: Mapping[str, Sequence[str]] | None = None,
    *,
    prose: Mapping[str, str] | None = None,
    answers: Mapping[str, Sequence[str]] | None = None,
    semantic: bool = False,
    meaning: bool = False,
    examples: Mapping[str, Sequence[str]] | None = None,
    definitions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The index of every tool an agent can reach (`keywords`: hint words by operationId;
    `examples`: hinted requests by operationId, encoded with `semantic` only;
    `prose`: the spec's whole text about each tool, by name (`prose.spec_prose`), read for the
    word associations; `answers`: the words of the field names each tool answers, by name
    (`prose.spec_answers`), kept for the reads and matched for requests that read only;
    `definitions`: what the spec says each tool's thing is, by name (`prose.spec_definitions`:
    "Pod is a collection of containers that can run on a host."), words of the tool;
    `semantic`: each tool's sentence-model vector (`search/semantic.py`; needs numpy and the
    model, raises `semantic.Unavailable` without them); `meaning`: each tool's static
    word-meaning vector (`search/meaning.py`, pure Python, the table adaptgen ships; on unless
    the hints say `search: {meaning: false}`; docs/DESIGN.md has the figures))."""
    keywords = keywords or {}
    prose = prose or {}
    answers = answers or {}
    tools = [tool for tool in api.tools if not tool.hidden]
    definitions = definitions or {}
    entries = [
        _tool_entry(
            Operation.of_tool(t),
            keywords.get(t.operation_id, ()),
            answers.get(t.name, ()),
            definitions.get(t.name, ""),
        )
        for t in tools
    ]
    around = [_prose_words(prose.get(tool.name, "")) for tool in tools]
    entries += [_chain_entry(c.name, c.description, c.input_schema) for c in api.chains]
    if semantic or meaning:
        from adaptgen.search.semantic import encode_tools, encoded_tool

        texts = renderings(api, entries)
        if meaning:
            from adaptgen.search import meaning as static

            packed = static.encode_tools(texts)
            entries = [{**entry, "meaning": v} for entry, v in zip(entries, packed, strict=True)]
        if semantic:
            # The encoder reads one text a tool, "<summary>: <act> <resource> of <path>
            # (<tags>). <the description's first sentence>" (`encoded_tool`): it ranked better
            # than any rendering alone or their mean (docs/DESIGN.md, "Search mode").
            packed = encode_tools([(encoded_tool(rendered),) for rendered in texts])
            entries = [{**entry, "semantic": v} for entry, v in zip(entries, packed, strict=True)]
            # Requests users make of a tool, as a request is encoded (`rank.EXAMPLE_FLOOR`).
            asked = [list((examples or {}).get(t.operation_id, ())) for t in tools]
            if any(asked):
                from adaptgen.search.semantic import encode_requests, says_channels

                channels = says_channels(entries)
                for at, said in enumerate(asked):
                    if said:
                        entries[at] = {**entries[at], "examples": encode_requests(said, channels)}
    index: dict[str, Any] = {"format": INDEX_FORMAT}
    if semantic:
        from adaptgen.search.sentence_model import encoder

        # The vectors are that model's: a server whose adaptgen runs another searches by words
        # until it is rebuilt (`semantic.Semantic`), and `adaptgen check` calls the index stale.
        index["encoder"] = encoder().identity
    kinds = id_kinds(tools)
    if kinds:
        index["ids"] = kinds
    return {**index, "tools": entries, "associations": associations(entries, around)}


# A declared pattern that starts with letters of its own (`^CA[0-9a-fA-F]{32}$`, `^snap-[0-9a-f]+$`)
_LITERAL_START = re.compile(
    r"\^(?:(?P<letters>[A-Za-z]{2,8}[_-]?)|\((?:\?:)?(?P<any>[A-Za-z]{2,8}(?:\|[A-Za-z]{2,8})+)\))"
    r"(?=[\[(\\])"
)
_NOT_A_NOUN = frozenset(["sid", "id", "ids", "identifier", "uuid", "guid", "arn", "key"])


def id_kinds(tools: Sequence[Tool]) -> dict[str, str]:
    """The letters a path parameter's declared pattern makes its values start with, each with
    the noun of what such a value identifies: Twilio's `/Calls/{CallSid}` (`^CA[0-9a-fA-F]{32}$`)
    gives `{"CA": "call"}`, so "start taping the live call CA77" gives a call's id. The noun is
    the path's segment before the parameter (`/IncomingPhoneNumbers/{ResourceSid}`: an
    incoming phone number), else the parameter's name without its id word; of letters given
    to more than one noun, the noun most of their parameters give, none on a tie."""
    votes: dict[str, dict[str, int]] = {}
    for tool in tools:
        segments = tool.path.split("/")
        for param in tool.params:
            pattern = param.schema_.get("pattern") if param.location == "path" else None
            start = _LITERAL_START.match(pattern) if isinstance(pattern, str) else None
            if start is None:
                continue
            api_name = param.api_name or param.name
            at = next((i for i, s in enumerate(segments) if s.startswith(f"{{{api_name}}}")), 0)
            before = segments[at - 1] if at > 0 else ""
            named = words(before) if before and "{" not in before else []
            if named and not VERSION_SEGMENT.fullmatch(before):
                named[-1] = singular(named[-1])
            else:
                named = [w for w in words(api_name) if w not in _NOT_A_NOUN]
            if not named:
                continue
            noun = " ".join(named)
            for letters in [start["letters"]] if start["letters"] else start["any"].split("|"):
                said = votes.setdefault(letters, {})
                said[noun] = said.get(noun, 0) + 1
    kinds = {}
    for letters, said in sorted(votes.items()):
        ranked = sorted(said.values(), reverse=True)
        if len(ranked) == 1 or ranked[0] > ranked[1]:
            kinds[letters] = max(said, key=lambda noun: (said[noun], noun))
    return kinds


def renderings(api: Api, entries: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """Each index entry as the sentences a model reads (`semantic.tool_texts`), the tools'
    then the chains', as `build_index` made `entries` from `api`: what a build encodes, and
    what `scripts/tune_encoder.py` trains on."""
    from adaptgen.search.semantic import tool_texts

    tools = [tool for tool in api.tools if not tool.hidden]
    texts = [
        tool_texts(e, t.title or "", t.description) for e, t in zip(entries, tools, strict=False)
    ]
    texts += [
        tool_texts(e, "", c.description)
        for e, c in zip(entries[len(tools) :], api.chains, strict=True)
    ]
    return texts


def index_json(index: dict[str, Any]) -> str:
    """The index as written: one tool per line, so a PR diff shows which tools changed."""
    lines = [json.dumps(entry, ensure_ascii=False, sort_keys=False) for entry in index["tools"]]
    body = ",\n".join(f"  {line}" for line in lines)
    links = json.dumps(index.get("associations", {}), ensure_ascii=False)
    made_by = f', "encoder": {json.dumps(index["encoder"])}' if index.get("encoder") else ""
    kinds = f', "ids": {json.dumps(index["ids"])}' if index.get("ids") else ""
    return (
        f'{{"format": {index["format"]}{made_by}{kinds}, "tools": [\n{body}\n],\n'
        f'"associations": {links}}}\n'
    )


def same_index(committed: str, built: str) -> bool:
    """Whether two `search_index.json` texts are the same index: equal but for sentence-model
    vectors (a tool's `semantic`, its hinted `examples`) that differ by at most one int8 step
    per value (another machine's floating point), never in which tools have one."""
    try:
        old, new = json.loads(committed), json.loads(built)
        old_tools, new_tools = old.pop("tools"), new.pop("tools")
    except (ValueError, AttributeError, KeyError):
        return False
    if old != new or len(old_tools) != len(new_tools):
        return False
    for a, b in zip(old_tools, new_tools, strict=True):
        if not isinstance(a, dict) or not isinstance(b, dict):
            return False
        va, vb = a.pop("semantic", None), b.pop("semantic", None)
        ea, eb = a.pop("examples", []), b.pop("examples", [])  # hinted requests' vectors
        if a != b or not _near_vectors(va, vb) or len(ea) != len(eb):
            return False
        if not all(_near_vectors(x, y) for x, y in zip(ea, eb, strict=True)):
            return False
    return True


def _near_vectors(a: Any, b: Any) -> bool:
    from adaptgen.search.semantic import unpack

    if a == b:
        return True
    try:
        left, right = unpack(a), unpack(b)
        step = max(float(a[0]), float(b[0]))
    except (TypeError, ValueError, IndexError):
        return False
    if left is None or right is None or len(left) != len(right):
        return False
    return all(abs(x - y) <= 1.5 * step for x, y in zip(left, right, strict=True))


def _tool_entry(
    tool: Operation, keywords: Sequence[str], answers: Sequence[str] = (), about: str = ""
) -> dict[str, Any]:
    path = plain_path(tool.path)  # OData's `/A_Things('{key}')` is one of `/Things`
    intent = operation_intent(tool.method, path, tool.name)
    if tool.actions and intent.act == "create":
        intent = OperationIntent("action", intent.verb)  # `POST .../actions {type: reboot}`
    nouns = [n for n in (_resource_words(s) for s in _static_segments(path)) if n]
    known = {
        *words(tool.name),
        *words(tool.operation_id),
        *(w for t in tool.tags for w in words(t)),
    }
    nouns = [[part for w in segment for part in _split_glued(w, known)] for segment in nouns]
    # The last segment with nouns is what the operation acts on (`/invoices/{id}/send`).
    resource = nouns[-1] if nouns else []
    parents = _unique(w for segment in nouns[:-1] for w in segment)
    fields = {
        "name": _unique(
            w for w in [*words(tool.name), *words(tool.operation_id)] if not _NOISE.fullmatch(w)
        ),
        "summary": content_words(tool.title),
        "description": content_words(tool.description),
        "resource": resource,
        "path": parents,
        "tags": _unique(w for tag in tool.tags for w in content_words(tag)),
        "params": _unique(w for p in tool.params for w in _param_words(p)),
        "values": _unique(w for v in tool.values for w in content_words(v))[:MAX_VALUE_WORDS],
        "notes": _unique(content_words(tool.notes))[:MAX_NOTE_WORDS],
        "intent": list(INTENT_WORDS.get(intent.act, ())),
        "keywords": _unique(w for k in keywords for w in content_words(k)),
        # What it does, as words a request's verb names it by: "close issue 45" is the issue's
        # update, whose `state` may be `closed` (not its act: the act says how it is called).
        "actions": _unique(w for a in tool.actions + tool.changes for w in content_words(a)),
        "returns": _unique(answers) if intent.act in READS else [],  # a POSTed search too
        # What a create or an update sets, matched for requests that change (`rank.SET_FIELDS`).
        "sets": field_words(tool.sets)[:MAX_SET_WORDS] if intent.act in CHANGES else [],
        # What the thing it acts on is, as its schema says ("a collection of containers").
        "about": _unique(content_words(about)),
    }
    return {
        "name": tool.name,
        # What a request may name the tool by besides its name (`search/identifiers.py`).
        **({"id": tool.operation_id} if tool.operation_id not in ("", tool.name) else {}),
        **({"operation": operation_of(tool.method, tool.path)} if tool.path else {}),
        "act": intent.act,
        "verb": intent.verb,
        "kind": _kind(path),
        "toolset": _toolset(tool.tags, nouns),
        "fields": {k: " ".join(v) for k, v in fields.items() if v},
        # The hinted keywords whole: a request that says every word of one lifts the tool
        # (`rank.KEYWORD_BONUS`); "direct message" is not said by "message" alone.
        **({"keywords": phrases} if (phrases := keyword_phrases(keywords)) else {}),
    }


def keyword_phrases(keywords: Sequence[str]) -> list[str]:
    """Hinted keywords as the index keeps them whole: each one's content words, distinct."""
    return _unique(" ".join(said) for k in keywords if (said := content_words(k)))


def _prose_words(text: str) -> list[str]:
    """The distinct content words of long prose (`content_words` without its order and
    repeats, which associations do not read: a set is much faster on whole descriptions)."""
    return sorted({w for w in snake_words(text) if w not in STOP_WORDS and not w.isdigit()})


def _chain_entry(name: str, description: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    intent = operation_intent("POST", "", name)
    fields = {
        "name": words(name),
        "description": content_words(description),
        "params": _unique(w for p in schema.get("properties", {}) for w in words(p)),
        "intent": list(INTENT_WORDS.get(intent.act, ())),
    }
    return {
        "name": name,
        "act": intent.act,
        "verb": intent.verb,
        "kind": "action",
        "toolset": "workflows",
        "fields": {k: " ".join(v) for k, v in fields.items() if v},
    }


def operation_intent(method: str, path: str, name: str) -> OperationIntent:
    """From the tool name's leading verb (the planner puts one first), else method and path."""
    said = words(name)
    first = said[:1]
    verb = first[0] if first and first[0] in REST_VERBS | ACTION_VERBS else ""
    if first and not verb and acts_by_path(method, path, said):
        verb = first[0]  # `reboot_network_device` on `POST .../reboot`: the path's own verb
    if "search" in words(path) or verb in ("search", "find", "query"):
        return OperationIntent("list", "search")
    by_method = _method_act(method, path)
    act = _name_act(verb) or by_method
    if verb and _name_act(verb) is None and by_method == "create":
        # POSTed but no create: `archive` is an update, `join` an action of its own.
        act = OPERATION_ACTS.get(verb, "action")
    if act in READS and by_method in READS:
        act = by_method  # `getTasksForProject` on a collection lists
    elif act in READS and method.upper() in ("PUT", "PATCH", "DELETE"):
        act = by_method  # a PATCHed `check_in_rooms` changes the room, it reads nothing
    if (
        act == "get"
        and _names_many(name)
        and (_name_act(verb) == "list" or not _names_one(path, name))
    ):
        # `get_records` on `/{module}`: the parameter names a collection. Not a name that
        # ends in a plural on one thing's id (`get_payment_details` on `/payments/{id}`).
        act = "list"
    return OperationIntent(act, stem(verb) if verb else act)


def _names_one(path: str, name: str) -> bool:
    """The path ends in the id of one of the things the segment before it holds, and the
    name's last word says those things or their details: `retrieve_details_for_upcoming_
    system_maintenances` on `/maintenances/{maintenanceId}`, `get_payment_details` on
    `/payments/{paymentUuid}`, `fetch_policies` on `/Policies/{Sid}`. Not another thing's id
    (`list_users` on `/users-summary/{InstanceId}`), another thing than the path's
    (`get_user_endpoints` on `/users/{user-id}`), nor `/categories/{category}` or
    `/{Bucket}/{Key}`."""
    held = item_collection(path)
    if held is None:
        return False
    thing = singular(held)
    last = words(name)[-1:]
    return bool(last) and (singular(last[0]) == thing or last[0] in _DETAILS)


_DETAILS = frozenset({"details"})  # `get_payment_details`: one payment


def _names_many(name: str) -> bool:
    """The name ends in a plural noun (`get_records`, not `get_record` or `get_users_me`)."""
    last = words(name)[-1:]
    return bool(last) and len(last[0]) > 3 and plural(last[0])


def _name_act(verb: str) -> str | None:
    return ACT_OF_WORD.get(stem(verb)) if verb else None


def _method_act(method: str, path: str) -> str:
    segments = [FORMAT_SUFFIX.sub("", s) for s in path.strip("/").split("/") if s]
    item = bool(segments) and segments[-1].startswith("{")
    method = method.upper()
    if method in ("GET", "HEAD"):
        last = words(segments[-1])[-1:] if segments and not item else []
        return "list" if last and plural(last[0]) else "get"
    if method == "POST":
        return "update" if item else "create"
    if method in ("PUT", "PATCH"):
        return "update"
    if method == "DELETE":
        return "delete"
    return "get"


def _static_segments(path: str) -> list[str]:
    """The path's literal segments, versions and format suffixes left out."""
    out = []
    for segment in path.strip("/").split("/"):
        segment = FORMAT_SUFFIX.sub("", segment)
        if segment and not segment.startswith("{") and not VERSION_SEGMENT.match(segment):
            out.append(segment)
    return out


def _split_glued(word: str, known: set[str]) -> list[str]:
    """A path word that glues words the operation's name or tags say apart, as those words
    (Visma's `/customerinvoice` for `create_customer_invoice`); else the word."""
    if word in known or len(word) < 2 * MIN_GLUED:
        return [word]
    best: dict[int, list[str]] = {0: []}  # the fewest known words spelling word[:i]
    for end in range(MIN_GLUED, len(word) + 1):
        options = [
            best[start] + [word[start:end]]
            for start in range(0, end - MIN_GLUED + 1)
            if start in best and word[start:end] in known
        ]
        if options:
            best[end] = min(options, key=len)
    split = best.get(len(word))
    return split if split is not None and len(split) > 1 else [word]


def _resource_words(segment: str) -> list[str]:
    """The nouns of a path segment (`chat.postMessage` -> chat, message; `merge` -> none)."""
    return [w for w in words(segment) if w not in VERBS and w not in STOP_WORDS]


def _enum_values(schemas: Iterable[Any]) -> tuple[str, ...]:
    """The string enum values of argument schemas (one level: arrays' items too), and an open
    enum's, which the planner gives as `examples` (Azure's `modelAsString`)."""
    found: list[str] = []
    for schema in schemas:
        if isinstance(schema, dict) and isinstance(schema.get("items"), dict):
            schema = schema["items"]
        enum = None
        if isinstance(schema, dict):
            open_enum = schema.get("examples") if schema.get("type") == "string" else None
            enum = schema.get("enum", open_enum)
        if isinstance(enum, list) and len(enum) <= MAX_ENUM:
            found += [v for v in enum if isinstance(v, str)]
    return tuple(dict.fromkeys(found))


def _body_fields(body: Iterable[tuple[str, Any]]) -> tuple[str, ...]:
    """The names of the body's arguments and of the fields inside them, SET_DEPTH levels down
    (an array's items, and allOf/anyOf/oneOf alternatives, read as the object they are), each
    followed by its enum's values: what a change can set ("narrow the source range" is the
    firewall's `sourceRanges`, "make the playlist private" a `privacyStatus` of `private`)."""
    found: list[str] = []

    def visit(name: str, schema: Any, depth: int) -> None:
        if not isinstance(schema, dict) or len(found) >= MAX_SET_FIELDS:
            return
        found.append(name)
        if isinstance(schema.get("items"), dict):
            schema = schema["items"]
        found.extend(_enum_values([schema]))  # what it can be set to: `private`, `Premium`
        if depth >= SET_DEPTH:
            return
        alternatives = [s for k in ("allOf", "anyOf", "oneOf") for s in schema.get(k) or ()]
        for part in [schema, *alternatives]:
            properties = part.get("properties") if isinstance(part, dict) else None
            for key, field in (properties or {}).items():
                if isinstance(key, str):
                    visit(key, field, depth + 1)

    for name, schema in body:
        visit(name, schema, 0)
    return tuple(dict.fromkeys(found))


def _action_types(method: str, path: str, schemas: Iterable[Any]) -> tuple[str, ...]:
    """What a generic action endpoint can do: `POST /droplets/{id}/actions` with a body whose
    `type` (or `action`) says which (`reboot`, `power_cycle`, `snapshot`), also inside
    oneOf/anyOf/allOf alternatives. Only there: elsewhere a `type` is a kind of thing, not a
    thing to do."""
    segments = [s for s in path.lower().split("/") if s and not s.startswith("{")]
    if method.upper() != "POST" or not segments or segments[-1] not in _ACTION_SEGMENTS:
        return ()
    found: list[str] = []

    def visit(schema: Any, depth: int) -> None:
        if not isinstance(schema, dict) or depth > MAX_ACTION_DEPTH:
            return
        for key in ("oneOf", "anyOf", "allOf"):
            for alternative in schema.get(key) or ():
                visit(alternative, depth + 1)
        properties = schema.get("properties")
        if isinstance(properties, dict):
            found.extend(_enum_values(properties.get(name) for name in _ACTION_FIELDS))

    for schema in schemas:
        visit(schema, 0)
    return tuple(dict.fromkeys(found))


def _state_changes(
    method: str, path: str, names: Sequence[str], schemas: Sequence[Any]
) -> tuple[str, ...]:
    """What a change of one thing does by the state it sets, as its arguments say it (and the
    fields of an envelope that holds them: Asana's `data`, or an argument named for the thing,
    an object or a list of them: Rails' `{ticket: {...}}`, Xero's `{Invoices: [{...}]}`):
    - the values of a `state` or `status` argument (`state_event` too) that are a verb (`close`,
      `merge`) or its participle (`closed`, `archived`, `disabled`), and `reopen` where `open`
      stands beside `closed`;
    - a flag named by such a participle (`archived: true`, `is_locked`).
    Not a generic act (`deleted`, `updated`), a state nobody asks for by its verb (`open`,
    `running`) or a method (`POST`). Only a PUT, PATCH or POST on one thing's path: a PUT on a
    collection creates (Xero's `PUT /Accounts`)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if method.upper() not in _CHANGE_METHODS or _kind(path) != "item" or "}:" in last:
        return ()  # a change of one thing (`{Sid}.json` too), not Google's `{id}:setLegacyAbac`
    found: list[str] = []
    fields = list(zip(names, schemas, strict=True))
    held = _held_resource(path)
    for name, schema in list(fields):
        if isinstance(schema, dict) and schema.get("type") == "array":
            schema = schema.get("items")  # Xero's `{Invoices: [{..., Status}]}`
        properties = schema.get("properties") if isinstance(schema, dict) else None
        envelope = name in _ENVELOPES or (held is not None and singular(name) == held)
        if envelope and isinstance(properties, dict):
            fields += [(key, field) for key, field in properties.items() if isinstance(key, str)]
    for name, schema in fields:
        said = [w for w in words(name) if w != "is"]
        if len(said) == 1 and isinstance(schema, dict) and schema.get("type") == "boolean":
            if said[0].endswith("ed") and _says_change(said[0]):
                found.append(said[0])  # Asana's `archived: true`, GitHub's `archived`
            continue
        if not said or said[0] not in _STATE_FIELDS:
            continue
        values = [value.lower() for value in _enum_values([schema])]
        found += [value for value in values if _says_change(value)]
        if "open" in values and any(stem(value) == _CLOSE for value in values):
            found.append("reopen")
    return tuple(dict.fromkeys(found))


def _held_resource(path: str) -> str | None:
    """The thing a one-thing path holds, singular (`invoice` of `/Invoices/{InvoiceID}`,
    `ticket` of `/tickets/{id}.json`): an argument named for it holds its fields (Rails'
    `{ticket: {...}}`, Xero's `{Invoices: [...]}`)."""
    segments = [s for s in path.strip("/").split("/") if s]
    if len(segments) < 2 or segments[-2].startswith("{"):
        return None
    said = words(segments[-2])
    return singular("_".join(said)) if said else None


def _says_change(word: str) -> bool:
    """Whether a state's word says a change that is no generic act (`closed`, `archive`)."""
    return (
        word.isalpha()
        and word not in _NOT_CHANGES
        and not word.endswith("ing")
        and stem(word) in _CHANGE_VERBS
    )


def _notes(schemas: Iterable[Any]) -> str:
    """The arguments' descriptions, as one text."""
    return " ".join(
        s["description"] for s in schemas if isinstance(s, dict) and s.get("description")
    )


def _more_fields(param: Param) -> bool:
    """Whether `param` holds a body's unnamed fields (`catalog.MORE_FIELDS`): no word of the
    tool's."""
    return param.location == "body" and not param.api_name and param.name == MORE_FIELDS


def _param_words(name: str) -> list[str]:
    return [w for w in words(name) if w not in ("id", "ids") and w not in STOP_WORDS]


def _kind(path: str) -> str:
    """`item` (ends in a parameter), `action` (ends in a verb), else `collection`."""
    segments = [s for s in path.strip("/").split("/") if s]
    if not segments:
        return "collection"
    if segments[-1].startswith("{"):
        return "item"
    last = words(FORMAT_SUFFIX.sub("", segments[-1]))
    return "action" if last and last[0] in VERBS else "collection"


def _toolset(tags: Sequence[str], nouns: Sequence[Sequence[str]]) -> str:
    """The first tag, else the first path noun (`/contacts/{id}/notes` -> contacts)."""
    if tags:
        return tags[0]
    return nouns[0][0] if nouns else "other"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
