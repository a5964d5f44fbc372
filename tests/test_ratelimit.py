"""Rate limits (adaptgen.runtime.governance.ratelimit) on every backend.

Memory: exact arithmetic with an injected clock. Redis: a real redis-server (tests/redis_server.py),
two limiters with two separate clients standing in for two server instances. DynamoDB: moto, also
two limiters with two clients.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from redis_server import redis_server

from adaptgen.runtime.governance.ratelimit import (
    DEFAULT_GROUP_KEY,
    Decision,
    DynamoDbBackend,
    Limit,
    MemoryBackend,
    RateLimitBackend,
    RateLimitBackendError,
    RateLimiter,
    RedisBackend,
)

# Slow enough that nothing refills during a test: counts are exact even on real clocks.
NO_REFILL = 1 / 3600


class FakeClock:
    """An injectable clock that only moves when told to."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def checks(
    limiter: RateLimiter, n: int, user: str = "alice", groups: Sequence[str] = ("team",)
) -> list[Decision]:
    return [await limiter.check(user, list(groups)) for _ in range(n)]


def allowed(decisions: list[Decision]) -> list[bool]:
    return [d.allowed for d in decisions]


# --- Limit ---------------------------------------------------------------------------------------


def test_limit_per_minute_and_validation() -> None:
    assert Limit.per_minute(30) == Limit(rate=0.5, burst=30)
    assert Limit.per_minute(30, burst=5) == Limit(rate=0.5, burst=5)
    for bad in (lambda: Limit(0, 1), lambda: Limit(1, 0), lambda: Limit.per_minute(0)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError, match="exceeds the burst"):
        asyncio.run(MemoryBackend().take("k", Limit(1, 2), cost=3))


# --- Memory --------------------------------------------------------------------------------------


def test_memory_burst_then_refusal_with_retry_after() -> None:
    clock = FakeClock()
    backend = MemoryBackend(clock=clock)
    limit = Limit(rate=2, burst=3)  # a token every 0.5 s

    async def go() -> list[Decision]:
        out = [await backend.take("k", limit) for _ in range(4)]
        clock.advance(0.2)
        out.append(await backend.take("k", limit))  # 0.4 token: still refused
        clock.advance(0.3)
        out.append(await backend.take("k", limit))  # 1.0 token
        return out

    d = asyncio.run(go())
    assert [(x.allowed, x.remaining) for x in d[:4]] == [
        (True, 2),
        (True, 1),
        (True, 0),
        (False, 0),
    ]
    assert d[3].retry_after == pytest.approx(0.5) and d[3].key == "k"
    assert d[0].retry_after == 0
    assert not d[4].allowed and d[4].retry_after == pytest.approx(0.3)
    assert d[5].allowed and d[5].remaining == 0


def test_memory_refill_over_time_caps_at_burst() -> None:
    clock = FakeClock()
    backend = MemoryBackend(clock=clock)
    limit = Limit.per_minute(10, burst=2)  # a token every 6 s

    async def go() -> tuple[list[bool], list[bool], list[bool]]:
        first = [(await backend.take("k", limit)).allowed for _ in range(3)]
        clock.advance(6)  # 6 s at 10/min is exactly one token (float-wise 0.999...)
        one = [(await backend.take("k", limit)).allowed for _ in range(2)]
        clock.advance(3600)  # an hour idle: full, but never more than burst
        full = [(await backend.take("k", limit)).allowed for _ in range(3)]
        return first, one, full

    assert asyncio.run(go()) == ([True, True, False], [True, False], [True, True, False])


def test_memory_user_and_group_interplay() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        MemoryBackend(clock=clock),
        groups={"team": Limit(NO_REFILL, 5)},
        per_user=Limit(NO_REFILL, 2),
    )

    async def go() -> dict[str, list[Decision]]:
        return {
            "alice": await checks(limiter, 3, "alice"),
            "bob": await checks(limiter, 2, "bob"),
            "carol": await checks(limiter, 2, "carol"),
            "dave": await checks(limiter, 1, "dave", groups=()),  # no limited group
        }

    d = asyncio.run(go())
    assert allowed(d["alice"]) == [True, True, False]
    assert d["alice"][2].key == "user:alice"  # her own limit, not the team's
    assert allowed(d["bob"]) == [True, True]
    # 2 + 2 + 1 = the team's 5: carol is refused by the group while her own bucket has room.
    assert allowed(d["carol"]) == [True, False]
    assert d["carol"][1].key == "group:team"
    assert d["carol"][1].retry_after == pytest.approx(3600)
    assert d["dave"][0].allowed and d["dave"][0].key == "user:dave"


def test_memory_refused_call_takes_nothing() -> None:
    backend = MemoryBackend(clock=FakeClock())
    limiter = RateLimiter(
        backend,
        groups={"small": Limit(NO_REFILL, 1), "big": Limit(2 * NO_REFILL, 10)},
        per_user=Limit(NO_REFILL, 3),
    )

    async def go() -> tuple[list[Decision], list[Decision], list[Decision]]:
        in_small = await checks(limiter, 4, "alice", ["small"])  # 1 allowed, then the group says no
        in_big = await checks(limiter, 3, "alice", ["big"])  # her bucket still holds 2
        # Now her user bucket refuses: the group must keep its tokens.
        refused = await checks(limiter, 2, "alice", ["big"])
        return in_small, in_big, refused

    in_small, in_big, refused = asyncio.run(go())
    assert allowed(in_small) == [True, False, False, False]
    assert {d.key for d in in_small[1:]} == {"group:small"}
    assert allowed(in_big) == [True, True, False]
    assert in_big[2].key == "user:alice"
    assert not any(allowed(refused))
    # big: 2 taken by alice's allowed calls; the 3 refusals took none of its 10.
    assert asyncio.run(backend.take("group:big", Limit(2 * NO_REFILL, 10))).remaining == 7


def test_memory_most_generous_group_applies() -> None:
    limiter = RateLimiter(
        MemoryBackend(clock=FakeClock()),
        groups={
            "free": Limit(NO_REFILL, 1),
            "trial": Limit(NO_REFILL, 1),
            "premium": Limit(NO_REFILL, 5),
        },
    )

    async def go() -> tuple[list[Decision], Decision]:
        both = await checks(limiter, 6, "alice", ["free", "premium"])
        return both, await limiter.check("carol", ["free"])

    both, carol = asyncio.run(go())
    # premium is charged (5 calls, not free's 1), and only premium: free is untouched.
    assert allowed(both) == [True] * 5 + [False]
    assert {d.key for d in both} == {"group:premium"}
    assert carol.allowed and carol.remaining == 0
    # Equal limits: the first name in sort order, whatever the order the identity lists them.
    assert [key for key, _ in limiter.buckets_for("bob", ["trial", "free"])] == ["group:free"]


@pytest.mark.parametrize(
    ("user_rate", "key", "wait"), [(1.0, "group:free", 10.0), (0.05, "user:carol", 20.0)]
)
def test_memory_longest_retry_after_wins(user_rate: float, key: str, wait: float) -> None:
    limiter = RateLimiter(
        MemoryBackend(clock=FakeClock()),
        groups={"free": Limit(rate=0.1, burst=1)},  # a token every 10 s
        per_user=Limit(rate=user_rate, burst=1),
    )
    first, second = asyncio.run(checks(limiter, 2, "carol", ["free"]))
    assert first.allowed and not second.allowed  # both buckets are empty now
    assert second.key == key and second.retry_after == pytest.approx(wait)


def test_memory_default_group_and_no_limits() -> None:
    limiter = RateLimiter(
        MemoryBackend(clock=FakeClock()),
        groups={"team": Limit(NO_REFILL, 1)},
        default_group=Limit(NO_REFILL, 2),
    )

    async def go() -> tuple[list[Decision], Decision, Decision]:
        ungrouped = [
            await limiter.check("a", []),
            await limiter.check("b", ["unknown"]),  # groups without a limit count as none
            await limiter.check("c", []),
        ]
        team = await limiter.check("d", ["team", "unknown"])
        free_for_all = await RateLimiter(MemoryBackend()).check("anyone", [])
        return ungrouped, team, free_for_all

    ungrouped, team, free_for_all = asyncio.run(go())
    assert allowed(ungrouped) == [True, True, False]  # one shared default bucket
    assert {d.key for d in ungrouped} == {DEFAULT_GROUP_KEY}
    assert team.allowed and team.key == "group:team"
    assert free_for_all.allowed and free_for_all.key == ""


def test_memory_forgets_full_buckets() -> None:
    clock = FakeClock()
    backend = MemoryBackend(clock=clock, sweep_every=10)
    limit = Limit(rate=1, burst=5)

    async def go() -> None:
        for i in range(9):
            await backend.take(f"k{i}", limit)
        clock.advance(1.5)  # each bucket had 4 tokens: full again after 1 s
        await backend.take("last", limit)  # the 10th take sweeps

    asyncio.run(go())
    assert len(backend) == 1


def test_memory_backend_satisfies_protocol() -> None:
    assert isinstance(MemoryBackend(), RateLimitBackend)


# --- Redis ---------------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def two_instances(make_backend: Callable[[], Any], **limits: Any) -> tuple[RateLimiter, ...]:
    """Two limiters, each with its own backend object and client: two server instances."""
    return tuple(RateLimiter(make_backend(), **limits) for _ in range(2))


def test_redis_two_instances_share_a_group_limit(redis_url: str) -> None:
    async def go() -> list[Decision]:
        backends = [RedisBackend(redis_url), RedisBackend(redis_url)]
        assert backends[0].client is not backends[1].client
        a, b = (RateLimiter(x, groups={"team": Limit(NO_REFILL, 5)}) for x in backends)
        try:
            # Alternate between the instances, different users of the same team.
            return [await (a, b)[i % 2].check(f"user{i}", ["team"]) for i in range(10)]
        finally:
            for backend in backends:
                await backend.aclose()

    d = asyncio.run(go())
    assert allowed(d) == [True] * 5 + [False] * 5  # together exactly burst, then both refuse
    assert [x.remaining for x in d[:5]] == [4, 3, 2, 1, 0]
    assert all(x.key == "group:team" for x in d)
    assert all(x.retry_after == pytest.approx(3600, rel=1e-3) for x in d[5:])


def test_redis_concurrent_checks_never_exceed_the_limit(redis_url: str) -> None:
    burst = 20

    async def go() -> list[Decision]:
        backends = [RedisBackend(redis_url), RedisBackend(redis_url)]
        limiters = [
            RateLimiter(x, groups={"team": Limit(NO_REFILL, burst)}, per_user=Limit(NO_REFILL, 3))
            for x in backends
        ]
        try:
            # 50 at once, 25 through each instance; 10 users (3 calls each allowed at most).
            return await asyncio.gather(
                *(limiters[i % 2].check(f"user{i % 10}", ["team"]) for i in range(50))
            )
        finally:
            for backend in backends:
                await backend.aclose()

    d = asyncio.run(go())
    assert sum(allowed(d)) == burst  # not one more, though 30 would pass the per-user limits
    for user in range(10):
        assert sum(x.allowed for x in d[user::10]) <= 3
    assert {x.key for x in d if not x.allowed} <= {
        "group:team",
        *(f"user:user{u}" for u in range(10)),
    }
    print(f"redis: 50 concurrent checks through 2 instances, {sum(allowed(d))} allowed")


def test_redis_refused_call_takes_nothing(redis_url: str) -> None:
    async def go() -> tuple[list[Decision], list[Decision], dict]:
        backend = RedisBackend(redis_url)
        limiter = RateLimiter(
            backend,
            groups={"small": Limit(NO_REFILL, 1), "big": Limit(2 * NO_REFILL, 10)},
            per_user=Limit(NO_REFILL, 3),
        )
        try:
            small = await checks(limiter, 3, "alice", ["small"])
            big = await checks(limiter, 3, "alice", ["big"])
            stored = await backend.client.hgetall("adaptgen:rl:group:big")
            return small, big, stored
        finally:
            await backend.aclose()

    small, big, stored = asyncio.run(go())
    assert allowed(small) == [True, False, False]
    assert allowed(big) == [True, True, False]  # the two refusals left alice's 2 tokens
    assert float(stored[b"tokens"]) == pytest.approx(8)  # and the refusal by her left big's


def test_redis_refills_on_redis_time_and_expires_keys(redis_url: str) -> None:
    limit = Limit(rate=50, burst=1)  # a token every 20 ms

    async def go() -> tuple[Decision, Decision, Decision, int]:
        backend = RedisBackend(redis_url, prefix="t:")
        try:
            first = await backend.take("k", limit)
            refused = await backend.take("k", limit)
            await asyncio.sleep(refused.retry_after + 0.01)
            again = await backend.take("k", limit)
            await backend.take("slow", Limit(rate=1, burst=10))
            return first, refused, again, await backend.client.pttl("t:slow")
        finally:
            await backend.aclose()

    first, refused, again, pttl = asyncio.run(go())
    assert first.allowed and not refused.allowed and again.allowed
    assert 0 < refused.retry_after <= 0.02
    # 9 of 10 tokens at 1/s: full again in 1 s, plus the 1 s margin.
    assert 1900 <= pttl <= 2000


def test_redis_down_raises_backend_error(redis_url: str) -> None:
    with redis_server() as url:
        pass  # started and stopped: nothing listens on its port any more

    async def go() -> float:
        backend = RedisBackend(url)
        limiter = RateLimiter(backend, per_user=Limit(1, 1))
        start = time.monotonic()
        try:
            with pytest.raises(RateLimitBackendError, match="Redis rate-limit backend failed"):
                await limiter.check("alice", [])
        finally:
            await backend.aclose()
        return time.monotonic() - start

    assert asyncio.run(go()) < 2  # fails fast: the check sits in front of every tool call

    async def dies_midway() -> None:
        with redis_server() as url:
            backend = RedisBackend(url)
            assert (await backend.take("k", Limit(1, 1))).allowed
        try:
            with pytest.raises(RateLimitBackendError):
                await backend.take("k", Limit(1, 1))
        finally:
            await backend.aclose()

    asyncio.run(dies_midway())


# --- DynamoDB (moto) -----------------------------------------------------------------------------

TABLE = "adaptgen-ratelimit"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[Callable[..., DynamoDbBackend]]:
    """Backends on a moto table; each call makes a new backend with its own boto3 client."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # Real DynamoDB applies each write atomically; moto checks a condition and then writes, with
    # no lock, so threads could interleave inside it. Serialise moto's operations (not ours).
    lock = threading.RLock()
    for name in ("get_item", "put_item", "update_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *args, _original=original, **kwargs):
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)

    with mock_aws():

        def make(**kwargs: Any) -> DynamoDbBackend:
            return DynamoDbBackend(TABLE, region="us-east-1", **kwargs)

        make().create_table()
        yield make


def test_dynamodb_two_instances_share_a_group_limit(dynamodb) -> None:
    clock = FakeClock()
    a, b = two_instances(lambda: dynamodb(clock=clock), groups={"team": Limit(1, 5)})
    assert a.backend.client is not b.backend.client

    async def go() -> tuple[list[Decision], list[Decision]]:
        first = [await (a, b)[i % 2].check(f"user{i}", ["team"]) for i in range(8)]
        clock.advance(2)  # two tokens back
        later = [await (b, a)[i % 2].check(f"user{i}", ["team"]) for i in range(3)]
        return first, later

    first, later = asyncio.run(go())
    assert allowed(first) == [True] * 5 + [False] * 3
    assert [x.remaining for x in first[:5]] == [4, 3, 2, 1, 0]
    assert all(x.retry_after == pytest.approx(1) for x in first[5:])
    assert allowed(later) == [True, True, False]


class LatentClient:
    """A boto3 client whose reads come back after `delay` seconds, like a real network round
    trip: concurrent takes then read the same version and race to write it."""

    def __init__(self, client: Any, delay: float = 0.002) -> None:
        self._client = client
        self._delay = delay

    def get_item(self, **kwargs: Any) -> Any:
        reply = self._client.get_item(**kwargs)
        time.sleep(self._delay)
        return reply

    def batch_get_item(self, **kwargs: Any) -> Any:
        reply = self._client.batch_get_item(**kwargs)
        time.sleep(self._delay)
        return reply

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.mark.parametrize("per_user", [None, Limit(NO_REFILL, 3)], ids=["update", "transaction"])
def test_dynamodb_concurrent_takes_never_exceed_burst(dynamodb, per_user: Limit | None) -> None:
    burst = 10

    def make() -> DynamoDbBackend:
        # The default 8 attempts sufficed in every run; the headroom keeps this test about
        # overdraft, not about the retry budget.
        backend = dynamodb(max_attempts=20)
        backend.client = LatentClient(backend.client)
        return backend

    limiters = two_instances(make, groups={"team": Limit(NO_REFILL, burst)}, per_user=per_user)

    async def go() -> list[Decision | BaseException]:
        return await asyncio.gather(
            *(limiters[i % 2].check(f"user{i % 10}", ["team"]) for i in range(50)),
            return_exceptions=True,
        )

    results = asyncio.run(go())
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert sum(allowed(results)) == burst
    conflicts = sum(x.backend.conflicts for x in limiters)
    assert conflicts > 0  # the reads really raced (the latency makes sure of it)
    print(f"dynamodb: 50 concurrent checks, {burst} allowed, {conflicts} write conflicts retried")


class RacingClient:
    """A boto3 client that lets another instance write between this one's read and its write."""

    def __init__(self, client: Any, interleave: Callable[[], None]) -> None:
        self._client = client
        self._interleave: Callable[[], None] | None = interleave

    def _after_read(self, reply: Any) -> Any:
        if self._interleave is not None:
            interleave, self._interleave = self._interleave, None
            interleave()
        return reply

    def get_item(self, **kwargs: Any) -> Any:
        return self._after_read(self._client.get_item(**kwargs))

    def batch_get_item(self, **kwargs: Any) -> Any:
        return self._after_read(self._client.batch_get_item(**kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.mark.parametrize("per_user", [None, Limit(NO_REFILL, 5)], ids=["update", "transaction"])
def test_dynamodb_lost_update_is_retried(dynamodb, per_user: Limit | None) -> None:
    """A read-decide-write raced by another instance: its conditional write fails, it retries."""
    clock = FakeClock()
    groups = {"team": Limit(NO_REFILL, 5)}
    other = RateLimiter(dynamodb(clock=clock), groups=groups, per_user=per_user)
    racing = dynamodb(clock=clock)
    racing.client = RacingClient(racing.client, lambda: asyncio.run(other.check("alice", ["team"])))
    limiter = RateLimiter(racing, groups=groups, per_user=per_user)

    decision = asyncio.run(limiter.check("alice", ["team"]))
    assert decision.allowed and decision.remaining == 3  # both calls counted, none lost
    assert racing.conflicts == 1


def test_dynamodb_ttl_attribute(dynamodb) -> None:
    clock = FakeClock(now=1_700_000_000.25)
    backend = dynamodb(clock=clock)
    asyncio.run(backend.take("group:team", Limit(rate=0.5, burst=10)))
    item = backend.client.get_item(TableName=TABLE, Key={"pk": {"S": "group:team"}})["Item"]
    # 9 of 10 tokens at 0.5/s: full again in 2 s; rounded up, plus 1 s margin.
    assert int(item["expires_at"]["N"]) == math.ceil(clock.now + 2) + 1
    assert float(item["tokens"]["N"]) == 9 and item["version"]["N"] == "1"
    ttl = backend.client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_dynamodb_refused_call_takes_nothing(dynamodb) -> None:
    backend = dynamodb(clock=FakeClock())
    limiter = RateLimiter(
        backend, groups={"small": Limit(NO_REFILL, 1)}, per_user=Limit(NO_REFILL, 3)
    )
    d = asyncio.run(checks(limiter, 3, "alice", ["small"]))
    assert allowed(d) == [True, False, False]
    item = backend.client.get_item(TableName=TABLE, Key={"pk": {"S": "user:alice"}})["Item"]
    assert float(item["tokens"]["N"]) == 2 and item["version"]["N"] == "1"


def test_dynamodb_errors_raise_backend_error(dynamodb) -> None:
    from botocore.exceptions import ClientError

    missing = DynamoDbBackend("no-such-table", region="us-east-1")
    with pytest.raises(RateLimitBackendError, match="ResourceNotFoundException"):
        asyncio.run(missing.take("k", Limit(1, 1)))

    class Throttled:
        def get_item(self, **kwargs: Any) -> Any:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetItem"
            )

    throttled = DynamoDbBackend(TABLE, client=Throttled())
    with pytest.raises(RateLimitBackendError, match="ThrottlingException"):
        asyncio.run(throttled.take("k", Limit(1, 1)))
