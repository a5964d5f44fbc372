"""A generated spec whose responses share a deep graph of components, for build-speed work.

Real specs that were slow to build (one of 4.2 MB and 417 operations took 7.2 s) answer with
resources that embed other resources ("expandable" fields: an id or the whole object), which
embed others again, through `allOf` bases and `anyOf` unions. Inlining each response walked the
same component subtrees again and again. `shared_refs_spec` makes that shape at any size, with
no copied spec: `resources` objects, each embedding `links` others (a ring, so there are
cycles), every object built on a shared base with nested metadata, and a list and a get
operation per resource.

`python tests/shared_refs.py DIR [RESOURCES...]` writes `shared_refs_<N>.json` specs into DIR
for `python -m bench.build_bench --specs DIR --adaptgen-only` (the scaling table).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def shared_refs_spec(resources: int = 40, links: int = 4) -> dict[str, Any]:
    """An OpenAPI 3.0 document of `resources` resources, each embedding `links` others."""
    schemas: dict[str, Any] = {
        "Metadata": {
            "type": "object",
            "properties": {
                "created": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
            },
        },
        "Tag": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "color": {"type": "string"}},
        },
        "Base": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "description": "Unique identifier."},
                "metadata": {"$ref": "#/components/schemas/Metadata"},
            },
        },
    }
    paths: dict[str, Any] = {}
    for i in range(resources):
        name = _name(i)
        embedded = {
            _name(j).lower(): {
                "description": f"The {_name(j)}, or its id unless expanded.",
                "anyOf": [{"type": "string"}, {"$ref": f"#/components/schemas/{_name(j)}"}],
            }
            for j in ((i + k) % resources for k in range(1, links + 1))
        }
        schemas[name] = {
            "allOf": [
                {"$ref": "#/components/schemas/Base"},
                {
                    "type": "object",
                    "description": f"A {name}.",
                    "properties": {
                        "title": {"type": "string"},
                        "count": {"type": "integer", "nullable": True},
                        **embedded,
                    },
                },
            ]
        }
        schemas[f"{name}List"] = {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
                "has_more": {"type": "boolean"},
                "next_cursor": {"type": "string", "nullable": True},
            },
        }
        collection = f"/{name.lower()}s"
        paths[collection] = {"get": _operation(f"list{name}s", f"{name}List", cursor=True)}
        paths[collection + "/{id}"] = {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": _operation(f"get{name}", name),
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Shared refs", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _name(i: int) -> str:
    return f"Resource{i:03d}"


def _operation(operation_id: str, schema: str, *, cursor: bool = False) -> dict[str, Any]:
    parameters = (
        [
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
        ]
        if cursor
        else []
    )
    return {
        "operationId": operation_id,
        "summary": f"{operation_id} (generated)",
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                },
            }
        },
    }


def main(argv: list[str]) -> int:
    """Write one spec per resource count into the folder `argv[0]` (default: 20 40 80 200)."""
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    for resources in [int(n) for n in argv[1:]] or [20, 40, 80, 200]:
        document = shared_refs_spec(resources=resources, links=4)
        (folder / f"shared_refs_{resources:04d}.json").write_text(json.dumps(document, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
