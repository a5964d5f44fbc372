"""Planning one operation's tool: name, arguments, paging, shaping, annotations.

The parts of an operation that need more than its own object (parameters, body, security)
are planned by their own mixins; this one puts the tool together.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from adaptgen.errors import InputError
from adaptgen.hints import ToolHints, did_you_mean
from adaptgen.load.source import join_pointer
from adaptgen.plan.answer_headers import answer_headers
from adaptgen.plan.aws_query import is_ec2, is_query_operation, query_shape
from adaptgen.plan.describe import (
    brief,
    describe_operation,
    plain,
    restates_identifier,
    tool_description,
)
from adaptgen.plan.effects import annotations as tool_annotations
from adaptgen.plan.long_running import long_running
from adaptgen.plan.media import answer_media, required_previews
from adaptgen.plan.names import (
    MAX_TOOL_NAME,
    is_version,
    literal_name,
    odata_cast,
    path_words,
    plural_of,
    python_name,
    resource_words,
    shorten,
    summary_verb,
    told_apart,
    tool_names,
    unique_name,
    without_pasted_method,
)
from adaptgen.plan.output import UnsupportedPath, output_schema
from adaptgen.plan.pagination import (
    Example,
    azure_no_link,
    azure_pageable,
    detect,
    example_schema,
    header_guess,
    leaves_out,
    list_alone,
    undetected_paging,
    without_paginator_twins,
)
from adaptgen.plan.parameters import (
    assign_names,
    path_defaults,
    path_params,
    query_placeholders,
    required_strings,
    split_path_key,
)
from adaptgen.plan.schemas import SchemaInliner, clean_text
from adaptgen.plan.state import OperationProblem, PlannerState
from adaptgen.runtime.catalog import (
    FixedValue,
    Operation,
    Param,
    SecurityScheme,
    Shape,
    Tool,
    input_schema,
)
from adaptgen.runtime.http_methods import BODILESS_METHODS
from adaptgen.runtime.paging import PagingStyle
from adaptgen.runtime.paging.cursor import CursorPaging
from adaptgen.runtime.paging.next_url import NextUrlPaging
from adaptgen.runtime.xml_answer import is_xml
from adaptgen.words import singular

LINK_STYLES = ("next_url", "link")  # styles whose next page is read at a URL
# A path is sent as the request target: no whitespace or control characters (RFC 9112 3.2).
_BAD_PATH_CHARACTER = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]")


class OperationPlanning(PlannerState):
    """The operations part of the planner (a mixin of `adaptgen.plan._Planner`)."""

    def _replace_name(
        self, name: str, path: str, path_item: dict[str, Any], selector: tuple[str, ...]
    ) -> str | None:
        """A PUT's name when the PATCH of its path would be named as it is (`update_...`):
        `replace_...`, what a PUT does to the whole thing, so the PATCH keeps `update_...`
        (Autotask's `UpdateEntity` beside `PatchEntity`), not `update_..._2` beside it."""
        patch = path_item.get("patch")
        verb, _, rest = name.partition("_")
        if verb != "update" or not rest or not isinstance(patch, dict):
            return None
        if patch.get("deprecated") is True and not self.options.include_deprecated:
            return None
        patch_id = patch.get("operationId")
        patch_id = patch_id if isinstance(patch_id, str) else None
        summary = plain(str(patch.get("summary") or ""))
        said = self._tool_names(patch_id, "patch", path, summary, selector)
        return f"replace_{rest}" if said[0] == name else None

    def _body_paging(
        self, params: list[Param], op: dict[str, Any], op_pointer: str
    ) -> tuple[PagingStyle | None, list[Param]]:
        """How a read POSTed pages in its body, if it does (AWS's JSON-protocol `List*`
        actions: `nextToken` and `maxResults` in the body, the next token in the answer; a
        search's `after`), and its parameters with the paging ones hidden and `limit` and
        `cursor` added: detected as a GET's query would be, the body's fields standing for it."""
        fields = [
            p.model_copy(update={"location": "query"}) for p in params if p.location == "body"
        ]
        response, headers = self._response(op, op_pointer)
        # Not by a link: the next page of a search is posted again, not read at a URL.
        detected = detect(fields, response, headers, None, None, skip=LINK_STYLES)
        if detected is None:
            return None, params
        paged = detected.pagination.model_copy(update={"in_body": True})
        kept = [p for p in params if not (p.location == "body" and p.api_name in detected.hidden)]
        return paged, assign_names(kept + _paging_params(paged))

    def _tool_names(
        self, op_id: str | None, method: str, path: str, summary: str, selector: tuple[str, ...]
    ) -> list[str]:
        """`names.tool_names` with what the API as a whole says; a name that is only a verb,
        of a path that names nothing (`get`, `get_by_id`: Transavia's `GET /` and `/{id}` on
        `.../v2/airports`), is told by what the server's base path names first
        (`list_airports`, `get_airport`)."""

        def names_for(operation_id: str | None) -> list[str]:
            return tool_names(
                operation_id,
                method,
                path,
                self.common_prefix,
                summary,
                selector,
                self.collections,
                path in self.format_twins,
                self.aws_actions,
                self.operation_words,
            )

        cast: list[str] = []
        if op_id in self.hashed_twins:
            # A template's words, and its summary said of every operation of the template
            # ("Get the number of the resource"): the path names it, a cast said last
            # (`list_contact_direct_reports_as_users`, `count_contact_member_of_as_users`).
            op_id, summary = None, ""
            path, cast = odata_cast(path, method, self.namespaces)
        names = names_for(op_id)
        if cast:
            many = names[0].split("_")[0] in ("list", "count")
            said = [*cast[:-1], plural_of(cast[-1]) if many else cast[-1]]
            names = [shorten([*n.split("_"), *said], MAX_TOOL_NAME) for n in names]
        if op_id and (bare := without_pasted_method(op_id, method, path, self.operation_words)):
            # `AddActor_Post`, `createAlertGET`: the method pasted after the name says nothing;
            # the name as written is the last resort (before a number).
            names = list(dict.fromkeys([*names_for(bare), *names]))
        words = names[0].split("_")
        base = [s for s in urlsplit(self.api_base).path.split("/") if s and "{" not in s]
        bare = len(words) == 1 or words[1] == "by"
        if bare and not resource_words(path) and base and not is_version(base[-1]):
            named = tool_names(op_id, method, f"/{base[-1]}{path}", [], summary, selector)
            names = list(dict.fromkeys([*named, *names]))
        return names

    def names_of(
        self, key: str, method: str, op: dict[str, Any], path_item: dict[str, Any]
    ) -> list[str]:
        """An operation's names, best first (`names.tool_names`; a PUT beside a PATCH of the
        same name first says `replace_...`)."""
        op_id = op.get("operationId") if isinstance(op.get("operationId"), str) else None
        path, _, selector = split_path_key(key)
        summary = plain(str(op.get("summary") or ""))
        names = self._tool_names(op_id, method, path, summary, selector)
        if method == "put" and (replace := self._replace_name(names[0], path, path_item, selector)):
            names = [replace, *names]
        if method == "post" and names[0].startswith("post_") and path.rstrip("/").endswith("}"):
            # A POST to one thing says no act of its own. Where no PUT or PATCH of the path
            # updates it, what the operation says it does names it (Stripe updates by POST:
            # `POST /v1/accounts/{account}`, "Updates a connected account": `update_account`).
            said = summary or plain(str(op.get("description") or "")).split("\n")[0]
            verb = None if {"put", "patch"} & path_item.keys() else summary_verb(said)
            if verb is not None:
                names = [verb + names[0][len("post") :], *names]
        # A verb put first may be longer than the one it replaced (`replace_` for `update_`).
        return [
            n if len(n) <= MAX_TOOL_NAME else shorten(n.split("_"), MAX_TOOL_NAME) for n in names
        ]

    def keep_names(
        self, operations: list[tuple[str, str, dict[str, Any], str, dict[str, Any]]]
    ) -> None:
        """Which operation a name that two or more want first is kept for (`kept_names`): a
        top-level resource's, not the same resource's under a parent, whichever the spec lists
        first. `POST /stores` is `create_store` and `POST /merchants/{merchantId}/stores` gives
        way to its own name (`create_merchant_store`); before, the first listed took the name and
        the top-level one was `create_store_2`. The one kept for is the operation whose path's
        words (less its parameters and versions) are fewest and end every other's; where none
        does (`/companies/{id}/terminalSettings` beside `/terminals/{id}/terminalSettings`), the
        first listed takes it, as before. `operations`: (path key, method, operation, its
        pointer, path item), those that get a tool without a hinted name."""
        wanted: dict[str, list[tuple[tuple[str, ...], int, str]]] = {}
        for order, (key, method, op, pointer, path_item) in enumerate(operations):
            names = self.names_of(key, method, op, path_item)
            self.planned_names[pointer] = names
            path = split_path_key(key)[0]
            wanted.setdefault(names[0], []).append((resource_words(path), order, pointer, path))
        self.kept_names = {}
        for name, ops in wanted.items():
            if len(ops) < 2:
                continue
            words, _, pointer, path = min(ops, key=lambda o: (len(o[0]), o[1]))
            others = [other for other, _, at, _ in ops if at != pointer]
            nested = all(len(o) > len(words) and o[len(o) - len(words) :] == words for o in others)
            if words and nested and pointer != ops[0][2]:  # else the first listed takes it
                self.kept_names[name] = (pointer, frozenset(at for _, _, at, _ in ops))
                self.named_paths.setdefault(name, path)  # what `told_apart` reads

    def _tool(
        self,
        path: str,
        method: str,
        op: dict[str, Any],
        op_pointer: str,
        path_item: dict[str, Any],
        schemes: dict[str, SecurityScheme],
        taken: set[str],
        hint: ToolHints,
    ) -> Tool:
        op_id = op.get("operationId") if isinstance(op.get("operationId"), str) else None
        key = path
        path, key_fixed, selector = split_path_key(path)
        summary = plain(str(op.get("summary") or ""))
        bad = _BAD_PATH_CHARACTER.search(path)
        if bad is not None:
            raise OperationProblem(
                f"the path holds {bad.group()!r}: no request can be sent to it", op_pointer
            )
        if hint.name is not None:
            if hint.name in taken:
                raise InputError(
                    f"hinted tool name {hint.name!r} is already taken by another operation",
                    self.options.hints.source.location(join_pointer("tools", op_id, "name")),
                )
            name = hint.name
            taken.add(name)
        else:
            names = self.planned_names.get(op_pointer) or self.names_of(key, method, op, path_item)

            def free(name: str) -> bool:  # neither taken nor kept for another operation
                kept = self.kept_names.get(name)
                return name not in taken and (
                    kept is None or kept[0] == op_pointer or op_pointer not in kept[1]
                )

            holder = self.named_paths.get(names[0])
            name = next((n for n in names if free(n)), None)
            if (
                name != names[0]
                and holder == path
                and method not in names[0].split("_")
                and (name is None or _in_other_number(name, names[0]))
            ):
                # The same path by another method, named alike (`authorize_oauth` by GET and
                # by POST): the method tells them apart, not a number, nor a later name that
                # only says a word in the other number (`create_accounts_...` beside
                # `create_account_...`).
                by_method = shorten([*names[0].split("_"), method], MAX_TOOL_NAME)
                name = by_method if free(by_method) else name
            words = told_apart(path, holder) if name is None and holder else []
            owner = words[:1] == ["for"]  # whose: only where the name says it whole
            if owner and len("_".join([names[0], *words])) > MAX_TOOL_NAME:
                words = []
            if words and not names[0].endswith("_".join(words[owner:])):
                # the same operation at another version (`/v2/latest` beside `/v1/latest`),
                # on one of what the other lists, or in another thing: `get_latest_v2`,
                # `get_nh_fish_by_fish`, `list_customer_sales_areas_for_customer` say which,
                # where `get_latest_2` said nothing (a name that ends so already is numbered)
                apart = shorten([*names[0].split("_"), *words], MAX_TOOL_NAME)
                name = apart if free(apart) else None
            if name is None:
                # Every name said was taken: all the path says, what tells it from the path
                # that took its name kept when shortened (Graph's `.../axes/valueAxis/...`
                # beside `.../axes/categoryAxis/...`), before a number that says nothing.
                verb = names[0].split("_")[0]
                literal = literal_name(verb, path, self.common_prefix, self.namespaces)
                apart = path_words(path) - path_words(holder) if holder else set()
                said = shorten(literal, MAX_TOOL_NAME, frozenset(apart)) if literal else ""
                name = said if said and free(said) else None
            name = unique_name(name or names[0], taken, free=free)
        self.named_paths.setdefault(name, path)
        params = self._parameters(path_item, op, op_pointer, schemes)
        if placeholders := query_placeholders(key):
            params = self._query_placeholders(params, placeholders, op_pointer)
        params = self._resource_names(path, self._usable_path_params(path, params, op_pointer))
        body, body_params = self._body(op, op_pointer)
        if body is not None and method == "get" and body.required:
            # The spec says the server needs it (AWS SESv2's `ListContacts` filter, Azure's
            # query statistics, Interactive Brokers): sent, as the API's own clients send it.
            self.warn(
                op_pointer,
                f"{method.upper()} requires a request body: it is sent, though HTTP gives a "
                f"{method.upper()} body no meaning and a proxy on the way may drop it",
            )
        elif body is not None and method in BODILESS_METHODS:
            # An optional GET body is not sent (Stripe declares an empty form on its 213 GETs;
            # Swagger 2.0 `in: body`/formData on a GET): HTTP gives it no meaning.
            self.warn(
                op_pointer,
                f"{method.upper()} carries no request body: its body is not a tool argument",
            )
            body, body_params = None, []
        params = without_paginator_twins(params, body_params)
        params = assign_names(params + body_params)
        missing = [
            seg[1:-1]
            for seg in path_params(path)
            if not any(p.location == "path" and p.api_name == seg[1:-1] for p in params)
        ]
        if missing:
            # The upstream needs these to build the URL: make them plain required strings.
            self.warn(op_pointer, f"path parameter(s) not declared, added as strings: {missing}")
            params = assign_names(params + required_strings(missing, "path"))
        params, fixed = self._hide_and_fix(params, hint, op_id, op_pointer)
        if key_fixed:
            # The path key's own query (`/messages?action=send`) is always sent: not an argument.
            keyed = {f.api_name for f in key_fixed}
            params = [p for p in params if not (p.location == "query" and p.api_name in keyed)]
            # ...once: a parameter it also declares as a constant (Azure Storage's `comp`, an
            # enum of one value beside `?comp=list`) is not sent twice (`comp=list&comp=list`).
            again = [f for f in fixed if f.location == "query" and f.api_name in keyed]
            fixed = [*key_fixed, *(f for f in fixed if f not in again)]
        accept = required_previews(op)
        if accept and not any(f.api_name.lower() == "accept" for f in fixed):
            # GitHub's API previews an operation needs: the one Accept that asks for them.
            fixed = [*fixed, FixedValue(location="header", api_name="Accept", value=accept)]
        pagination = None
        azure = azure_pageable(op, self.doc) if hint.paginate is None else None
        # Azure's `nextLinkName: null`: no next link in the answer, whatever its schema says
        # (a parameter and a header may still page it: Data Lake's `continuation`).
        linkless = hint.paginate is None and azure_no_link(op, self.doc)
        if method in ("get", "head") or hint.paginate is not None or azure is not None:
            response, headers = self._response(op, op_pointer)
            detected = detect(
                params, response, headers, hint.paginate, self.paging, linkless=linkless
            )
            if detected is None and azure is not None:
                detected = detect(params, response, headers, azure, self.paging)
            example = self._answer_example(op, op_pointer) if detected is None else None
            if hint.paginate is None and leaves_out(response, example):
                # The spec's own example shows the list its schema leaves out (Slack's
                # `admin.*.list` declare `{ok}`): where the items and the next token are.
                shown = example_schema(example)
                if list_alone(shown):
                    detected = detect(params, shown, headers, None, self.paging, linkless=linkless)
            if detected is not None and method not in ("get", "head"):
                # A POST's next pages are read with GET at the link (Azure's lists of keys,
                # its queries), never posted again.
                paged = detected.pagination
                if isinstance(paged, NextUrlPaging):
                    read = paged.model_copy(update={"read_next": True})
                    detected = dataclasses.replace(detected, pagination=read)
            if detected is not None:
                pagination = detected.pagination
                params = [
                    p
                    for p in params
                    if not (p.location in ("query", "header") and p.api_name in detected.hidden)
                ]
                params = assign_names(params + _paging_params(pagination))
                declared = {h.lower() for h in headers}
                if (
                    isinstance(pagination, CursorPaging)
                    and pagination.next_headers
                    and not set(pagination.next_headers) <= declared  # said, not guessed
                ):
                    self.warn(op_pointer, header_guess(pagination, op_id or path))
            elif (
                hint.paginate is None
                and not linkless  # Azure said so: the answer holds no next link
                and (problem := undetected_paging(params, response, headers, op_id or path))
            ):
                self.warn(op_pointer, problem)
        if (
            pagination is None
            and hint.paginate is None
            and method in ("post", "get")  # a GET's body only where the spec requires it
            and body is not None
            and body.flattened
            and tool_annotations(method, name, path, selector, key).get("readOnlyHint")
        ):
            pagination, params = self._body_paging(params, op, op_pointer)
        shape = self._shape(hint, pagination)
        output = None
        if self._wants_output_schema(hint):
            output, shape = self._output(op, op_pointer, shape, pagination)
        upper = method.upper()
        annotations = tool_annotations(method, name, path, selector, key)
        security = None
        if "security" in op:
            security = self._requirements(op["security"], schemes, op_pointer + "/security")
        params, security = self._without_credentials(params, body, security, schemes)
        params = [_with_py_name(p) for p in path_defaults(params, path)]
        if is_query_operation(self.doc, op):
            params = self._aws_query(params, op, path_item)
        # What the spec says the tool does (a summary that only spells the operationId is not)
        said, detail = (
            "" if restates_identifier(text, op_id) else text
            for text in (summary, str(op.get("description") or ""))
        )
        answers = self._answers(op, op_pointer)
        return Tool(
            name=name,
            title=said.split("\n")[0] if said else None,
            description=clean_text(hint.description)
            if hint.description
            else tool_description(said, detail)
            or self._described(method, path, name, params, op, op_pointer),
            annotations=annotations,
            tags=tuple(str(t) for t in op.get("tags") or [] if isinstance(t, str)),
            input_schema=input_schema(params),
            output_schema=output,
            upstream=Operation(
                operation_id=op_id or "",
                method=upper,
                path=path,
                params=tuple(params),
                body=body,
                security=security,
                fixed=tuple(fixed),
                answer_xml=self._answer_xml(op, op_pointer),
                long_running=long_running(method, op),
                redirects=declares_redirect(op),
                server=own_server(op, path_item, self.api_base),
                ok_field=ok_field(self._response(op, op_pointer)[0]),
                answer_headers=self._answer_headers(answers, method),
                absent=self._absent(answers, method),
            ),
            shape=shape,
            pagination=pagination,
            pii=tuple(_relative(p, pagination) for p in hint.pii or []),
            pinned=hint.pin,
            pointer=op_pointer,
        )

    def _aws_query(
        self, params: list[Param], op: dict[str, Any], path_item: dict[str, Any]
    ) -> list[Param]:
        """`params` with how AWS's query protocol names the parts of each structure or list
        in the query (`plan.aws_query`)."""
        declared = {}
        for raw in [*(path_item.get("parameters") or ()), *(op.get("parameters") or ())]:
            if isinstance(raw, dict) and raw.get("in") == "query":
                declared[raw.get("name")] = raw.get("schema")
        out = []
        for param in params:
            shape = None
            if param.location == "query" and param.api_name in declared:
                shape = query_shape(self.doc, declared[param.api_name], ec2=is_ec2(self.doc))
            out.append(param.model_copy(update={"aws_query": shape}) if shape else param)
        return out

    def _described(
        self,
        method: str,
        path: str,
        name: str,
        params: list[Param],
        op: dict[str, Any],
        op_pointer: str,
    ) -> str:
        """A sentence for an operation with no summary or description (Twilio has 44)."""
        arguments = [p.name for p in params if p.location != "paging"]
        response, _ = self._response(op, op_pointer)
        return describe_operation(method, path, name, arguments, response)

    def _hide_and_fix(
        self, params: list[Param], hint: ToolHints, op_id: str | None, op_pointer: str
    ) -> tuple[list[Param], list[FixedValue]]:
        hidden = set(hint.hide or [])
        fixes = dict(hint.fix or {})
        known = {p.api_name for p in params} | {p.name for p in params}
        for key, name in [("hide", n) for n in hidden] + [("fix", n) for n in fixes]:
            if name not in known:
                where = self.options.hints.location(op_id or "", key)
                raise InputError(
                    f"{key}: {op_id} has no parameter {name!r}{did_you_mean(name, sorted(known))}",
                    where or self.spec.location(op_pointer),
                )
        kept: list[Param] = []
        fixed: list[FixedValue] = []
        for param in params:
            value_key = param.api_name if param.api_name in fixes else param.name
            if value_key in fixes:
                fixed.append(
                    FixedValue(
                        location=param.location, api_name=param.api_name, value=fixes[value_key]
                    )
                )
            elif param.api_name in hidden or param.name in hidden:
                if param.required:
                    where = self.options.hints.location(op_id or "", "hide")
                    raise InputError(
                        f"hide: {param.api_name!r} is required by {op_id}; use fix to send a value",
                        where or self.spec.location(op_pointer),
                    )
            elif param.required and (only := _only_value(param)) is not None:
                # A required parameter the spec allows one value for (an enum of one, a
                # `const`: AWS's `X-Amz-Target`, a pinned `api-version`) can only be sent as
                # that value: sent always, never asked of the agent.
                fixed.append(
                    FixedValue(location=param.location, api_name=param.api_name, value=only)
                )
            elif (json := _json_format(param)) is not None:
                # How the answer is written (SportsData's `/{format}/AllTeams`, XML by
                # default; `?format=json|xml`): JSON, which is what the runtime reads and
                # shapes; the same data in XML or JSONP would only cost the agent more.
                fixed.append(
                    FixedValue(location=param.location, api_name=param.api_name, value=json)
                )
            else:
                kept.append(param)
        return kept, fixed

    def _shape(self, hint: ToolHints, pagination: PagingStyle | None) -> Shape:
        defaults = self.options.hints.hints.defaults

        def pick(key: str, fallback: Any) -> Any:
            own = getattr(hint, key)
            if own is not None:
                return own
            inherited = getattr(defaults, key)
            return inherited if inherited is not None else fallback

        keep = [_relative(p, pagination) for p in pick("keep", [])]
        # Drops add up: what `defaults` drops everywhere, plus this tool's own.
        drops = list(dict.fromkeys([*(defaults.drop or []), *(hint.drop or [])]))
        drop = [_relative(p, pagination) for p in drops]
        base = Shape()
        return Shape(
            keep=tuple(keep),
            drop=tuple(drop),
            denoise=pick("denoise", base.denoise),
            max_tokens=pick("max_response_tokens", base.max_tokens),
            max_string_chars=pick("max_string_chars", base.max_string_chars),
            list_cap=pick("list_cap", base.list_cap),
            compact=pick("compact", base.compact),
        )

    def _wants_output_schema(self, hint: ToolHints) -> bool:
        if hint.output_schema is not None:
            return hint.output_schema
        return bool(self.options.hints.hints.defaults.output_schema)

    def _output(
        self, op: dict[str, Any], op_pointer: str, shape: Shape, pagination: PagingStyle | None
    ) -> tuple[dict[str, Any] | None, Shape]:
        response, _ = self._response(op, op_pointer, depth=8)
        try:
            schema = output_schema(response, shape, pagination)
        except UnsupportedPath as exc:
            self.warn(op_pointer, f"output schema not declared: cannot apply JSONPath {exc}")
            return None, shape
        if schema is None:
            self.warn(op_pointer, "output schema not declared: the result is not a JSON object")
            return None, shape
        # Capped lists end in a text marker, which an item schema would reject: with a declared
        # schema only the token budget cuts lists (at item boundaries, with a note).
        return schema, shape.model_copy(update={"list_cap": 1_000_000})

    def _paging_examples(self) -> Iterator[Example]:
        """(query parameters, response, headers) of every GET operation, for `Conventions`."""
        for _, method, op, op_pointer, path_item in self._operations():
            if method != "get":
                continue
            params = []
            for raw in [*(path_item.get("parameters") or []), *(op.get("parameters") or [])]:
                if isinstance(raw, dict) and "$ref" in raw:
                    resolved = self.spec.resolver.resolve(raw["$ref"], self.source, op_pointer)
                    raw = resolved.value if resolved else None
                if isinstance(raw, dict) and raw.get("in") == "query" and raw.get("name"):
                    schema = raw.get("schema") if isinstance(raw.get("schema"), dict) else {}
                    name = str(raw["name"])
                    params.append(Param(name=name, api_name=name, location="query", schema=schema))
            yield (params, *self._response(op, op_pointer))

    def _response(
        self, op: dict[str, Any], op_pointer: str, depth: int = 5
    ) -> tuple[dict[str, Any] | None, list[str]]:
        """The success response's JSON schema (shallow, output flavour) and header names.

        Made once per operation and depth: paging, the description and paging conventions all
        read it (none of them changes it).
        """
        key = (op_pointer, depth)
        if key not in self.responses:
            self.responses[key] = self._inline_response(op, op_pointer, depth)
        return self.responses[key]

    def _inline_response(
        self, op: dict[str, Any], op_pointer: str, depth: int
    ) -> tuple[dict[str, Any] | None, list[str]]:
        found = self._success(op, op_pointer)
        if found is None:
            return None, []
        raw, source, at, headers = found
        chosen = answer_media(raw.get("content"))
        if chosen is None:
            return None, headers
        media, media_obj = chosen
        pointer = f"{at}/content/{media.replace('~', '~0').replace('/', '~1')}/schema"
        inliner = self._output_inliner(depth)
        return inliner.inline(media_obj["schema"], source, pointer), headers

    def _answer_example(self, op: dict[str, Any], op_pointer: str) -> Any:
        """The success answer's JSON example as the spec gives it (`example`, else the first of
        `examples`), or None."""
        found = self._success(op, op_pointer)
        chosen = answer_media(found[0].get("content")) if found is not None else None
        if chosen is None:
            return None
        media_obj = chosen[1]
        if "example" in media_obj:
            return media_obj["example"]
        examples = media_obj.get("examples")
        first = next(iter(examples.values()), None) if isinstance(examples, dict) else None
        if isinstance(first, dict) and "$ref" in first:
            resolved = self.spec.resolver.resolve(first["$ref"], found[1], found[2])
            first = resolved.value if resolved is not None else None
        return first.get("value") if isinstance(first, dict) else None

    def _success(
        self, op: dict[str, Any], op_pointer: str
    ) -> tuple[dict[str, Any], Any, str, list[str]] | None:
        """The first success (or default) response, resolved: (response, its file, its
        pointer, its header names); None when there is none or its `$ref` is broken."""
        responses = op.get("responses") or {}
        for code in sorted(str(c) for c in responses):
            if not (code.startswith("2") or code == "default"):
                continue
            raw = responses[code] if code in responses else responses.get(int(code))
            at = f"{op_pointer}/responses/{code}"
            source = self.source
            if isinstance(raw, dict) and "$ref" in raw:
                resolved = self.spec.resolver.resolve(raw["$ref"], self.source, at)
                if resolved is None:
                    return None
                raw, source, at = resolved.value, resolved.source, resolved.pointer
            if not isinstance(raw, dict):
                continue
            return raw, source, at, [str(h) for h in raw.get("headers") or {}]
        return None

    def _answers(self, op: dict[str, Any], op_pointer: str) -> list[tuple[str, dict[str, Any]]]:
        """The operation's declared answers by status code, `$ref`s resolved (`{}` for one that
        is not found or not an object)."""
        responses = op.get("responses") if isinstance(op.get("responses"), dict) else {}
        answers = []
        for code, raw in responses.items():
            if isinstance(raw, dict) and "$ref" in raw:
                at = f"{op_pointer}/responses/{code}"
                resolved = self.spec.resolver.resolve(raw["$ref"], self.source, at)
                raw = resolved.value if resolved is not None else None
            answers.append((str(code), raw if isinstance(raw, dict) else {}))
        return answers

    def _answer_headers(
        self, answers: list[tuple[str, dict[str, Any]]], method: str
    ) -> tuple[str, ...]:
        """The headers whose values a result with no content carries (`plan.answer_headers`):
        those the operation's success answers with no content declare, and a HEAD's own."""
        declared: list[str] = []
        for code, raw in answers:
            headers = raw.get("headers")
            if not code.startswith("2") or not isinstance(headers, dict):
                continue
            if method == "head" or not raw.get("content"):
                declared += [str(h) for h in headers]
        return answer_headers(declared, head=method == "head")

    def _absent(self, answers: list[tuple[str, dict[str, Any]]], method: str) -> str | None:
        """What a 404 means when the operation is a check: a GET or HEAD whose success answers
        have no content and that declares 404 (GitHub's 13 `GET .../starred/...`-like checks,
        Azure's `CheckExistence` HEADs): the 404's description, else "not found"."""
        if method not in ("get", "head") or "404" not in {code for code, _ in answers}:
            return None
        ok = [raw for code, raw in answers if code.startswith("2")]
        if not ok or any(raw.get("content") for raw in ok):
            return None
        said = next((raw.get("description") for code, raw in answers if code == "404"), None)
        said = clean_text(said).strip() if isinstance(said, str) else ""
        return brief(said, ABSENT_CHARS) if said else "not found"

    def _answer_xml(self, op: dict[str, Any], op_pointer: str) -> dict[str, Any] | None:
        """How the operation's XML answer is read (`plan.xml_body`), when it has no JSON one."""
        found = self._success(op, op_pointer)
        chosen = answer_media(found[0].get("content")) if found else None
        if found is None or chosen is None or not is_xml(chosen[0]):
            return None
        media = chosen[0].replace("~", "~0").replace("/", "~1")
        return self.xml().answer(
            chosen[1]["schema"], found[1], f"{found[2]}/content/{media}/schema"
        )

    def _output_inliner(self, depth: int) -> SchemaInliner:
        """One inliner per depth for every response: what one walked, the next reuses."""
        inliner = self.output_inliners.get(depth)
        if inliner is None:
            inliner = SchemaInliner(self.spec.resolver, for_input=False, max_depth=depth)
            self.output_inliners[depth] = inliner
        return inliner


def _paging_params(pagination: PagingStyle) -> list[Param]:
    limit = {
        "description": (
            f"How many items to return (default {pagination.default_limit}, at most "
            f"{pagination.max_items}); they are collected across upstream pages."
        ),
        "type": "integer",
        "minimum": 1,
        "maximum": pagination.max_items,
    }
    cursor = {
        "description": "next_cursor from this tool's previous result, to continue; omit to start.",
        "type": "string",
    }
    return [
        Param(name="cursor", location="paging", schema=cursor),
        Param(name="limit", location="paging", schema=limit),
    ]


def _relative(expression: str, pagination: PagingStyle | None) -> str:
    """A body JSONPath made relative to one item of a paginated list (`$.data[*].x` -> `$.x`)."""
    if pagination is None or not pagination.items:
        return expression
    for prefix in (pagination.items + "[*]", pagination.items + "[:]"):
        if expression.startswith(prefix):
            return "$" + expression[len(prefix) :]
    if pagination.items == "$" and expression.startswith("$[*]"):
        return "$" + expression[len("$[*]") :]
    return expression


def _with_py_name(param: Param) -> Param:
    """`param` with the generated function's argument name, where it differs from its name."""
    py_name = python_name(param.name)
    return param if py_name == param.name else param.model_copy(update={"py_name": py_name})


def _only_value(param: Param) -> str | int | float | bool | None:
    """The one value a path, query, header or named body parameter's schema allows, if so."""
    schema = param.schema
    if param.location not in ("path", "query", "header", "body") or not param.api_name:
        return None
    values = [schema["const"]] if "const" in schema else schema.get("enum")
    if not isinstance(values, list) or len(values) != 1:
        return None
    value = values[0]
    return value if isinstance(value, str | int | float | bool) else None


# What a parameter that picks the answer's format offers besides JSON: the same data written
# otherwise. A file format (CSV, PDF, XLSX) is another thing to ask for, and is not one.
SERIALIZATIONS = frozenset(
    {"json", "xml", "jsonp", "yaml", "yml", "php", "html", "text", "txt", "plain", "js"}
)


def _json_format(param: Param) -> str | None:
    """The JSON value of a path or query parameter whose values are all ways of writing the
    answer (`[XML, JSON]`, `[json, xml, jsonp]`), JSON among them; else None."""
    values = param.schema.get("enum")
    if param.location not in ("path", "query") or not isinstance(values, list) or len(values) < 2:
        return None
    if not all(isinstance(v, str) and v.lower() in SERIALIZATIONS for v in values):
        return None
    return next((v for v in values if v.lower() == "json"), None)


ABSENT_CHARS = 160  # a check's 404, in the spec's words, at most this long
# A successful answer's field that says whether the call worked, as APIs that answer failures
# with 200 name it: Slack's and Telegram's `ok`, and `success` (Zuora, Apacta, Sakari, sms77,
# ...). Not a job's `succeeded` (Airbyte's sync): the call worked, and the job's outcome is
# the result.
OK_FIELDS = ("ok", "success", "Success", "isSuccess")


def own_server(op: dict[str, Any], path_item: dict[str, Any], api_base: str) -> str | None:
    """The operation's own server (its `servers`, else its path's), its variables' defaults
    put in and a relative URL resolved against the API's: Box's uploads at
    `https://upload.box.com/api/2.0`. None when it has none, or it is the API's."""
    servers = op.get("servers") or path_item.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else None
    if not isinstance(first, dict) or not isinstance(first.get("url"), str):
        return None
    url = first["url"]
    variables = first.get("variables")
    for name, said in (variables if isinstance(variables, dict) else {}).items():
        if isinstance(said, dict) and "default" in said:
            url = url.replace("{" + str(name) + "}", str(said["default"]))
    if "{" in url:
        return None  # a variable without a default: the API's own server, as before
    if not urlsplit(url).scheme:
        if not urlsplit(api_base).scheme:
            return None
        url = (
            urljoin(api_base.rstrip("/") + "/", url.lstrip("/"))
            if not url.startswith("/")
            else urljoin(api_base, url)
        )
    url = url.rstrip("/")
    return None if url == api_base.rstrip("/") else url


REDIRECT_CODES = frozenset({"301", "302", "303", "307", "308"})


def declares_redirect(op: dict[str, Any]) -> bool:
    """Whether the operation's spec declares a redirect answer (GitHub's logs and archives,
    Box's file content, a renamed repository's 301)."""
    responses = op.get("responses")
    return isinstance(responses, dict) and any(str(k) in REDIRECT_CODES for k in responses)


def ok_field(response: dict[str, Any] | None) -> str | None:
    """The field of the success answer's schema (its own properties, or an `allOf` member's)
    that is a boolean saying whether the call worked, when it declares one (`OK_FIELDS`).
    Such an API answers a failure 200 with the field false (Slack's `{"ok": false, "error":
    "channel_not_found"}`): the runtime makes that a tool error, not a result."""
    if not isinstance(response, dict):
        return None
    properties = dict(response.get("properties") or {})
    for member in response.get("allOf") or ():
        if isinstance(member, dict):
            properties.update(member.get("properties") or {})
    for name in OK_FIELDS:
        schema = properties.get(name)
        if isinstance(schema, dict) and (
            schema.get("type") == "boolean" or schema.get("enum") == [True]
        ):
            return name
    return None


def _in_other_number(name: str, other: str) -> bool:
    """Whether two names are the same words but for the number of some (`get_user_roles`,
    `get_users_role`)."""
    these, those = name.split("_"), other.split("_")
    return len(these) == len(those) and all(
        singular(a) == singular(b) for a, b in zip(these, those, strict=True)
    )
