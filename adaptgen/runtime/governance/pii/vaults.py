"""Token vaults: where minted tokens are registered, so that revoking one works everywhere."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any, Protocol

from adaptgen.runtime.governance.pii.errors import PiiError
from adaptgen.runtime.secrets import quiet_debug


class TokenVault(Protocol):
    """Where minted tokens are registered; detokenization requires a live entry."""

    def put(self, token: str, value: str, kind: str) -> None:
        """Store a token's value; must not overwrite an entry (nor revive a revoked one)."""
        ...

    def get(self, token: str) -> str | None:
        """The value of a live token; ``None`` if unknown or revoked."""
        ...

    def revoke(self, token: str) -> None:
        """Erase the token's value for good (a tombstone stays so it is never re-stored)."""
        ...


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MemoryVault:
    """An in-process `TokenVault` (tests, single-process deployments)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str | None, str, str]] = {}  # value None: revoked
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryVault(entries={len(self._entries)})"

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, token: str, value: str, kind: str) -> None:
        """Store ``value`` for ``token`` unless the token is known (live or revoked)."""
        with self._lock:
            self._entries.setdefault(token, (value, kind, _now()))

    def get(self, token: str) -> str | None:
        """The live value, or ``None``."""
        entry = self._entries.get(token)
        return entry[0] if entry else None

    def revoke(self, token: str) -> None:
        """Drop the value, keep a tombstone."""
        with self._lock:
            _, kind, created = self._entries.get(token, (None, "", _now()))
            self._entries[token] = (None, kind, created)


class DynamoDbVault:
    """A `TokenVault` in a DynamoDB table with the string hash key ``token``.

    Items: ``{token, value, kind, created_at}``; revoking removes ``value`` and sets
    ``revoked_at`` (a tombstone: `put` is conditional on the token being absent, so a value seen
    again after revocation is not stored again). Reads are strongly consistent, so a revocation
    is effective on the next detokenization in every process sharing the table. The client is
    boto3's ``dynamodb`` client, created on first use unless given.
    """

    def __init__(self, table_name: str, client: Any = None, *, region: str | None = None) -> None:
        self.table_name = table_name
        self._client = client
        self._region = region
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DynamoDbVault(table_name={self.table_name!r})"

    def create_table(self) -> None:
        """Create the table (on-demand capacity) and wait until it exists."""
        client = self._dynamodb()
        self._call(
            client.create_table,
            TableName=self.table_name,
            KeySchema=[{"AttributeName": "token", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "token", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        with quiet_debug():
            client.get_waiter("table_exists").wait(TableName=self.table_name)

    def put(self, token: str, value: str, kind: str) -> None:
        """Store the token unless it exists (live or revoked)."""
        self._call(
            self._dynamodb().put_item,
            TableName=self.table_name,
            Item={
                "token": {"S": token},
                "value": {"S": value},
                "kind": {"S": kind},
                "created_at": {"S": _now()},
            },
            ConditionExpression="attribute_not_exists(#t)",
            ExpressionAttributeNames={"#t": "token"},
            ignore=("ConditionalCheckFailedException",),
        )

    def get(self, token: str) -> str | None:
        """The live value, or ``None`` for an unknown or revoked token."""
        answer = self._call(
            self._dynamodb().get_item,
            TableName=self.table_name,
            Key={"token": {"S": token}},
            ConsistentRead=True,
        )
        item = (answer or {}).get("Item") or {}
        if "revoked_at" in item or "value" not in item:
            return None
        return item["value"]["S"]

    def revoke(self, token: str) -> None:
        """Erase the value and mark the token revoked (creating the tombstone if absent)."""
        self._call(
            self._dynamodb().update_item,
            TableName=self.table_name,
            Key={"token": {"S": token}},
            UpdateExpression="SET #r = :now REMOVE #v",
            ExpressionAttributeNames={"#r": "revoked_at", "#v": "value"},
            ExpressionAttributeValues={":now": {"S": _now()}},
        )

    def _dynamodb(self) -> Any:
        with self._lock:  # boto3 client creation is not thread-safe
            if self._client is None:
                import boto3

                with quiet_debug():
                    self._client = boto3.session.Session().client(
                        "dynamodb", region_name=self._region
                    )
            return self._client

    def _call(self, method: Any, *, ignore: tuple[str, ...] = (), **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with quiet_debug():  # botocore DEBUG would log the item, value included
                return method(**kwargs)
        except ClientError as exc:
            # Only the code: AWS messages can echo request details.
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            if code in ignore:
                return None
            raise PiiError(f"token vault {self.table_name!r}: {code}") from None
        except BotoCoreError as exc:
            raise PiiError(f"token vault {self.table_name!r}: {type(exc).__name__}") from None
