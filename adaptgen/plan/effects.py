"""What a tool may do: read, write or destroy, from its method, name and path.

Access rules grant reads, writes and destructive writes by a tool's annotations, so these must
not come from the HTTP method alone: AWS query APIs declare every action as a GET too
(`GET_DeleteDBInstance`), old RPC APIs act on GET (Etherpad's `/deleteGroup`, Slack's
`GET /apps.uninstall`), AWS's JSON APIs POST every read (`DescribeParameters`), and a search is
often a POST. See docs/DESIGN.md, Governance, "What a tool may do".
"""

from __future__ import annotations

import re

from adaptgen.plan.names import _ACTION_MARK, _NOUNS_TOO, _READING_VERBS
from adaptgen.runtime.http_methods import READ_METHODS
from adaptgen.words import VERBS, snake_words

# Verbs that change what they act on (not `compare`, `ping`, `convert`, `login`, `test`): a GET
# named by one that its path says as an act writes (`changes_on_read`).
_CHANGING_VERBS = frozenset(
    {
        *("create", "add", "insert", "post", "put", "set", "update", "modify", "edit", "change"),
        *("replace", "patch", "rename", "move", "copy", "clone", "duplicate", "delete", "remove"),
        *("destroy", "erase", "purge", "clear", "void", "cancel", "abort", "terminate", "kill"),
        *("revoke", "deauthorize", "disable", "enable", "activate", "deactivate", "reactivate"),
        *("suspend", "unsuspend", "start", "stop", "restart", "reboot", "pause", "resume"),
        *("shutdown", "run", "rerun", "retry", "execute", "trigger", "dispatch", "apply"),
        *("complete", "submit", "approve", "reject", "accept", "decline", "deny", "dismiss"),
        *("archive", "unarchive", "restore", "reset", "rollback", "promote", "demote", "attach"),
        *("detach", "associate", "disassociate", "assign", "unassign", "reassign", "register"),
        *("unregister", "deregister", "subscribe", "unsubscribe", "invite", "join", "leave"),
        *("kick", "ban", "unban", "block", "unblock", "mute", "unmute", "pin", "unpin", "star"),
        *("unstar", "lock", "unlock", "send", "resend", "publish", "unpublish", "import"),
        *("upload", "install", "uninstall", "provision", "deprovision", "authorize", "grant"),
        *("tag", "untag", "mark", "merge", "close", "reopen", "sync", "refresh", "renew"),
        *("rotate", "regenerate", "request", "increase", "decrease", "withdraw"),
        *("advertise", "resize", "rebuild", "reimage", "redeploy", "migrate", "reorder"),
        *("transition", "refund", "capture", "charge", "save", "follow", "unfollow", "share"),
        *("unshare", "link", "unlink", "append", "prepend"),
    }
)
# The verbs an action a path key names may read by (AWS query APIs' `Describe...`,
# `Simulate...`, SimpleDB's `Select`); any other such action writes (`changes_on_read`).
_READING_ACTIONS = frozenset(
    {
        *("describe", "get", "list", "search", "select", "simulate", "decode", "estimate"),
        *("validate", "check", "retrieve", "download", "lookup", "query", "count", "preview"),
        *("calculate", "show", "find", "fetch", "view", "read", "scan"),
    }
)
# An AWS action in a path key: the query API's `#Action=X` (or `?Action=X&...`), the JSON
# API's `#X-Amz-Target=S.X`.
_AWS_ACTION = re.compile(r"(?:[#?&]Action=|#X-Amz-Target=[\w-]+\.)([A-Za-z0-9]+)(?:&|$)")
# Reading verbs generators put after a group (`Lock_GetEnvelopeLock`, `Schedule_ListBy...`);
# not `read`, which names things too (a read replica).
_GENERATED_READS = _READING_VERBS - {"read"}
# Acts that name things too, first in a compound noun (`StopPoint`, `follow-ups`), beside
# `_NOUNS_TOO`: an act only as a whole path segment (`says_act`).
_NOUN_LIKE_ACTS = frozenset({"stop", "follow", "start", "complete"})
# Verbs that destroy what they act on, whatever the method (`destroys`).
_DESTROYING_VERBS = frozenset(
    {
        *("delete", "remove", "destroy", "erase", "purge", "terminate", "void", "discard"),
        *("clear", "revoke", "uninstall", "deregister", "unregister", "deprovision", "kill"),
    }
)


def _selector_act(selector: tuple[str, ...]) -> list[str]:
    """The act a path key's words name (`#Action=DeleteDBInstance`: delete db instance)."""
    act = [w.lstrip(_ACTION_MARK) for w in selector]
    return act[1:] if act[:1] == ["action"] else act


def says_act(name: str, path: str, selector: tuple[str, ...] = ()) -> bool:
    """Whether the path says the name's verb as an act: the path key's words begin with it
    (AWS query's `/#Action=DeleteDBInstance`), or the path's last literal segment does
    (Etherpad's `/deleteGroup`, `/trainings/{key}/start`, `/stop/{scan_id}`) or ends with it
    after a dot or a colon (Slack's `/files.delete`, Google's `/{parent}/things:search`). A
    verb that names things too is an act only as the whole segment (`/link-tracking`, TfL's
    `/Line/{id}/StopPoints`, `/follow-ups` are things), and a segment more literal segments
    follow is a thing (TfL's `/StopPoint/{id}/Arrivals`, `/sync/edge/status`)."""
    verb = name.split("_")[0]
    if _selector_act(selector)[:1] == [verb]:
        return True
    literal = [s for s in path.split("/") if s and not s.startswith("{")]
    if not literal:
        return False
    said = snake_words(literal[-1])
    # After a dot or a colon the method comes last (Slack's `files.delete`, Google's `:search`).
    last = said[-1:] == [verb] and ("." in literal[-1] or ":" in literal[-1])
    if verb in _NOUNS_TOO or verb in _NOUN_LIKE_ACTS:
        return said == [verb] or last
    return said[:1] == [verb] or last


def changes_on_read(name: str, path: str, selector: tuple[str, ...] = ()) -> bool:
    """Whether a GET changes things, as its name and its path both say (AWS's actions are
    `aws_action_reads`'). An action key's value that starts with a verb (`?action=delete`;
    not Flickr's `?method=flickr.groups.getInfo`) reads only when that verb does
    (`_READING_ACTIONS`: describe, get, list, ...). Elsewhere the name's verb changes things
    (`delete`, `start`, not `compare` or `ping`), no generator's reading verb follows it
    (Azure's `Lock_GetEnvelopeLock`), and the path says it as an act (`says_act`). Such a GET
    is no read: it is not annotated read-only, and a caller granted only reads cannot call
    it."""
    words = name.split("_")
    act = _selector_act(selector)
    named = selector[:1] != () and selector[0].startswith(_ACTION_MARK) and act[0] in VERBS
    if named and act[:1] == words[:1]:
        return act[0] not in _READING_ACTIONS
    return (
        words[0] in _CHANGING_VERBS
        and _GENERATED_READS.isdisjoint(words[1:])
        and says_act(name, path, selector)
    )


def aws_action_verb(key: str) -> str | None:
    """The verb of the AWS action a path key names (a query API's `/#Action=DeleteDBInstance`
    or `/?Action=DeleteDBInstance&Version=...`, a JSON API's
    `/#X-Amz-Target=AmazonSSM.GetParameters`; `BatchGetItem`'s is `get`), or None for another
    key."""
    found = _AWS_ACTION.search(key)
    if found is None:
        return None
    words = snake_words(found[1])
    return words[1] if words[:1] == ["batch"] and len(words) > 1 else words[0]


def aws_action_reads(key: str) -> bool | None:
    """Whether the AWS action a path key names reads, by its verb (`_READING_ACTIONS`), None
    for another key. AWS names every action so, and its own ReadOnlyAccess policy grants
    `Describe*`, `Get*`, `List*`: a caller granted reads may call them, whatever the method
    (a JSON API POSTs them all)."""
    verb = aws_action_verb(key)
    return None if verb is None else verb in _READING_ACTIONS


def searches(name: str, path: str, selector: tuple[str, ...] = ()) -> bool:
    """Whether a POST is a search, as its name and its path both say (HubSpot's
    `POST /crm/v3/objects/contacts/search`, Jira's `POST /rest/api/2/search`, Google's
    `:search`): a read sent as a POST for its long filters, annotated read-only, so a caller
    granted reads can search."""
    return name.split("_")[0] == "search" and says_act(name, path, selector)


def destroys(name: str, path: str, selector: tuple[str, ...] = (), key: str = "") -> bool:
    """Whether an operation of any method deletes, as its name and its path both say (Slack's
    `POST /files.delete`) or the AWS action its path `key` names (`GET_DeleteDBInstance`,
    SSM's `DeleteParameter`): it is annotated destructive, as a DELETE is."""
    verb = aws_action_verb(key)
    if verb is not None:
        return verb in _DESTROYING_VERBS
    return name.split("_")[0] in _DESTROYING_VERBS and says_act(name, path, selector)


def annotations(
    method: str, name: str, path: str, selector: tuple[str, ...], key: str
) -> dict[str, bool]:
    """The MCP annotations of an operation (only what differs from MCP's defaults: readOnlyHint
    false, idempotentHint false): `key` is its path key as the spec writes it, `path` and
    `selector` what `split_path_key` makes of it."""
    upper = method.upper()
    found: dict[str, bool] = {}
    reads = aws_action_reads(key)  # AWS names each action by its verb, whatever the method
    if reads is None:
        reads = (
            not changes_on_read(name, path, selector)
            if upper in READ_METHODS
            else upper == "POST" and searches(name, path, selector)
        )
    if reads:
        found["readOnlyHint"] = True
    elif upper == "DELETE" or destroys(name, path, selector, key):
        found["destructiveHint"] = True  # AWS's `GET_DeleteDBInstance` too
    if upper in ("PUT", "DELETE"):
        found["idempotentHint"] = True
    return found
