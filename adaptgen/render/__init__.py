"""Rendering: the catalog printed into `generated/<name>/` with Jinja2, formatted, atomically.

The output is a pure function of the catalog: no timestamps, no absolute paths, no hash order,
so it is byte-identical across runs, machines and hash seeds, and a PR diff shows exactly what
agents will see change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import jinja2

from adaptgen.errors import BuildError
from adaptgen.render import pycode
from adaptgen.runtime.catalog import CATALOG_FILE, Catalog

MCP_PATH = "/mcp"  # where generated servers serve MCP over HTTP (serve --transport http, Lambda)
GENERATED_FILES = ("server.py", CATALOG_FILE, "README.md", "handler.py", "template.yaml")


def templates_dir() -> Path:
    """Templates ship inside the wheel (adaptgen/templates); in a checkout they sit at the top."""
    packaged = Path(__file__).resolve().parents[1] / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - we emit Python and Markdown, every value via a filter
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["py"] = pycode.py_literal
    env.filters["pytype"] = pycode.py_type
    env.filters["pyname"] = pycode.python_name
    env.filters["docstring"] = pycode.docstring
    env.filters["signature"] = pycode.signature_param
    env.filters["wrap"] = pycode.wrap
    env.filters["md"] = _markdown_cell
    env.filters["yaml_str"] = _yaml_string
    env.filters["yaml_comment"] = lambda text: _fit(" ".join(printable(text).split()), 200)
    env.filters["cfn_text"] = lambda text, limit: _fit(printable(text), limit)
    env.filters["camel"] = lambda name: "".join(w.capitalize() for w in name.split("_"))
    env.filters["first_line"] = lambda text: (text or "").strip().split("\n")[0]
    return env


def render(catalog: Catalog) -> dict[str, str]:
    """File name -> text for everything in `generated/<name>/` (Python not yet formatted)."""
    env = _environment()
    context = {
        "api": catalog.info,
        "tools": [t for t in catalog.tools if not t.hidden],
        "chains": catalog.chains,
        "skipped": catalog.skipped,
        "mcp_path": MCP_PATH,
    }
    return {
        "server.py": env.get_template("server.py.j2").render(context),
        CATALOG_FILE: catalog.to_json(),
        "README.md": env.get_template("README.md.j2").render(context),
        "handler.py": env.get_template("handler.py.j2").render(context),
        "template.yaml": env.get_template("template.yaml.j2").render(context),
    }


def format_python(files: dict[str, str]) -> dict[str, str]:
    """Run the pinned ruff formatter (isolated from any user config) over the Python files."""
    from ruff.__main__ import find_ruff_bin

    out = dict(files)
    for name, text in files.items():
        if not name.endswith(".py"):
            continue
        result = subprocess.run(
            [
                find_ruff_bin(),
                "format",
                "--isolated",
                "--line-length",
                "100",
                "--stdin-filename",
                name,
                "-",
            ],
            input=text.encode("utf-8"),
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip()
            raise BuildError(f"generated {name} is not valid Python (a bug in adaptgen): {detail}")
        out[name] = result.stdout.decode("utf-8")
    return out


def write_atomic(target: Path, files: dict[str, str]) -> None:
    """Replace directory `target` with exactly `files`, all at once.

    Everything is written to a sibling temp dir first; only a complete output is swapped in, so
    a failed build leaves the previous `target` exactly as it was.
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        for name, text in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        os.chmod(staging, 0o755)
        if target.exists():
            backup = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, backup)
            try:
                os.replace(staging, target)
            except OSError:
                os.replace(backup, target)
                raise
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


# What no generated text file should hold: C0/C1 controls but tab and newline (a NUL makes git
# show the file as binary, hiding it from review), U+2028/2029 and NEL (line breaks to YAML 1.1,
# so a comment could end early), the BOM, noncharacters and lone surrogates.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]"
)


def printable(text: str | None) -> str:
    """`text` with every character no generated file should hold replaced by a space."""
    return _UNPRINTABLE.sub(" ", text or "")


def _fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes (CloudFormation counts bytes), marked with …."""
    if len(text.encode("utf-8")) <= limit:
        return text
    return text.encode("utf-8")[: limit - 3].decode("utf-8", "ignore") + "…"


def _markdown_cell(text: str) -> str:
    return " ".join(printable(text).split()).replace("|", "\\|")


def _yaml_string(text: str) -> str:
    # A JSON string (ASCII-escaped) is a valid YAML double-quoted scalar, whatever it holds.
    return json.dumps(printable(text))
