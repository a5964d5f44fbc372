"""Access decisions: which tools a caller sees, and whether a call may go through.

Rules grant tool-name globs to groups, scopes or users; a matching `deny` always wins; a tool
that is not read-only needs a rule granting `writes`, a destructive one a rule granting
`destructive`. Optional Cedar policies (cedarpy) are checked on top: both must allow.

Resources and prompts are decided by the same rules under the names `resource:<uri>` (a
resource template: `resource:<uri template>` when listed, the URI read when read) and
`prompt:<name>`, as read-only: `allow: ["*"]` grants them, `deny: ["resource:*"]` takes them away.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adaptgen.runtime.governance.policy import AccessPolicy, AccessRule, ArgumentRule
from adaptgen.runtime.identity import Caller


@dataclass(frozen=True)
class ToolFacts:
    """What access rules look at about a tool."""

    name: str
    read_only: bool
    destructive: bool
    # A search-mode server's search tool or call proxy. They reach only what the caller may use
    # (search lists the caller's tools; each proxied call is decided as the tool it names), so
    # every caller a rule applies to sees them, unless a rule denies them by name.
    meta: bool = False

    @classmethod
    def of(cls, tool: Any, *, meta: bool = False) -> ToolFacts:
        """From a FastMCP Tool (its MCP annotations; absent hints mean 'may write')."""
        annotations = getattr(tool, "annotations", None)
        read_only = bool(getattr(annotations, "read_only_hint", None))
        destructive = bool(getattr(annotations, "destructive_hint", None))
        return cls(tool.name, read_only, destructive and not read_only, meta)

    @classmethod
    def of_listing(cls, tool: Mapping[str, Any]) -> ToolFacts:
        """From a tool as listed on the wire (a dict with camelCase MCP annotations)."""
        annotations = tool.get("annotations") or {}
        read_only = bool(annotations.get("readOnlyHint"))
        destructive = bool(annotations.get("destructiveHint"))
        return cls(tool["name"], read_only, destructive and not read_only)

    @classmethod
    def of_resource(cls, uri: object) -> ToolFacts:
        """A resource (or resource template) as access rules see it: `resource:<uri>`, read-only."""
        return cls(f"resource:{uri}", True, False)

    @classmethod
    def of_prompt(cls, name: str) -> ToolFacts:
        """A prompt as access rules see it: `prompt:<name>`, read-only."""
        return cls(f"prompt:{name}", True, False)


@dataclass(frozen=True)
class Decision:
    """allow or deny, with the reason recorded in the audit line."""

    allowed: bool
    reason: str

    def __str__(self) -> str:
        return "allow" if self.allowed else f"deny: {self.reason}"


class AccessControl:
    """Evaluates an AccessPolicy for callers and tools."""

    def __init__(self, policy: AccessPolicy, base_dir: Path | None = None) -> None:
        self.policy = policy
        self._cedar = _load_cedar(policy, base_dir) if policy.cedar else None

    def decide(self, caller: Caller, tool: ToolFacts) -> Decision:
        """Whether `caller` may see and call `tool`."""
        rules = [r for r in self.policy.rules if applies(r, caller)]
        if not rules:
            return Decision(False, "no access rule applies to this caller")
        for rule in rules:
            if _matches(rule.deny, tool.name):
                return Decision(False, f"{tool.name} is denied by policy")
        if tool.meta:
            return Decision(True, "search-mode tool: each call it makes is decided on its own")
        granting = [r for r in rules if _matches(r.allow, tool.name)]
        if not granting:
            return Decision(False, f"{tool.name} is not granted to this caller")
        if not tool.read_only and not any(r.writes for r in granting):
            return Decision(False, f"{tool.name} writes, and writes are not granted")
        if tool.destructive and not any(r.destructive for r in granting):
            return Decision(False, f"{tool.name} is destructive, which is not granted")
        if self._cedar is not None and not self._cedar(caller, tool):
            return Decision(False, "denied by Cedar policy")
        return Decision(True, "granted")

    def admits(self, caller: Caller) -> bool:
        """Whether any tool could be granted to `caller`: a rule that applies to it allows some
        tool, and none that applies denies every tool. (The HTTP front door answers 403 to a
        verified caller it does not admit, before any MCP message.)"""
        rules = [r for r in self.policy.rules if applies(r, caller)]
        return any(r.allow for r in rules) and not any("*" in r.deny for r in rules)


def applies(rule: AccessRule | ArgumentRule, caller: Caller) -> bool:
    """Whether `rule` is for `caller`: one of its groups, scopes or users (all, if none)."""
    if not (rule.groups or rule.scopes or rule.users):
        return True
    scopes = set(caller.claims.get("scopes", []) if caller.claims else [])
    return bool(
        set(rule.groups) & set(caller.groups)
        or set(rule.scopes) & scopes
        or (caller.subject is not None and caller.subject in rule.users)
    )


def _matches(globs: list[str], name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, glob) for glob in globs)


def _load_cedar(policy: AccessPolicy, base_dir: Path | None) -> Any:
    try:
        import cedarpy
    except ImportError as exc:  # pragma: no cover - cedarpy is a declared dependency
        raise RuntimeError(
            "access.cedar needs the cedarpy package (a Lambda zip has it when packaged with "
            "this policy, or with `adaptgen package --with cedar`)"
        ) from exc
    assert policy.cedar is not None
    path = Path(policy.cedar.policies)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    text = path.read_text(encoding="utf-8")

    def allowed(caller: Caller, tool: ToolFacts) -> bool:
        principal = f'User::"{caller.subject or "anonymous"}"'
        entities = [
            {
                "uid": {"type": "User", "id": caller.subject or "anonymous"},
                "attrs": {"groups": list(caller.groups)},
                "parents": [{"type": "Group", "id": g} for g in caller.groups],
            },
            *(
                {"uid": {"type": "Group", "id": g}, "attrs": {}, "parents": []}
                for g in caller.groups
            ),
            {
                "uid": {"type": "Tool", "id": tool.name},
                "attrs": {"read_only": tool.read_only, "destructive": tool.destructive},
                "parents": [],
            },
        ]
        request = {
            "principal": principal,
            "action": 'Action::"call"',
            "resource": f'Tool::"{tool.name}"',
            "context": {"read_only": tool.read_only, "destructive": tool.destructive},
        }
        result = cedarpy.is_authorized(request, text, entities)
        return result.decision == cedarpy.Decision.Allow

    return allowed
