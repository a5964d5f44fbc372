"""Rate limits for tool calls: token buckets per user group and per user, on shared backends.

Why: one team (or one runaway agent) must not starve the others of a legacy API's capacity. A
generated server often runs as many instances at once (Lambda), so the buckets live in a shared
backend and every check-and-take is atomic there:

* `MemoryBackend`: per process (tests, a single long-running server).
* `RedisBackend`: one Lua script per check; Redis runs scripts atomically, and the script reads
  the clock with Redis `TIME`, so every instance uses the same clock.
* `DynamoDbBackend`: read, compute, then a conditional write on a `version` attribute
  (optimistic concurrency, retried on conflict); a TTL attribute lets idle buckets expire.

Token bucket: a bucket holds at most `burst` tokens and refills continuously at `rate` tokens
per second; a call costs one token. A bucket that is not stored is full, so idle buckets may
expire (Redis key expiry, DynamoDB TTL) once they would be full again without changing any
decision.

`RateLimiter.check(user, groups)` charges, all or nothing, the caller's user bucket
(`user:<subject>`, when `per_user` is set) and ONE group bucket (`group:<name>`):

* A caller in several limited groups is charged to the most generous of them (highest rate, then
  highest burst, then the first name in sort order). Why: a group limit is a team's share of the
  API. Membership in an extra group should never lower what a caller may do (someone in both
  `free` and `premium` gets `premium`), and charging every group would let one call drain several
  teams' shares, which is the cross-team starvation the limits exist to prevent. The per-user
  limit is what stops one person from using up a team's share.
* A caller in no limited group is charged to the shared `default_group` bucket (`group-default`,
  a key no group name can produce), when one is configured; otherwise only the user bucket.
* If any bucket refuses, nothing is taken from any of them (one atomic operation per backend),
  and the `Decision` carries the longest `retry_after`.

Clocks: Redis uses the server's `TIME`. `MemoryBackend` uses `time.monotonic`; DynamoDB uses the
process wall clock (`time.time`), so instances sharing a table must have synced clocks (NTP;
Lambda hosts are). A clock that lags behind the stored timestamp simply sees no refill (the
stored timestamp never moves backwards), so skew errs towards limiting, never towards extra
calls. Both take a `clock` argument for tests.

Errors: a backend that cannot answer (Redis down, DynamoDB throttling, missing table) raises
`RateLimitBackendError`. Whether to then allow the call (fail open) or refuse it (fail closed)
is the caller's decision; the governance layer fails closed by default.
"""

from __future__ import annotations

import asyncio
import math
import random
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "DEFAULT_GROUP_KEY",
    "Decision",
    "DynamoDbBackend",
    "Limit",
    "MemoryBackend",
    "RateLimitBackend",
    "RateLimitBackendError",
    "RateLimiter",
    "RedisBackend",
]

# The bucket shared by callers in no limited group. Group keys are "group:<name>", so no group
# name can collide with it.
DEFAULT_GROUP_KEY = "group-default"

# Refill is float arithmetic: 6 s at 10/min may come out as 0.9999999999999999 tokens. The
# epsilon keeps such a bucket from refusing a call it can pay for.
_EPSILON = 1e-9


class RateLimitBackendError(RuntimeError):
    """The rate-limit backend could not answer; the caller chooses fail open or fail closed."""


@dataclass(frozen=True)
class Limit:
    """A token bucket: `burst` tokens at most, refilled at `rate` tokens per second."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"rate must be a positive number of tokens per second: {self.rate}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1: {self.burst}")

    @classmethod
    def per_minute(cls, n: int, burst: int | None = None) -> Limit:
        """`n` calls per minute. `burst` defaults to `n`: a fresh caller may spend the minute's
        allowance at once, then gets one call every 60/n seconds."""
        if n < 1:
            raise ValueError(f"per_minute needs at least 1 call: {n}")
        return cls(rate=n / 60, burst=n if burst is None else burst)

    def seconds_to_full(self, tokens: float) -> float:
        """Seconds until a bucket holding `tokens` is full again (when it may be forgotten)."""
        return max(0.0, self.burst - tokens) / self.rate


@dataclass(frozen=True)
class Decision:
    """The outcome of a check.

    `remaining`: whole tokens left in the tightest bucket (after this call's take when allowed).
    `retry_after`: seconds until the refusing buckets hold enough tokens for the call (one token
    for the usual cost of 1); 0 when allowed. `key`: the refusing bucket with the longest wait,
    or, when allowed, the bucket with the fewest tokens left ("" when no limit applies).
    """

    allowed: bool
    remaining: int
    retry_after: float
    key: str


Bucket = tuple[str, Limit]


@runtime_checkable
class RateLimitBackend(Protocol):
    """Where buckets live. Both methods are atomic: concurrent callers never overdraw a bucket."""

    async def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        """Take `cost` tokens from one bucket, or nothing if it holds fewer."""
        ...

    async def take_all(self, buckets: Sequence[Bucket], cost: int = 1) -> Decision:
        """Take `cost` tokens from every bucket, or from none if any holds fewer."""
        ...


def _validate(buckets: Sequence[Bucket], cost: int) -> None:
    if not buckets:
        raise ValueError("take_all needs at least one bucket")
    if len({key for key, _ in buckets}) != len(buckets):
        raise ValueError(f"duplicate bucket keys: {[key for key, _ in buckets]}")
    if cost < 1:
        raise ValueError(f"cost must be at least 1: {cost}")
    for key, limit in buckets:
        # Such a call could never be allowed; refusing it with a retry_after would be a lie.
        if cost > limit.burst:
            raise ValueError(f"cost {cost} exceeds the burst {limit.burst} of {key}")


def _refill(limit: Limit, tokens: float | None, stamp: float | None, now: float) -> float:
    """Tokens in a bucket at `now`; a bucket never stored (or expired) is full."""
    if tokens is None or stamp is None:
        return float(limit.burst)
    # max(0, ...): a clock behind the stored stamp sees no refill (never a negative one).
    return min(float(limit.burst), tokens + max(0.0, now - stamp) * limit.rate)


def _fits(level: float, cost: int) -> bool:
    return level + _EPSILON >= cost


def _decide(buckets: Sequence[Bucket], levels: Sequence[float], cost: int) -> Decision:
    """The combined decision for buckets holding `levels` tokens (before the take)."""
    refused = [
        (key, (cost - level) / limit.rate)
        for (key, limit), level in zip(buckets, levels, strict=True)
        if not _fits(level, cost)
    ]
    if refused:
        key, wait = max(refused, key=lambda item: item[1])
        remaining = min(math.floor(level + _EPSILON) for level in levels)
        return Decision(allowed=False, remaining=max(0, remaining), retry_after=wait, key=key)
    left = [max(0.0, level - cost) for level in levels]
    tightest = min(range(len(buckets)), key=lambda i: left[i])
    return Decision(
        allowed=True,
        remaining=math.floor(left[tightest] + _EPSILON),
        retry_after=0.0,
        key=buckets[tightest][0],
    )


class MemoryBackend:
    """Buckets in this process's memory: safe for asyncio tasks and threads, not shared.

    Uses `time.monotonic` by default (immune to wall-clock jumps); pass `clock` in tests.
    Buckets that would be full again are swept every `sweep_every` takes, so memory stays
    bounded by the buckets active in the last refill period.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, sweep_every: int = 1024
    ) -> None:
        self._clock = clock
        self._sweep_every = sweep_every
        self._takes = 0
        # key -> (tokens, stamp, time at which the bucket is full again)
        self._buckets: dict[str, tuple[float, float, float]] = {}
        # A thread lock, never held across an await: the take has no await inside, so it is
        # atomic for tasks; the lock also covers callers on other threads or event loops.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    async def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        """Take `cost` tokens from one bucket, or nothing if it holds fewer."""
        return await self.take_all([(key, limit)], cost)

    async def take_all(self, buckets: Sequence[Bucket], cost: int = 1) -> Decision:
        """Take `cost` tokens from every bucket, or from none if any holds fewer."""
        _validate(buckets, cost)
        with self._lock:
            now = self._clock()
            stored = [self._buckets.get(key) for key, _ in buckets]
            levels = [
                _refill(limit, state[0], state[1], now) if state else float(limit.burst)
                for (_, limit), state in zip(buckets, stored, strict=True)
            ]
            decision = _decide(buckets, levels, cost)
            if decision.allowed:
                for (key, limit), level, state in zip(buckets, levels, stored, strict=True):
                    tokens = max(0.0, level - cost)
                    stamp = max(now, state[1]) if state else now
                    self._buckets[key] = (tokens, stamp, stamp + limit.seconds_to_full(tokens))
            self._takes += 1
            if self._takes % self._sweep_every == 0:
                self._sweep(now)
        return decision

    def _sweep(self, now: float) -> None:
        for key in [key for key, (_, _, full_at) in self._buckets.items() if full_at <= now]:
            del self._buckets[key]


# KEYS: the bucket keys. ARGV: cost, epsilon, then rate and burst for each key in turn.
# Returns {1 if taken else 0, tokens in each bucket before the take (as strings: Redis would
# truncate Lua numbers to integers)}. Check all, then take all: nothing is written on refusal.
_TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost = tonumber(ARGV[1])
local eps = tonumber(ARGV[2])
local levels, stamps, allowed = {}, {}, 1
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i + 1])
  local burst = tonumber(ARGV[2 * i + 2])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens, ts = tonumber(state[1]), tonumber(state[2])
  if tokens and ts then
    levels[i] = math.min(burst, tokens + math.max(0, now - ts) * rate)
    stamps[i] = math.max(now, ts)
  else
    levels[i] = burst
    stamps[i] = now
  end
  if levels[i] + eps < cost then allowed = 0 end
end
if allowed == 1 then
  for i, key in ipairs(KEYS) do
    local rate = tonumber(ARGV[2 * i + 1])
    local burst = tonumber(ARGV[2 * i + 2])
    local left = math.max(0, levels[i] - cost)
    redis.call('HSET', key, 'tokens', string.format('%.17g', left),
      'ts', string.format('%.17g', stamps[i]))
    -- Forget the bucket once it would be full again (+1 s margin): an absent bucket is full.
    redis.call('PEXPIRE', key, string.format('%d', math.ceil((burst - left) / rate * 1000) + 1000))
  end
end
local out = {allowed}
for i = 1, #KEYS do out[i + 1] = string.format('%.17g', levels[i]) end
return out
"""


class RedisBackend:
    """Buckets in Redis, shared by every instance pointing at the same server.

    Each check is ONE Lua script (Redis runs scripts atomically), timed by Redis `TIME`. Keys are
    `prefix + key` (a hash with `tokens` and `ts`) and expire once they would be full again.
    Redis Cluster: a check touches several keys, which must share a slot; use a hash-tagged
    prefix such as `"{adaptgen:rl}:"`.

    `url` is ignored when `client` (a `redis.asyncio.Redis`) is given. Without a client, the one
    created from `url` has short timeouts and two quick reconnect retries: a rate check sits in
    front of every tool call, so a dead Redis must surface as `RateLimitBackendError` in about a
    second, not hang the call. (A retry after a lost reply may take a token twice: that errs on
    the side of limiting.)
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        prefix: str = "adaptgen:rl:",
        client: Redis | None = None,
        timeout: float = 1.0,
    ) -> None:
        # Imported here so that memory and DynamoDB users do not need the redis package.
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialWithJitterBackoff

        if client is None:
            if url is None:
                raise ValueError("RedisBackend needs a url or a client")
            client = aioredis.from_url(
                url,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                retry=Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.1), retries=2),
            )
            self._owns_client = True
        else:
            self._owns_client = False
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_TAKE_SCRIPT)

    async def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        """Take `cost` tokens from one bucket, or nothing if it holds fewer."""
        return await self.take_all([(key, limit)], cost)

    async def take_all(self, buckets: Sequence[Bucket], cost: int = 1) -> Decision:
        """Take `cost` tokens from every bucket, or from none if any holds fewer (one script)."""
        from redis.exceptions import RedisError

        _validate(buckets, cost)
        keys = [self.prefix + key for key, _ in buckets]
        args: list[str | int] = [cost, repr(_EPSILON)]
        for _, limit in buckets:
            args += [repr(float(limit.rate)), limit.burst]
        try:
            reply = await self._script(keys=keys, args=args)
        except (RedisError, OSError) as error:
            raise RateLimitBackendError(
                f"Redis rate-limit backend failed ({type(error).__name__}: {error})"
            ) from error
        levels = [float(level) for level in reply[1:]]
        decision = _decide(buckets, levels, cost)
        if decision.allowed != bool(int(reply[0])):  # the same rule on both sides; guard drift
            raise RateLimitBackendError(f"Redis script and client disagree on {keys}: {reply}")
        return decision

    async def aclose(self) -> None:
        """Close the client if this backend created it."""
        if self._owns_client:
            await self.client.aclose()


class DynamoDbBackend:
    """Buckets in a DynamoDB table, shared by every instance using the table.

    Table: partition key `pk` (string); see `create_table`. Item attributes: `tokens`, `ts`
    (epoch seconds of the process clock: instances need synced clocks, i.e. NTP), `version`
    (bumped on every write) and `expires_at` (the TTL attribute: epoch seconds at which the
    bucket is full again, so DynamoDB may delete it; TTL deletion is lazy, and a stale item reads
    as full anyway, so correctness never depends on it).

    A take reads the items (strongly consistent), decides, and writes back only when allowed:
    one bucket with a conditional `UpdateItem`, several with a `TransactWriteItems` of
    conditional updates (all or nothing). The condition is "version unchanged" (or "item still
    absent"); on conflict the take is retried from the read, up to `max_attempts` times with
    jittered backoff, then `RateLimitBackendError`. Refusals write nothing, so they never
    conflict. Optimistic concurrency suits moderate rates per bucket; for a very hot bucket
    (hundreds of calls per second) prefer Redis.

    boto3 is blocking: each take runs in a worker thread (`asyncio.to_thread`).
    `conflicts` counts the retries (for metrics).
    """

    def __init__(
        self,
        table: str,
        *,
        client: Any = None,
        region: str | None = None,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 8,
    ) -> None:
        if client is None:
            import boto3

            client = boto3.client("dynamodb", region_name=region)
        self.client = client
        self.table = table
        self._clock = clock
        self._max_attempts = max_attempts
        self.conflicts = 0
        self._lock = threading.Lock()

    def create_table(self, *, wait: bool = True) -> None:
        """Create the table (on-demand capacity) with TTL on `expires_at`. For tests and dev;
        production tables belong in infrastructure code, with the same schema."""
        self.client.create_table(
            TableName=self.table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        if wait:
            self.client.get_waiter("table_exists").wait(
                TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
            )
        self.client.update_time_to_live(
            TableName=self.table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )

    async def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        """Take `cost` tokens from one bucket, or nothing if it holds fewer."""
        return await self.take_all([(key, limit)], cost)

    async def take_all(self, buckets: Sequence[Bucket], cost: int = 1) -> Decision:
        """Take `cost` tokens from every bucket, or from none if any holds fewer."""
        _validate(buckets, cost)
        return await asyncio.to_thread(self._take_blocking, list(buckets), cost)

    def _take_blocking(self, buckets: list[Bucket], cost: int) -> Decision:
        from botocore.exceptions import BotoCoreError, ClientError

        for attempt in range(self._max_attempts):
            try:
                decision, updates = self._attempt(buckets, cost)
                if not updates:
                    return decision
                if len(updates) == 1:
                    self.client.update_item(**updates[0])
                else:
                    self.client.transact_write_items(
                        TransactItems=[{"Update": update} for update in updates]
                    )
                return decision
            except _Retry:
                pass
            except ClientError as error:
                if not _is_conflict(error):
                    raise _dynamodb_error(error) from error
            except BotoCoreError as error:
                raise _dynamodb_error(error) from error
            with self._lock:
                self.conflicts += 1
            # Jittered backoff spreads the contenders out so the next round has fewer conflicts.
            time.sleep(random.uniform(0, min(0.1, 0.005 * 2**attempt)))
        raise RateLimitBackendError(
            f"DynamoDB rate-limit backend: {self._max_attempts} conflicting writes in a row on "
            f"{[key for key, _ in buckets]} (too much contention for optimistic concurrency)"
        )

    def _attempt(self, buckets: list[Bucket], cost: int) -> tuple[Decision, list[dict[str, Any]]]:
        """Read the buckets, decide, and build the conditional updates (none when refused)."""
        if len(buckets) == 1:
            reply = self.client.get_item(
                TableName=self.table, Key={"pk": {"S": buckets[0][0]}}, ConsistentRead=True
            )
            items = {buckets[0][0]: reply["Item"]} if "Item" in reply else {}
        else:
            reply = self.client.batch_get_item(
                RequestItems={
                    self.table: {
                        "Keys": [{"pk": {"S": key}} for key, _ in buckets],
                        "ConsistentRead": True,
                    }
                }
            )
            if reply.get("UnprocessedKeys"):
                # Some reads were throttled: retry from the read, like a conflict.
                raise _Retry
            items = {item["pk"]["S"]: item for item in reply["Responses"].get(self.table, [])}
        now = self._clock()
        levels = []
        for key, limit in buckets:
            item = items.get(key)
            tokens = float(item["tokens"]["N"]) if item else None
            stamp = float(item["ts"]["N"]) if item else None
            levels.append(_refill(limit, tokens, stamp, now))
        decision = _decide(buckets, levels, cost)
        if not decision.allowed:
            return decision, []
        updates = []
        for (key, limit), level in zip(buckets, levels, strict=True):
            item = items.get(key)
            tokens = max(0.0, level - cost)
            stamp = max(now, float(item["ts"]["N"])) if item else now
            expires_at = math.ceil(stamp + limit.seconds_to_full(tokens)) + 1
            values = {
                ":tokens": {"N": f"{tokens:.9f}"},
                ":ts": {"N": f"{stamp:.6f}"},
                ":expires": {"N": str(expires_at)},
            }
            if item:
                condition = "#v = :expected"
                values[":expected"] = item["version"]
                values[":next"] = {"N": str(int(item["version"]["N"]) + 1)}
            else:
                condition = "attribute_not_exists(pk)"
                values[":next"] = {"N": "1"}
            updates.append(
                {
                    "TableName": self.table,
                    "Key": {"pk": {"S": key}},
                    "UpdateExpression": (
                        "SET tokens = :tokens, ts = :ts, expires_at = :expires, #v = :next"
                    ),
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": values,
                }
            )
        return decision, updates


# A write lost to a concurrent one: retry from the read.
_CONFLICT_CODES = {"ConditionalCheckFailedException", "TransactionConflictException"}
_CANCEL_REASONS_RETRIED = {"ConditionalCheckFailed", "TransactionConflict", "None"}


def _is_conflict(error: Any) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code in _CONFLICT_CODES:
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        codes = {reason.get("Code", "None") for reason in reasons}
        # Only conflicts are retried; a throttled or invalid item is a real error.
        return bool(codes) and codes <= _CANCEL_REASONS_RETRIED
    return False


class _Retry(Exception):
    """Internal: start the take again from the read."""


def _dynamodb_error(error: Exception) -> RateLimitBackendError:
    return RateLimitBackendError(
        f"DynamoDB rate-limit backend failed ({type(error).__name__}: {error})"
    )


_NO_GROUPS: Mapping[str, Limit] = MappingProxyType({})


class RateLimiter:
    """Per-user and per-group limits over one backend (see the module docstring for the rules).

    Several limiters (one per server instance) sharing a Redis server or a DynamoDB table share
    their buckets, as long as they are configured with the same limits.
    """

    def __init__(
        self,
        backend: RateLimitBackend,
        *,
        groups: Mapping[str, Limit] = _NO_GROUPS,
        per_user: Limit | None = None,
        default_group: Limit | None = None,
    ) -> None:
        self.backend = backend
        self.groups = dict(groups)
        self.per_user = per_user
        self.default_group = default_group

    def buckets_for(self, user: str, groups: Sequence[str]) -> list[Bucket]:
        """The buckets a call by `user` in `groups` is charged to."""
        buckets: list[Bucket] = []
        if self.per_user is not None:
            buckets.append((f"user:{user}", self.per_user))
        limited = [group for group in groups if group in self.groups]
        if limited:
            # Most generous: highest rate, then highest burst; ties go to the first name.
            name = min(limited, key=lambda g: (-self.groups[g].rate, -self.groups[g].burst, g))
            buckets.append((f"group:{name}", self.groups[name]))
        elif self.default_group is not None:
            buckets.append((DEFAULT_GROUP_KEY, self.default_group))
        return buckets

    async def check(self, user: str, groups: Sequence[str]) -> Decision:
        """Take one token from each of the caller's buckets, all or nothing.

        Raises `RateLimitBackendError` when the backend cannot answer.
        """
        buckets = self.buckets_for(user, groups)
        if not buckets:
            # No limit applies to this caller.
            return Decision(allowed=True, remaining=sys.maxsize, retry_after=0.0, key="")
        return await self.backend.take_all(buckets)


class PerLoopBackend:
    """One backend per event loop, for clients bound to the loop they connect on (redis.asyncio).

    A server normally runs one loop; tests, `asyncio.run` per call and some Lambda adapters run
    several over a process's life.
    """

    def __init__(self, factory: Callable[[], RateLimitBackend]) -> None:
        self._factory = factory
        self._by_loop: dict[int, RateLimitBackend] = {}

    def _backend(self) -> RateLimitBackend:
        import asyncio

        key = id(asyncio.get_running_loop())
        if key not in self._by_loop:
            self._by_loop[key] = self._factory()
        return self._by_loop[key]

    async def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        return await self._backend().take(key, limit, cost)

    async def take_all(self, buckets: Sequence[Bucket], cost: int = 1) -> Decision:
        return await self._backend().take_all(buckets, cost)
