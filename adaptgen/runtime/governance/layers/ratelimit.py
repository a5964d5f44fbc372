"""Rate limit: token buckets per group and per user, shared through the policy's backend.

Inside identity (buckets are the caller's) and outside access, so a caller hammering tools it
may not use is slowed down too. A resource read or a prompt draws on the buckets like a call.
"""

from __future__ import annotations

from typing import Any

from adaptgen.runtime.governance import ratelimit
from adaptgen.runtime.governance.call import Call, CallNext, Refused
from adaptgen.runtime.governance.policy import Rate, RateLimitPolicy
from adaptgen.runtime.identity import Caller
from adaptgen.runtime.secrets import SecretResolver

__all__ = ["RateLimit"]


class RateLimit:
    def __init__(self, policy: RateLimitPolicy) -> None:
        self.fail_open = policy.fail_open
        self.limiter = ratelimit.RateLimiter(
            _backend(policy),
            groups={g: _limit(r) for g, r in policy.groups.items()},
            per_user=_limit(policy.per_user),
            default_group=_limit(policy.default),
        )

    @classmethod
    def from_policy(cls, policy: RateLimitPolicy) -> RateLimit | None:
        """The layer, or None when the policy sets no limit (nothing to check per call)."""
        return cls(policy) if policy.groups or policy.per_user or policy.default else None

    async def on_call(self, call: Call, call_next: CallNext) -> Any:
        caller = call.caller or Caller()
        try:
            decision = await self.limiter.check(caller.subject or "anonymous", caller.groups)
        except ratelimit.RateLimitBackendError:
            if not self.fail_open:
                call.decision = "deny: rate limiter unavailable"
                raise Refused("rate limiter unavailable: try again later", "rate_limited") from None
            decision = None
        if decision is not None and not decision.allowed:
            call.decision = f"deny: rate limit {decision.key}"
            raise Refused(
                f"rate limit exceeded ({decision.key}); retry after "
                f"{max(decision.retry_after, 0.001):.1f}s",
                "rate_limited",
            )
        return await call_next(call)


def _limit(rate: Rate | None) -> ratelimit.Limit | None:
    return ratelimit.Limit.per_minute(rate.per_minute, rate.burst) if rate else None


def _backend(policy: RateLimitPolicy) -> Any:
    if policy.backend == "redis":
        url = SecretResolver().render(policy.redis_url)
        return ratelimit.PerLoopBackend(lambda: ratelimit.RedisBackend(url))
    if policy.backend == "dynamodb":
        return ratelimit.DynamoDbBackend(policy.dynamodb_table, region=policy.region)
    return ratelimit.MemoryBackend()
