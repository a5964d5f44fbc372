"""Governance: identity, access, argument rules, rate limits, PII tokenization and audit.

One layer per concern (adaptgen.runtime.governance.layers, in the order it documents), each
built from its own section of a policy file (adaptgen.runtime.governance.policy), run by
`Governance.run_call` (adaptgen.runtime.governance.middleware). Generated servers run the stack
in-process; `adaptgen proxy` runs the same stack in front of any MCP server.
"""
