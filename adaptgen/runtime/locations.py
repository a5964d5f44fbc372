"""Where a write put what it made, when its answer says so only in `Location`.

Many APIs answer a create `201 Created` with no body and the new thing's address in
`Location` (JAX-RS's `Response.created(uri)`, Akeneo's products, figshare's articles, Azure's
API Management): the agent was told "Done (upstream answered 201 with no content)" and never
learnt the id it had just made. Now such an answer says where the thing is, as a path under the
API, and which tool reads it with which arguments (the GET tool whose path template the
address fits: `{"read_with": {"tool": "get_product", "arguments": {"code": "sku-1"}}}`). An
address off the API (another host or path: a signed upload or download URL is a credential for
what it points at) is told by its origin only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from adaptgen.runtime.catalog import Tool
from adaptgen.runtime.origin import origin_of, within_upstream

__all__ = ["Readers", "located"]

_PLACEHOLDER = re.compile(r"\{([^}/]+)\}")


class Readers:
    """The GET tools by path template, to say which one reads the thing at an address (made
    at the first address asked about: most servers never meet one)."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools = [t for t in tools if t.method == "GET" and not t.hidden]
        self._patterns: list[tuple[re.Pattern[str], Tool, dict[str, str]]] | None = None

    def reader(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The tool that reads `path` (under the base path) and its arguments, or None."""
        for pattern, tool, names in self._compiled():
            found = pattern.fullmatch(path.rstrip("/") or "/")
            if found:
                arguments = {
                    names[group]: unquote(value)
                    for group, value in found.groupdict().items()
                    if group in names
                }
                return tool.name, arguments
        return None

    def _compiled(self) -> list[tuple[re.Pattern[str], Tool, dict[str, str]]]:
        if self._patterns is None:
            ranked = []
            for tool in self._tools:
                by_api = {p.api_name: p for p in tool.params if p.location == "path"}
                names: dict[str, str] = {}
                parts, at = [], 0
                for index, match in enumerate(_PLACEHOLDER.finditer(tool.path)):
                    parts.append(re.escape(tool.path[at : match.start()]))
                    param = by_api.get(match.group(1))
                    group = f"p{index}"
                    if param is not None:
                        names[group] = param.name
                    parts.append(f"(?P<{group}>{'.+' if param and param.reserved else '[^/]+'})")
                    at = match.end()
                parts.append(re.escape(tool.path[at:].rstrip("/")))
                literal = len(_PLACEHOLDER.sub("", tool.path))
                ranked.append((-literal, tool.name, re.compile("".join(parts)), tool, names))
            ranked.sort(key=lambda r: (r[0], r[1]))  # the most literal template first
            self._patterns = [(pattern, tool, names) for _, _, pattern, tool, names in ranked]
        return self._patterns


def located(
    status: int, location: str, request_url: str, base_url: str, readers: Readers | None
) -> dict[str, Any]:
    """What an answer with no content but a `Location` tells the agent."""
    said: dict[str, Any] = {"done": f"upstream answered {status} with no content"}
    url = urljoin(request_url, location.strip())
    if not within_upstream(url, base_url):
        said["location"] = f"elsewhere, on {origin_of(url)}"
        return said
    base_path = urlsplit(base_url).path.rstrip("/")
    parts = urlsplit(url)
    path = parts.path[len(base_path) :] or "/"
    said["location"] = path + (f"?{parts.query}" if parts.query else "")
    found = readers.reader(path) if readers is not None else None
    if found is not None:
        tool, arguments = found
        said["read_with"] = {"tool": tool, "arguments": arguments}
    return said
