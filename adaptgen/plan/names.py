"""Names: tool and argument names that are snake_case, unique, short and still readable."""

from __future__ import annotations

import keyword
import re

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

# Before the last capital of a run that starts a word (`HTTPResponse` -> `HTTP_Response`).
# Lookarounds only: `([A-Z]+)([A-Z][a-z])` said the same but backtracked quadratically on a
# long run of capitals (a 40 KB operationId took 24 s).
_CAMEL_1 = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")


def snake_words(text: str) -> list[str]:
    """Split any identifier-ish text into lower-case words: `getHTTPResponse` -> get, http, ..."""
    text = _CAMEL_1.sub("_", text)
    text = _CAMEL_2.sub(r"\1_\2", text)
    return [w for w in _NON_WORD.split(text.lower()) if w]


def snake_case(text: str) -> str:
    """snake_case of `text`; empty when it has no letters or digits."""
    return "_".join(snake_words(text))


MAX_ENV_WORD = 48  # Lambda holds 4 KB of env vars in all; CloudFormation names stop at 255
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def env_word(text: str) -> str:
    """The env var part made of a spec's name (a security scheme): UPPER_SNAKE, shortened."""
    return shorten(snake_words(text), MAX_ENV_WORD).upper()


def is_env_name(name: str) -> bool:
    """True for a name every shell, Lambda and CloudFormation take as an env var name."""
    return _ENV_NAME.fullmatch(name) is not None


_VERSION_SEGMENT = re.compile(r"^(?:v\d+(?:\.\d+)*|api|rest)$", re.IGNORECASE)


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


def tool_name(
    operation_id: str | None, method: str, path: str, common_prefix: list[str] | None = None
) -> str:
    """A tool name from the operationId, else from the method and path; at most 64 chars.

    Some specs put the whole path into every operationId (`get-/crm/v3/objects/contacts_getPage`);
    such a name keeps the operation's own words and the path words that tell operations apart:
    the segments every path shares (but the last, usually the resource) and versions are dropped.
    """
    path_words = _distinctive_path_words(path, common_prefix or [])
    if operation_id and path.strip("/") and path.lower() in operation_id.lower():
        start = operation_id.lower().index(path.lower())
        rest = snake_words(operation_id[start + len(path) :])
        static = _distinctive_path_words(path, common_prefix or [], with_params=False)
        words = _dedupe(rest + static) if rest else []
    elif operation_id and snake_words(operation_id):
        words = snake_words(operation_id)
    else:
        words = []
    if not words:
        words = _dedupe([method.lower(), *path_words])
    if words[0][0].isdigit():
        words.insert(0, "op")
    return shorten(words, MAX_TOOL_NAME)


def _distinctive_path_words(
    path: str, common_prefix: list[str], *, with_params: bool = True
) -> list[str]:
    segments = [s for s in path.strip("/").split("/") if s]
    keep_from = max(len(common_prefix) - 1, 0)
    words: list[str] = []
    for segment in segments[keep_from:]:
        if segment.startswith("{") and segment.endswith("}"):
            if with_params:
                words += ["by", *snake_words(segment[1:-1])]
        elif not _VERSION_SEGMENT.match(segment):
            words += snake_words(segment)
    return words


def _dedupe(words: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for word in words:
        if word not in seen or word == "by":
            out.append(word)
            seen.add(word)
    return out


def shorten(words: list[str], limit: int) -> str:
    """Join words with `_`, shortening readably (never cutting mid-word) to fit `limit`.

    First well-known abbreviations, then repeated words dropped, then words dropped from the
    middle: the verb at the start and the object at the end say the most.
    """
    name = "_".join(words)
    if len(name) <= limit:
        return name
    words = [_ABBREVIATIONS.get(w, w) for w in words]
    name = "_".join(words)
    if len(name) <= limit:
        return name
    name = "_".join(_drop_middle(list(dict.fromkeys(words)), limit))
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


def unique_name(base: str, taken: set[str], limit: int = MAX_TOOL_NAME) -> str:
    """`base`, or `base_2`, `base_3`... (shortened to fit) when taken; records the result."""
    name = base
    n = 2
    while name in taken:
        suffix = f"_{n}"
        name = shorten(base.split("_"), limit - len(suffix)) + suffix
        n += 1
    taken.add(name)
    return name


def argument_name(api_name: str) -> str:
    """The agent-facing name of a parameter: snake_case, starting with a letter."""
    name = snake_case(api_name) or "value"
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
