"""Governance: identity, access, rate limits, PII tokenization, audit and tracing.

One FastMCP middleware per concern (adaptgen.runtime.governance.middleware), configured by a
policy file (adaptgen.runtime.governance.policy). Generated servers mount the stack in-process;
`adaptgen proxy` mounts the same stack in front of any MCP server.
"""
