"""A bounded fuzz of `adaptgen build` on hostile specs (issue 12).

The property: every input either builds or fails with exit 2 and a located message; never a
traceback, hang or blow-up; and no string of the spec ever becomes code (the generated Python
parses, and the payload appears in it only inside string literals and comments).

Hypothesis runs in a child process under a memory limit and a timeout (see `sec_build`), so a
regression shows as a failure here, not as a CI machine out of memory. Derandomized: the same
examples on every run.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PAYLOAD = "__import__('os').system('touch PWNED')"
FRAGMENTS = [
    PAYLOAD,
    '"""',
    "'''",
    "\n",
    "\r\n",
    "\x00",
    "\x1b",
    "\u2028",
    "\x85",
    "{{ x }}",
    "{% if %}",
    "# ",
    ": ",
    "- ",
    "&a ",
    "*a",
    "!Ref ",
    "${env:X}",
    "\\",
    "é",
    "/",
    "{id}",
    "A" * 300,
]
HOSTILE = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=5).map("".join)
EXAMPLES = 100


def nested(depth: int) -> object:
    value: object = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@st.composite
def documents(draw: st.DrawFn) -> dict:
    hostile = draw(st.lists(HOSTILE, min_size=12, max_size=12))
    if draw(st.integers(0, 9)) == 7:  # a lone surrogate: rare, it fails the whole spec early
        hostile[0] += "\ud800"
    param_in = draw(st.sampled_from(["query", "header", "path", "cookie"]))
    scheme = {
        "type": "apiKey",
        "in": draw(st.sampled_from(["header", "query"])),
        "name": hostile[9],
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": hostile[0], "version": hostile[1], "description": hostile[2]},
        "servers": [{"url": "https://api.example/" + hostile[3]}],
        "components": {"securitySchemes": {hostile[10] or "k": scheme}},
        "security": [{hostile[10] or "k": []}],
        "x-deep": nested(draw(st.sampled_from([0, 0, 0, 40, 300]))),
        "paths": {
            "/things/" + hostile[4] + "/{id}": {
                "post": {
                    "operationId": hostile[5] or None,
                    "summary": hostile[6],
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": hostile[7] or "p",
                            "in": param_in,
                            "required": param_in == "path",
                            "description": hostile[8],
                            "schema": {"type": "string", "enum": [hostile[8], hostile[11]]},
                        },
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {hostile[11] or "f": {"type": "integer"}},
                                }
                            }
                        }
                    },
                    "responses": {"200": {"description": hostile[2] or "ok"}},
                }
            }
        },
    }


def as_text(document: dict, kind: str, bomb_levels: int) -> str:
    if kind == "json":
        return json.dumps(document, ensure_ascii=True)
    import yaml

    text = yaml.safe_dump(document, allow_unicode=False, width=10_000)
    if bomb_levels:  # aliases of aliases: 9**levels strings when expanded
        lines = ['x-l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        for n in range(1, bomb_levels + 1):
            lines.append(f"x-l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]")
        text += "\n".join(lines) + "\n"
    return text


def code_outside_strings(source: str) -> str:
    """The Python source without its string literals and comments."""
    kept = [
        token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type not in (tokenize.STRING, tokenize.COMMENT)
        and token.type != getattr(tokenize, "FSTRING_MIDDLE", -1)
    ]
    return " ".join(kept)


def check_one(document: dict, kind: str, bomb_levels: int) -> None:
    from adaptgen.cli import main

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        spec = root / f"fuzz.{kind}"
        spec.write_text(as_text(document, kind, bomb_levels), encoding="utf-8")
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = main(["build", "-q", str(spec), "--out", str(root / "out"), "--name", "fuzz"])
        message = stderr.getvalue()
        assert code in (0, 2), message
        if code == 2:
            assert re.match(r"adaptgen: error: \S*fuzz\.(json|yaml):\d+", message), message
            return
        for name in ("server.py", "handler.py"):
            source = (root / "out/fuzz" / name).read_text(encoding="utf-8")
            compile(source, name, "exec")
            assert "PWNED" not in code_outside_strings(source), name
        assert not (root / "PWNED").exists() and not Path("PWNED").exists()


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    documents(),
    st.sampled_from(["json", "yaml"]),
    st.sampled_from([0, 0, 0, 3, 9]),
)
def fuzz_build(document: dict, kind: str, bomb_levels: int) -> None:
    check_one(document, kind, bomb_levels)


def test_hostile_specs_build_or_fail_located_under_a_memory_and_time_guard():
    from sec_build import MEMORY_LIMIT, TIME_LIMIT, _limit_memory

    done = subprocess.run(
        [sys.executable, __file__],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT * 3,
        preexec_fn=_limit_memory,  # noqa: PLW1509 - no threads are started before the fork
        check=False,
        cwd=tempfile.gettempdir(),
    )
    assert done.returncode == 0, f"(memory limit {MEMORY_LIMIT})\n{done.stdout}\n{done.stderr}"


if __name__ == "__main__":
    fuzz_build()
