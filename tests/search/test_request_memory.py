"""The memory of requests read into a build's tool vectors (`search/request_memory.py`).

The shipped file is the shipped encoder's and holds no API anything is measured on; a memory
moves a tool toward the requests of the tools nearest it and leaves a toolless row alone; a
build blends its vectors with it (and only with the encoder it was made with), the same bytes
every time.
"""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT
from test_tool_tasks import TASKS, rows
from test_tune_requests import measured_among
from test_tune_requests import rows as encoder_rows

from adaptgen.search import request_memory, semantic
from adaptgen.search.request_memory import (
    MEMORY,
    MEMORY_FORMAT,
    MEMORY_WEIGHT,
    Memory,
    memory_for,
    write,
)

np = pytest.importorskip("numpy")


def _units(rng, count: int, dim: int = 384):
    rows_ = rng.standard_normal((count, dim))
    return rows_ / np.linalg.norm(rows_, axis=1, keepdims=True)


def _memory(tmp_path, keys, values, dims: int = 384, **meta: str) -> Memory:
    out = tmp_path / "memory.safetensors"
    write(out, keys, values, dims, {"encoder": "sha256:test", "apis": "[]", **meta})
    return Memory.read(out.read_bytes())


def test_the_shipped_memory_is_the_shipped_encoders():
    """Rebuilt with the encoder (`scripts/request_memory.py`), or a build would not use it."""
    from adaptgen.search.sentence_model import encoder

    memory = memory_for(encoder())
    assert memory is not None, f"{MEMORY.name} was made with another encoder: run the script"
    assert memory.encoder == encoder().identity
    assert len(memory.keys) == len(memory.values) > 20_000
    assert memory.requests > 30_000 and len(memory.apis) > 300
    assert memory.key_basis.shape == (memory.keys.shape[1], encoder().dim)


def test_the_memory_holds_no_api_anything_is_measured_on():
    """No task set's API, none the distiller keeps unseen, none `--unseen` measures (nor its
    other files, SAME_AS_TUNED): the memory is what the encoder was trained on."""
    from bench.request_bench import SAME_AS_TUNED

    sys.path.insert(0, str(ROOT / "scripts"))
    from distill_encoder import UNSEEN

    apis = set(Memory.read(MEMORY.read_bytes()).apis)
    assert measured_among(apis) == []
    assert [spec for spec in apis if any(name in spec.lower() for name in UNSEEN)] == []
    tuned_on = {row["spec"] for row in encoder_rows()}
    unseen = {row["spec"] for row in rows(TASKS)} - tuned_on
    assert not apis & (unseen | SAME_AS_TUNED.keys())
    more = {row["spec"] for row in rows(ROOT / "scripts" / "data" / "tool-tasks-more.jsonl")}
    assert apis <= tuned_on | more


def test_a_tool_recalls_the_requests_of_the_tools_nearest_it(tmp_path):
    rng = np.random.default_rng(7)
    keys, values = _units(rng, 50), _units(rng, 50)
    memory = _memory(tmp_path, keys, values)
    # a tool that is key 3 recalls key 3's requests (k = 1), within int8's rounding
    (recalled,) = memory.recalled(keys[3:4], k=1)
    assert recalled @ values[3] > 0.999
    assert abs(np.linalg.norm(recalled) - 1) < 1e-9
    # with more keys, the nearest weighs most: the recalled vector is nearest value 3 of all
    (recalled,) = memory.recalled(keys[3:4], k=5, temperature=0.05)
    assert int(np.argmax(values @ recalled)) == 3
    # a blend moves the tool toward them, and leaves a row without a vector at zero
    tools = np.vstack([keys[3], np.zeros(384)])
    moved = memory.blended(tools, weight=0.2)
    assert moved[0] @ values[3] > tools[0] @ values[3] + 0.1
    assert np.allclose(moved[0], 0.8 * tools[0] + 0.2 * memory.recalled(tools[:1])[0])
    assert not moved[1].any()
    assert memory.blended(np.zeros((0, 384))).shape == (0, 384)


def test_the_memory_is_kept_in_fewer_dimensions_and_still_recalls(tmp_path):
    """Reduced to its principal components: keys near each other in few directions (as real
    tool vectors are) are told apart, and the file holds int8 rows."""
    rng = np.random.default_rng(11)
    directions = _units(rng, 12)
    keys = rng.standard_normal((300, 12)) @ directions + 0.05 * rng.standard_normal((300, 384))
    keys /= np.linalg.norm(keys, axis=1, keepdims=True)
    values = _units(rng, 300)
    memory = _memory(tmp_path, keys, values, dims=16)
    assert memory.keys.shape == (300, 16) and memory.value_basis.shape == (16, 384)
    hits = [int(np.argmax(values @ memory.recalled(keys[i : i + 1], k=1)[0])) for i in range(300)]
    assert sum(hit == i for i, hit in enumerate(hits)) > 280  # the nearest key is itself
    raw = (tmp_path / "memory.safetensors").read_bytes()
    header = json.loads(raw[8 : 8 + int.from_bytes(raw[:8], "little")])
    assert header["keys"]["dtype"] == header["values"]["dtype"] == "I8"
    assert header["__metadata__"]["format"] == MEMORY_FORMAT


def test_the_same_rows_make_the_same_file_whichever_way_a_component_points(monkeypatch, tmp_path):
    """An SVD's component is defined up to its sign (another LAPACK may negate it): the file
    turns each so that its largest entry is positive."""
    rng = np.random.default_rng(3)
    keys, values = _units(rng, 40), _units(rng, 40)
    first, second = tmp_path / "a", tmp_path / "b"
    write(first, keys, values, 8, {"encoder": "x", "apis": "[]"})
    svd = np.linalg.svd

    def negated(matrix, **kwargs):
        u, s, vt = svd(matrix, **kwargs)
        flip = np.where(np.arange(len(vt)) % 2 == 0, -1.0, 1.0)
        return u * flip, s, vt * flip[:, None]

    monkeypatch.setattr(np.linalg, "svd", negated)
    write(second, keys, values, 8, {"encoder": "x", "apis": "[]"})
    assert first.read_bytes() == second.read_bytes()
    basis = Memory.read(first.read_bytes()).key_basis
    largest = basis[np.arange(len(basis)), np.abs(basis).argmax(axis=1)]
    assert (largest > 0).all()


def test_another_file_is_refused(tmp_path):
    rng = np.random.default_rng(5)
    out = tmp_path / "memory.safetensors"
    write(out, _units(rng, 4), _units(rng, 4), 4, {"encoder": "x", "format": "something else"})
    with pytest.raises(ValueError, match=MEMORY_FORMAT):
        Memory.read(out.read_bytes())


def test_only_the_encoder_it_was_made_with_uses_it(monkeypatch, tmp_path):
    rng = np.random.default_rng(9)
    memory = _memory(tmp_path, _units(rng, 30), _units(rng, 30))
    monkeypatch.setattr(request_memory, "_shipped", lambda: memory)

    class Model:
        identity = "sha256:test"

    assert memory_for(Model()) is memory
    Model.identity = "sha256:another"
    assert memory_for(Model()) is None
    assert memory_for(object()) is None  # a test double without an identity


def test_a_build_stores_its_vectors_blended_the_same_bytes_each_time(monkeypatch):
    from adaptgen.search.sentence_model import encoder

    texts = [
        ("Reboot a droplet: reboot a droplet of /droplets/{id}/actions.",),
        ("List invoices: list invoices of /invoices.",),
        ("Delete a webhook: delete a webhook of /hooks/{id}.",),
    ]
    blended = semantic.encode_tools(texts)
    assert semantic.encode_tools(texts) == blended
    model = encoder().precise()
    plain = model.encode([text for (text,) in texts])
    assert blended == semantic.pack_rows(memory_for(model).blended(plain))
    assert blended != semantic.pack_rows(plain)
    # each stored vector is still mostly the tool's own
    stored = semantic.unpack_rows(blended)
    own = np.sum(stored * plain, axis=1) / np.linalg.norm(stored, axis=1)
    assert (own > 1 - MEMORY_WEIGHT).all()
    # without the memory (another encoder, a missing file) a build stores the encoder's own
    monkeypatch.setattr(semantic, "memory_for", lambda _model: None)
    assert semantic.encode_tools(texts) == semantic.pack_rows(plain)


def test_a_build_reads_its_tools_a_block_at_a_time_to_the_same_vectors(monkeypatch, tmp_path):
    rng = np.random.default_rng(13)
    memory = _memory(tmp_path, _units(rng, 60), _units(rng, 60), dims=32)
    tools = _units(rng, 30)
    whole = memory.recalled(tools)
    monkeypatch.setattr(request_memory, "BLOCK", 7)
    # the same to float64's last bits (a product of fewer rows may sum in another order)
    assert np.abs(memory.recalled(tools) - whole).max() < 1e-12
