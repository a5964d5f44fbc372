"""Model traffic on tape: `--cassette FILE` records the model's HTTP exchanges (vcrpy) on the
first run and replays them on the next, so an agent run is reproduced exactly without a model.

Only requests to the model's own host are taped; the MCP and upstream traffic stays live (the
server is what is being evaluated). Credential headers are never written to the cassette.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adaptgen.errors import InputError

SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "x-amz-security-token", "cookie")


@contextmanager
def taped(path: Path | None, model_host: str) -> Iterator[None]:
    """Record (no cassette yet) or replay (it exists) the model's traffic for the block."""
    if path is None:
        yield
        return
    try:
        import vcr
    except ImportError:
        raise InputError("--cassette needs vcrpy: pip install vcrpy") from None

    def model_only(request: Any) -> Any:
        return request if urlsplit(request.uri).netloc == model_host else None

    recorder = vcr.VCR(
        record_mode="once",
        match_on=("method", "scheme", "host", "port", "path"),
        filter_headers=list(SECRET_HEADERS),
        before_record_request=model_only,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with recorder.use_cassette(str(path)):
        yield
