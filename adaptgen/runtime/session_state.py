"""FastMCP's session-state store, made only when something is stored in it.

FastMCP reads its session-state store on every listing and call (a client's visibility rules),
and the first read builds it: py-key-value's Pydantic adapter over a memory store, whose import
pulls beartype. On a cold Lambda that import was the largest single thing the first answer paid
for, and a generated server never stores session state (a stateless HTTP request has no session
to keep it for). `GeneratedServer` answers those reads the way an empty memory store does until
the first write, or any other use, builds FastMCP's own store and hands every call to it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastmcp import FastMCP

__all__ = ["EmptyUntilWritten", "GeneratedServer"]


class EmptyUntilWritten:
    """A stand-in for FastMCP's state adapter while its memory store would still be empty.

    `get` returns what the adapter returns for a missing key (`default`); every other attribute
    (`put`, `delete`, `ttl`, ...) builds the real adapter first, and from then on `get` asks it.
    """

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._store: Any = None

    async def get(self, key: str, *, collection: str | None = None, default: Any = None) -> Any:
        if self._store is None:
            return default
        return await self._store.get(key, collection=collection, default=default)

    def __getattr__(self, name: str) -> Any:
        if self._store is None:
            self._store = self._build()
        return getattr(self._store, name)


class GeneratedServer(FastMCP):
    """The FastMCP server of a generated API: FastMCP's, with the state store made on first
    write. A store given as `session_state_store` (which may hold data already) is used as is."""

    _empty_state: EmptyUntilWritten | None = None

    @property
    def _state_store(self) -> Any:
        if self._empty_state is None:
            made = partial(FastMCP._state_store.fget, self)  # type: ignore[attr-defined]
            if self._state_storage is not None:
                return made()
            self._empty_state = EmptyUntilWritten(made)
        return self._empty_state
