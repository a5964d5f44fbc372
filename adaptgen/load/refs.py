"""`$ref` resolution across the spec, other local files and (only when allowed) remote URLs.

Local files are read only inside the ref root (the spec's folder unless `--ref-root` says
otherwise), only when they are regular files of bounded size (see `files`); remote documents
only from public hosts (see `remote`), and refs inside a remote document stay remote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

from adaptgen.errors import BuildWarning, InputError
from adaptgen.load.files import FileRefused, confined
from adaptgen.load.source import SourceFile, join_pointer, parse_text, read_source, split_pointer


@dataclass(frozen=True)
class Resolved:
    """A `$ref` target: the value, the file it lives in and its pointer there."""

    value: Any
    source: SourceFile
    pointer: str

    @property
    def key(self) -> str:
        """A stable identity for cycle detection and caching."""
        return f"{self.source.path}#{self.pointer}"


def is_remote(ref: str) -> bool:
    """True for refs that would need the network (http, https)."""
    return ref.split("#", 1)[0].lower().startswith(("http://", "https://"))


class RefResolver:
    """Resolves `$ref` strings relative to the file they appear in.

    Local refs and refs into other local files under `ref_root` (default: the root spec's
    folder) are always followed; remote refs only when `allow_remote` is set, otherwise
    `resolve` returns None and one warning is collected per URL so the caller can relax the
    schema instead of leaving a dangling `$ref`.
    """

    def __init__(
        self,
        root: SourceFile,
        *,
        allow_remote: bool = False,
        fetch: Callable[[str], str] | None = None,
        ref_root: Path | None = None,
    ) -> None:
        self.root = root
        self.allow_remote = allow_remote
        self.ref_root = ref_root if ref_root is not None else root.path.parent
        self._fetch = fetch or _fetch_remote
        self._files: dict[str, SourceFile] = {str(root.path.resolve()): root}
        self._remote_warned: set[str] = set()
        self.warnings: list[BuildWarning] = []

    def resolve(self, ref: str, base: SourceFile, at: str) -> Resolved | None:
        """Follow `ref` (found at pointer `at` of `base`), including chains of refs."""
        seen: set[str] = set()
        target = self._resolve_once(ref, base, at)
        while target is not None and isinstance(target.value, dict) and "$ref" in target.value:
            if target.key in seen:
                raise InputError(f"$ref cycle with no schema in it: {ref}", base.location(at))
            seen.add(target.key)
            inner = target.value["$ref"]
            if not isinstance(inner, str):
                raise InputError("$ref must be a string", target.source.location(target.pointer))
            target = self._resolve_once(inner, target.source, target.pointer + "/$ref")
        return target

    def _resolve_once(self, ref: str, base: SourceFile, at: str) -> Resolved | None:
        file_part, _, fragment = ref.partition("#")
        if base.url is not None and file_part:
            # Inside a remote document a relative ref names another URL, never a local file.
            file_part = urljoin(base.url, file_part)
        if is_remote(file_part):
            source = self._remote(file_part, base, at)
            if source is None:
                return None
        elif file_part:
            source = self._local_file(file_part, base, at)
        else:
            source = base
        pointer = unquote(fragment)
        try:
            tokens = split_pointer(pointer)
        except ValueError:
            raise InputError(
                f"$ref fragment is not a JSON pointer: {ref!r}", base.location(at)
            ) from None
        value = source.data
        for i, token in enumerate(tokens):
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            else:
                missing = join_pointer(*tokens[: i + 1])
                raise InputError(
                    f"$ref target not found: {ref!r} ({source.display} has nothing at #{missing})",
                    base.location(at),
                )
        return Resolved(value, source, join_pointer(*tokens))

    def _local_file(self, file_part: str, base: SourceFile, at: str) -> SourceFile:
        if base.url is not None:  # pragma: no cover - made remote by _resolve_once
            raise InputError(f"$ref {file_part!r}: not a URL", base.location(at))
        try:
            path = confined(base.path.parent / unquote(file_part), self.ref_root)
        except (FileRefused, OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
            raise InputError(f"$ref {file_part!r}: {exc}", base.location(at)) from None
        key = str(path)
        if key not in self._files:
            try:
                self._files[key] = read_source(path)
            except InputError as exc:
                raise InputError(f"$ref {file_part!r}: {exc}", base.location(at)) from None
        return self._files[key]

    def _remote(self, url: str, base: SourceFile, at: str) -> SourceFile | None:
        if not self.allow_remote:
            if url not in self._remote_warned:
                self._remote_warned.add(url)
                self.warnings.append(
                    BuildWarning(
                        base.location(at),
                        f"remote $ref {url} not fetched (pass --allow-remote-refs to fetch it); "
                        "schemas that use it are relaxed to accept any value",
                    )
                )
            return None
        if url not in self._files:
            try:
                text = self._fetch(url)
            except Exception as exc:  # noqa: BLE001 - any fetch failure is reported the same way
                raise InputError(
                    f"cannot fetch remote $ref {url}: {exc}", base.location(at)
                ) from None
            try:
                parsed = parse_text(text, Path(url.rsplit("/", 1)[-1] or "remote"))
            except InputError as exc:
                raise InputError(f"remote $ref {url}: {exc}", base.location(at)) from None
            parsed.url = url
            self._files[url] = parsed
        return self._files[url]


def _fetch_remote(url: str) -> str:
    """`fetch_remote`, imported on first use: its HTTP client costs every load that fetches
    nothing (most of them) a fifth of a second of imports."""
    from adaptgen.load.remote import fetch_remote

    return fetch_remote(url)
