"""Write adaptgen/search/request-memory.safetensors: the requests the encoder was tuned on, and
the tools they were written for, as the shipped encoder reads them
(`adaptgen/search/request_memory.py`).

Dev-time only (needs numpy and `make corpus`; about 5 minutes on two cores). The rows are
exactly those `scripts/tune_encoder.py` trains on (`training_rows` of
`scripts/data/tool-requests.jsonl`, the rows of `tool-tasks.jsonl` on the same APIs, and all of
`tool-tasks-more.jsonl`): no API of a task set nor of `bench.request_bench --unseen` (a test
reads the file's list of APIs). Each request is encoded as search encodes a query
(`semantic.encoded_text`), each wanted tool as the build encodes it (`semantic.encoded_tool`
of `index.renderings`, adaptgen's own build of the spec), both by the shipped encoder in
float64; a request whose tool the build does not make is left out. A tool's key is its own
vector, its value the normalised mean of its requests' vectors. Run it again whenever the
encoder changes: the memory names the encoder it was made with and is not used beside another.

    python scripts/request_memory.py [--dims 128] [--out adaptgen/search/request-memory.safetensors]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import tune_encoder  # noqa: E402

from adaptgen.search.request_memory import MEMORY, write  # noqa: E402
from adaptgen.search.sentence_model import encoder  # noqa: E402

DATA = REPO / "scripts" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dims", type=int, default=128, help="principal components kept")
    parser.add_argument("--out", type=Path, default=MEMORY)
    args = parser.parse_args()
    began = time.time()
    # The encoder's own pairs: (spec, request as search encodes it, tool), and each spec's
    # tools' encoded texts by name, those of requests whose tool the build makes.
    kept, texts = tune_encoder.pairs(
        DATA / "tool-requests.jsonl",
        (DATA / "tool-tasks.jsonl",),
        (DATA / "tool-tasks-more.jsonl",),
    )
    tools = sorted({(spec, tool) for spec, _, tool in kept})
    number = {tool: i for i, tool in enumerate(tools)}
    model = encoder().precise()
    keys = model.encode([texts[spec][tool] for spec, tool in tools])
    asked = model.encode([request for _, request, _ in kept])
    values = np.zeros_like(keys)
    np.add.at(values, [number[(spec, tool)] for spec, _, tool in kept], asked)
    values /= np.linalg.norm(values, axis=1, keepdims=True)  # the mean's direction
    apis = sorted(texts)
    meta = {
        "encoder": encoder().identity or "",
        "apis": json.dumps(apis),
        "requests": str(len(kept)),
    }
    write(args.out, keys, values, args.dims, meta)
    print(
        f"wrote {args.out} ({args.out.stat().st_size:,} bytes): {len(kept)} requests for"
        f" {len(tools)} tools of {len(apis)} APIs, {args.dims} dimensions"
        f" ({time.time() - began:.0f} s)"
    )


if __name__ == "__main__":
    main()
