"""What a Lambda zip holds: the runtime a generated server imports, and nothing it does not.

pip installs adaptgen's whole requirement set for the target (one consistent resolution);
`select` then keeps only what the server can import, and says why for every distribution:

* **adaptgen's own modules**: the static import closure of `adaptgen.runtime` (every `import`
  in those modules, function-level ones too), so the loader, planner, renderer, packager, CLI
  and the sandbox CRM stay out, and a module the runtime starts to import comes in by itself.
* **distributions**: the closure of adaptgen's requirements over each installed distribution's
  own `Requires-Dist` (markers evaluated for the target), minus *leaves* that a running server
  never imports (`NEVER_AT_RUNTIME`: build-time tools, FastMCP's command line and dev server,
  client-side key stores) and the optional ones its policy or server does not use (`OPTIONAL`:
  Cedar, Redis, OpenTelemetry export; httptools only in the proxy's zip; griffe only for a
  search-mode server, numpy only for one whose index has the sentence encoder's vectors). A
  leaf is not followed, so what only it required leaves too. boto3 and botocore are left to
  the Lambda runtime, which has its own, unless the zip is made with `--bundle-boto3`.
* **parts of distributions** (`NEVER_IMPORTED`) that a kept distribution ships but a server
  never imports: PyYAML's C loader, FastMCP's command line, cffi's compiler.

The clean-interpreter tests (tests/test_ship_package.py) run the unpacked zip with nothing but
the standard library (and, for boto3, what the Lambda runtime provides), so a distribution
dropped by mistake fails there, not on a customer's cold start.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

__all__ = [
    "NEVER_AT_RUNTIME",
    "NEVER_IMPORTED",
    "OPTIONAL",
    "Contents",
    "Feature",
    "Part",
    "needed_features",
    "search_features",
    "select",
]

# Installed with adaptgen, never imported by a generated server on Lambda: name -> why.
NEVER_AT_RUNTIME: dict[str, str] = {
    "jinja2": "renders generated code (build time)",
    "openapi-pydantic": "reads OpenAPI specs (build time)",
    "cyclopts": "FastMCP's command line",
    "pyperclip": "FastMCP's command line (clipboard)",
    "keyring": "client-side token storage (FastMCP clients)",
    "websockets": "uvicorn's WebSocket protocol (MCP over HTTP does not use it)",
    "uvloop": "`adaptgen serve` over HTTP (Lambda runs no event-loop server)",
    "ruff": "formats generated code (build time)",
    "authlib": "FastMCP's OAuth proxy providers (a generated server verifies JWTs itself)",
    "pycparser": "builds cffi bindings (build time; cryptography's come compiled)",
    "email-validator": "EmailStr in FastMCP's client-side types (a generated server runs no "
    "MCP client)",
    "pygments": "syntax colours for rich tracebacks and httpx's command line (on Lambda the "
    "handler logs plain tracebacks; httpx imports its command line only if it can)",
    "markdown-it-py": "rich's Markdown rendering (FastMCP's command line)",
    "watchfiles": "uvicorn's --reload file watcher (uvicorn falls back to its own when absent)",
}


@dataclass(frozen=True)
class Part:
    """Files of a kept distribution that a running server never imports."""

    distribution: str
    patterns: tuple[str, ...]  # globs below the --target folder
    why: str


# Parts of kept distributions left out; the clean-interpreter tests serve without them.
NEVER_IMPORTED = (
    Part(
        "pyyaml",
        ("yaml/_yaml.*", "_yaml"),
        "PyYAML's C loader: policies are read by yaml.safe_load, the pure-Python loader",
    ),
    Part("fastmcp-slim", ("fastmcp/cli",), "FastMCP's command line (needs cyclopts)"),
    Part("cffi", ("cffi",), "cffi's binding compiler (cryptography loads only _cffi_backend)"),
)

BOTO = ("boto3", "botocore")


@dataclass(frozen=True)
class Feature:
    """Distributions only some policies use."""

    name: str
    distributions: tuple[str, ...]
    why: str


OPTIONAL = (
    Feature("cedar", ("cedarpy",), "Cedar access policies (`access.cedar`)"),
    Feature("redis", ("redis",), "a Redis rate-limit backend (`rate_limits.backend: redis`)"),
    Feature(
        "proxy",
        ("httptools",),
        "the proxy's upstream client (`adaptgen proxy`; a generated server never imports it)",
    ),
    Feature(
        "search",
        ("griffelib",),
        "search mode's own tools (FastMCP reads their docstrings with griffe)",
    ),
    Feature(
        "semantic",
        ("numpy",),
        "search by meaning (a search index with the sentence encoder's vectors)",
    ),
    Feature(
        "otel",
        ("opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"),
        "trace export (`tracing.exporter: otlp|console`)",
    ),
)


@dataclass
class Contents:
    """What `select` kept and dropped, with sizes (bytes) and reasons."""

    kept: dict[str, tuple[int, str]] = field(default_factory=dict)
    dropped: dict[str, tuple[int, str]] = field(default_factory=dict)
    parts_dropped: dict[str, tuple[int, str]] = field(default_factory=dict)  # "dist: globs"
    modules_kept: list[str] = field(default_factory=list)
    modules_dropped: list[str] = field(default_factory=list)

    def explain(self) -> str:
        """The `adaptgen package --explain` table: every distribution, in or out, and why."""
        lines = ["  in the zip:"]
        for name, (size, why) in sorted(self.kept.items(), key=lambda kv: -kv[1][0]):
            lines.append(f"    {size / 1024 / 1024:7.2f} MB  {name}: {why}")
        lines.append("  left out:")
        for name, (size, why) in sorted(self.dropped.items(), key=lambda kv: -kv[1][0]):
            lines.append(f"    {size / 1024 / 1024:7.2f} MB  {name}: {why}")
        for name, (size, why) in sorted(self.parts_dropped.items(), key=lambda kv: -kv[1][0]):
            lines.append(f"    {size / 1024 / 1024:7.2f} MB  {name}: {why}")
        dropped = ", ".join(self.modules_dropped) or "none"
        lines.append(f"  adaptgen modules left out (the runtime never imports them): {dropped}")
        return "\n".join(lines)


def needed_features(policy: object | None) -> set[str]:
    """The optional features a loaded policy uses (none without a policy: the safe default)."""
    if policy is None:
        return set()
    features = set()
    if getattr(getattr(policy, "access", None), "cedar", None) is not None:
        features.add("cedar")
    if getattr(getattr(policy, "rate_limits", None), "backend", None) == "redis":
        features.add("redis")
    if getattr(getattr(policy, "tracing", None), "exporter", "none") != "none":
        features.add("otel")
    return features


def select(
    staging: Path,
    roots: Iterable[str],
    environment: dict[str, str],
    *,
    features: Iterable[str] = (),
    bundle_boto3: bool = False,
) -> Contents:
    """Remove from `staging` (a `pip install --target` folder) what the server cannot import;
    `roots` are adaptgen's requirements, `environment` the target's marker values."""
    contents = Contents()
    installed = _installed(staging)
    leaves = dict(NEVER_AT_RUNTIME)
    wanted = set(features)
    for feature in OPTIONAL:
        if feature.name not in wanted:
            for name in feature.distributions:
                leaves[name] = f"only for {feature.why}; this server and policy do not use it"
    if not bundle_boto3:
        for name in BOTO:
            leaves[name] = "provided by the Lambda runtime (`--bundle-boto3` to ship a copy)"
    needed = _closure(installed, roots, environment, leaves)
    for name, dist in sorted(installed.items()):
        size = dist.size()
        if name == "adaptgen" or name in needed:
            contents.kept[name] = (size, needed.get(name, "the server's runtime"))
        else:
            why = (
                leaves.get(name)
                or f"only needed by what is left out ({dist.required_by(installed)})"
            )
            contents.dropped[name] = (size, why)
            dist.remove()
    for part in NEVER_IMPORTED:
        if part.distribution in contents.kept:
            size = _remove_part(staging, part.patterns)
            kept, why = contents.kept[part.distribution]
            contents.kept[part.distribution] = (kept - size, why)
            name = f"{part.distribution}: {', '.join(part.patterns)}"
            contents.parts_dropped[name] = (size, part.why)
    contents.modules_dropped = removed_modules(staging / "adaptgen")
    contents.modules_kept, _ = _prune_adaptgen(staging)
    return contents


WORD_TABLE = "adaptgen/search/meaning.bin"
ENCODER = "adaptgen/search/sentence-encoder.safetensors"
REQUEST_MEMORY = "adaptgen/search/request-memory.safetensors"


def search_features(server: Path | None) -> set[str]:
    """The optional features a server's search surface uses: `search` in search mode
    (`search_tools`, `call_tool` and `list_toolsets` are functions FastMCP describes from their
    docstrings), and `semantic` when its index holds the sentence encoder's vectors (numpy
    runs the encoder)."""
    if server is None:
        return set()
    features = set()
    catalog = server / "catalog.json"
    if catalog.is_file():
        api = json.loads(catalog.read_text(encoding="utf-8")).get("api", {})
        if (api.get("surface") or {}).get("mode") == "search":
            features.add("search")
    if "semantic" in _index_uses(server):
        features.add("semantic")
    return features


def drop_search_models(staging: Path, server: Path | None, contents: Contents) -> None:
    """Leave the search models out unless the server's search index uses them: the sentence
    encoder (the default) and the word-meaning table (hints `search: {semantic: false}` write
    its vectors; an encoder's index reads its English words to correct typos); a server under
    its tool-count threshold has no index, and the proxy ranks nothing. The request memory is
    always left out: only a build reads it."""
    uses = _index_uses(server) if server is not None else set()
    for part, keys, what in (
        # The table's English words correct typos for the encoder's index too.
        (WORD_TABLE, ("meaning", "semantic"), "the search word-meaning table"),
        (ENCODER, ("semantic",), "the search sentence encoder"),
        # A build reads it into the index's vectors; a server never opens it.
        (REQUEST_MEMORY, (), "the search request memory: only `adaptgen build` reads it"),
    ):
        file = staging / part
        if not file.is_file() or uses.intersection(keys):
            continue
        size = file.stat().st_size
        file.unlink()
        contents.parts_dropped[f"adaptgen: {part.removeprefix('adaptgen/')}"] = (
            size,
            f"{what}: this server's search index does not use it",
        )
        kept, why = contents.kept.get("adaptgen", (size, ""))
        contents.kept["adaptgen"] = (kept - size, why)


def _index_uses(server: Path) -> set[str]:
    """Which model vectors the server's search index holds: `semantic` (the encoder's),
    `meaning` (the word table's); read once, looked at, not parsed (each tool is one line of
    the index, `index_json`)."""
    from adaptgen.search import INDEX_FILE

    index = server / INDEX_FILE
    text = index.read_text(encoding="utf-8") if index.is_file() else ""
    # The encoder's vector is `[scale, "base64"]`, the word table's a base64 string.
    return {
        key for key, value in (("semantic", "["), ("meaning", '"')) if f'"{key}": {value}' in text
    }


# -- distributions ---------------------------------------------------------------------------


@dataclass
class _Dist:
    name: str
    root: Path  # the --target folder
    info: Path  # its .dist-info
    requires: list[str]

    def files(self) -> list[Path]:
        record = self.info / "RECORD"
        paths = {self.info}
        if record.is_file():
            for line in record.read_text(encoding="utf-8").splitlines():
                relative = line.split(",")[0]
                if relative and not relative.startswith(".."):
                    paths.add(self.root / relative)
        return sorted(paths)

    def size(self) -> int:
        total = 0
        for path in self.files():
            if path.is_file():
                total += path.stat().st_size
            elif path.is_dir():
                total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return total

    def remove(self) -> None:
        files = self.files()
        for path in files:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
        for parent in sorted({p.parent for p in files}, reverse=True):
            while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    def required_by(self, installed: dict[str, _Dist]) -> str:
        names = sorted(
            other.name
            for other in installed.values()
            if any(_requirement_name(r) == self.name for r in other.requires)
        )
        return ", ".join(names) or "nothing"


def _remove_part(staging: Path, patterns: tuple[str, ...]) -> int:
    """Remove what `patterns` match below `staging`; the bytes removed."""
    size = 0
    for path in sorted({p for pattern in patterns for p in staging.glob(pattern)}):
        if path.is_dir():
            size += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            shutil.rmtree(path)
        elif path.is_file():
            size += path.stat().st_size
            path.unlink()
    return size


def _installed(staging: Path) -> dict[str, _Dist]:
    found = {}
    for info in sorted(staging.glob("*.dist-info")):
        metadata = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        name = normalize(metadata["Name"])
        found[name] = _Dist(name, staging, info, metadata.get_all("Requires-Dist") or [])
    return found


def _closure(
    installed: dict[str, _Dist],
    roots: Iterable[str],
    environment: dict[str, str],
    leaves: dict[str, str],
) -> dict[str, str]:
    """Distribution -> why it is in the zip (the requirement chain that brought it)."""
    from packaging.requirements import InvalidRequirement, Requirement

    needed: dict[str, str] = {}
    visited: set[tuple[str, frozenset[str]]] = set()
    pending: list[tuple[str, frozenset[str], str]] = []
    for root in roots:
        requirement = Requirement(root)
        if _applies(requirement, environment, frozenset()):
            why = "adaptgen's requirement"
            pending.append((normalize(requirement.name), frozenset(requirement.extras), why))
    while pending:
        name, extras, why = pending.pop()
        if name in leaves or name not in installed or (name, extras) in visited:
            continue
        visited.add((name, extras))
        needed.setdefault(name, why)
        for text in installed[name].requires:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if _applies(requirement, environment, extras):
                child = (normalize(requirement.name), frozenset(requirement.extras))
                pending.append((*child, f"required by {name}"))
    return needed


def _applies(requirement: object, environment: dict[str, str], extras: frozenset[str]) -> bool:
    marker = getattr(requirement, "marker", None)
    if marker is None:
        return True
    if "extra" not in str(marker):
        return bool(marker.evaluate(environment))
    return any(marker.evaluate({**environment, "extra": extra}) for extra in extras)


def _requirement_name(text: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)
    return normalize(match.group()) if match else ""


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- adaptgen's own modules ------------------------------------------------------------------


def _prune_adaptgen(staging: Path) -> tuple[list[str], list[str]]:
    """Keep the modules of adaptgen that the runtime imports (transitively, every module of
    `adaptgen.runtime` a root); remove the rest. Returns the top-level names under adaptgen/
    (kept, removed entirely)."""
    package = staging / "adaptgen"
    roots = [_module_name(package, path) for path in sorted((package / "runtime").rglob("*.py"))]
    needed = _import_closure(package, roots)
    for path in sorted(package.rglob("*.py")):
        if path not in needed:
            path.unlink()
    for folder in sorted((p for p in package.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.rglob("*.py")):
            shutil.rmtree(folder)
    kept = sorted({p.relative_to(package).parts[0].removesuffix(".py") for p in needed})
    return kept, []


def removed_modules(source: Path) -> list[str]:
    """The top-level modules of the adaptgen package at `source` the runtime never imports."""
    roots = [_module_name(source, path) for path in sorted((source / "runtime").rglob("*.py"))]
    needed = {p.relative_to(source).parts[0] for p in _import_closure(source, roots)}
    every = {p.relative_to(source).parts[0] for p in source.rglob("*.py")}
    return sorted(name.removesuffix(".py") for name in every - needed)


def _module_name(package: Path, path: Path) -> str:
    parts = path.relative_to(package).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("adaptgen", *parts))


def _import_closure(package: Path, roots: Iterable[str]) -> set[Path]:
    """The files of adaptgen that importing `roots` executes: each imported module, and the
    `__init__.py` of every package on its way."""
    needed: set[Path] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        for source in _files_run_by(package, name):
            if source in needed:
                continue
            needed.add(source)
            pending.extend(
                imported
                for imported in _imports(source)
                if imported == "adaptgen" or imported.startswith("adaptgen.")
            )
    return needed


def _files_run_by(package: Path, name: str) -> list[Path]:
    """The files `import name` runs (a name that is not a module runs its package's)."""
    parts = name.split(".")[1:]
    files = [package / "__init__.py"]
    folder = package
    for part in parts:
        if (folder / part / "__init__.py").is_file():
            folder = folder / part
            files.append(folder / "__init__.py")
        elif (folder / f"{part}.py").is_file():
            files.append(folder / f"{part}.py")
            break
        else:
            break  # an attribute of the module imported so far
    return [f for f in files if f.is_file()]


def _imports(source: Path) -> set[str]:
    """The modules `source` imports anywhere (in functions too: they may run), except under
    `if TYPE_CHECKING:`, which never runs."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking(node.test):
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )
