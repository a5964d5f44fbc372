"""PII tokenization: the model sees deterministic, reversible tokens; the upstream sees real values.

PII in tool *results* becomes tokens like ``<pii:email:Zm9v...>``; tokens the model puts into tool
*arguments* are turned back into the real values before the upstream call.

Tokens
    ``<pii:KIND:B64>``: a readable kind (so the model knows what it holds and can pass it back) and
    the URL-safe base64 (unpadded) of an AES-SIV encryption of the UTF-8 value, with the kind as
    associated data. AES-SIV is deterministic (RFC 5297): the same value and kind always give the
    same token under one key, so an agent can compare and join on tokens. The associated data
    binds a token to its kind: a token minted as ``email`` and relabeled ``phone`` does not
    decrypt, and neither does a tampered token or one made under another key. Detokenizing such a
    token raises `PiiError`; a forged token is never passed upstream as text.

What gets tokenized
    * values at JSONPath ``fields`` (marked fields): the whole value, kind ``field`` unless the
      whole value is one recognized kind (an email at ``$.email`` gets the same ``email`` token as
      the same address found in free text, so joins work across both). Numbers are stringified;
      objects/arrays at a marked path have each scalar leaf tokenized. ``None``, booleans and
      ``""`` are left as they are (nothing to hide, and flags keep their meaning).
    * every other string (and dict key) when ``recognize=True``: each finding of `find_pii`
      (and of Amazon Comprehend, when configured) is replaced in place, so sentences keep their
      words. Existing tokens are never tokenized again.

Detokenized numbers come back as *strings* (the token does not record the JSON type).

Vault mode (`TokenVault`)
    Tokens stay the deterministic AES-SIV ones, but each minted token is also stored
    (`DynamoDbVault` in production, `MemoryVault` in tests), and detokenization *requires* the
    vault entry: revoking a token (erasing its stored value) makes it undetokenizable everywhere
    at once. Revocation is a tombstone, so re-tokenizing the same value does not revive it.

No raw value is ever put in an exception message, a log line or a ``repr()``; AWS calls run
inside `quiet_debug()` because botocore at DEBUG logs request bodies (which would hold the text).
"""

from __future__ import annotations

from adaptgen.runtime.governance.pii.errors import PiiError
from adaptgen.runtime.governance.pii.keys import (
    KEY_SIZES,
    ephemeral_key,
    key_from_reference,
    key_from_text,
)
from adaptgen.runtime.governance.pii.recognizers import RECOGNIZERS, PiiFinding, find_pii
from adaptgen.runtime.governance.pii.tokenizer import (
    COMPREHEND_KINDS,
    TOKEN_PATTERN,
    PiiTokenizer,
)
from adaptgen.runtime.governance.pii.vaults import DynamoDbVault, MemoryVault, TokenVault

__all__ = [
    "COMPREHEND_KINDS",
    "KEY_SIZES",
    "RECOGNIZERS",
    "TOKEN_PATTERN",
    "DynamoDbVault",
    "MemoryVault",
    "PiiError",
    "PiiFinding",
    "PiiTokenizer",
    "TokenVault",
    "ephemeral_key",
    "find_pii",
    "key_from_reference",
    "key_from_text",
]
