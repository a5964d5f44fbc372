"""PII: the agent's tokens turned back into real values on the way in, PII in what comes back
turned into tokens on the way out (see ../pii for the tokenizer and ../redaction.py).

Inside access (a refused call never sees real values) and outside argument rules (they check
the real values the upstream will get, and any value their refusal quotes leaves as a token).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from adaptgen.runtime.governance.call import Call, CallNext, Refused
from adaptgen.runtime.governance.pii import PiiError, PiiTokenizer
from adaptgen.runtime.governance.policy import PiiPolicy
from adaptgen.runtime.governance.redaction import ResultRedactor, redact_error, redact_result

__all__ = ["PiiProtection"]


class PiiProtection:
    """`fields`: each tool's PII paths in its result; `record_fields`: a paginated tool's, per
    record; `tools_redact`: the tools shape their own results with `call.redactor` (generated
    servers), else this layer redacts each finished result (the proxy); `meta_tools`: a search
    tool's results are tool definitions from the spec, not upstream data."""

    def __init__(
        self,
        policy: PiiPolicy,
        tokenizer: PiiTokenizer,
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        record_fields: Mapping[str, Sequence[str]] | None = None,
        tools_redact: bool = False,
        meta_tools: Iterable[str] = (),
    ) -> None:
        self.tokenizer = tokenizer
        self.policy_fields = tuple(policy.fields)
        self.clear_for_groups = frozenset(policy.clear_for_groups)
        self.tools_redact = tools_redact
        self.meta_tools = frozenset(meta_tools)
        self._tool_fields = {k: (*v, *self.policy_fields) for k, v in (fields or {}).items()}
        self._record_fields = {k: tuple(v) for k, v in (record_fields or {}).items()}

    def fields_for(self, tool: str) -> tuple[str, ...]:
        """The PII field paths of a tool's result: its own, then the policy's."""
        return self._tool_fields.get(tool, self.policy_fields)

    async def on_call(self, call: Call, call_next: CallNext) -> Any:
        if call.kind == "tool" and call.tool in self.meta_tools:
            return await call_next(call)
        restored: dict[str, str] = {}
        self._detokenize(call, restored)
        caller = call.caller
        if caller is not None and not self.clear_for_groups.isdisjoint(caller.groups):
            return await call_next(call)
        shaped_here = self.tools_redact and call.kind == "tool"
        if shaped_here:
            call.redactor = ResultRedactor(
                self.tokenizer,
                call,
                fields=self.fields_for(call.tool),
                record_fields=self._record_fields.get(call.tool, ()),
                policy_fields=self.policy_fields,
            )
        try:
            result = await call_next(call)
        except Exception as exc:
            # An upstream's error text may echo what it was sent (a detokenized argument) or
            # hold PII of its own: it leaves as tokens too, like a result.
            raise redact_error(self.tokenizer, call, exc, restored) from None
        if shaped_here:
            return result
        fields = self.fields_for(call.tool)
        return redact_result(self.tokenizer, call, result, fields, self.policy_fields)

    def _detokenize(self, call: Call, restored: dict[str, str]) -> None:
        """The tokens in `call.arguments` turned back into the values they stand for
        (`restored` collects them); `Refused` for a token this server did not issue."""
        try:
            real, count = self.tokenizer.detokenize(call.arguments, restored)
        except PiiError:
            raise Refused(
                "an argument holds a PII token this server did not issue (or one revoked)",
                "denied",
            ) from None
        if count:
            call.arguments = real
