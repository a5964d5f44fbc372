"""File `$ref`s are confined to the spec's folder (or `--ref-root`), regular files, bounded size.

Issue 12, item 4: `adaptgen check` runs on pull-request specs in CI, and a `$ref` to
`../../outside/secret.yaml` or `/etc/passwd` copied that file into server.py; `/dev/zero` ran
to gigabytes and a FIFO hung the build.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sec_build import assert_input_error, run_adaptgen, write

SECRET = "TOPSECRET-4f9a"
REF_LINE = 10  # the line of the $ref in SPEC, where every refusal must point


def spec_with_ref(ref: str) -> str:
    return f"""\
openapi: 3.0.3
info: {{title: Refs, version: "1"}}
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - name: q
          in: query
          schema: {{$ref: '{ref}'}}
      responses: {{"200": {{description: ok}}}}
"""


def secret_file(path: Path) -> Path:
    return write(path, f"Secret: {{type: string, enum: [{SECRET}]}}\n")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/project/api/ holds the spec; tmp/outside/ holds a secret."""
    secret_file(tmp_path / "outside" / "secret.yaml")
    (tmp_path / "project" / "api").mkdir(parents=True)
    return tmp_path


def build(tree: Path, ref: str, *extra: str):
    spec = write(tree / "project" / "api" / "spec.yaml", spec_with_ref(ref))
    return run_adaptgen("build", "-q", spec, "--out", tree / "out", *extra, cwd=tree)


def no_secret_written(tree: Path) -> None:
    for path in (tree / "out").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace")


def test_a_ref_outside_the_spec_folder_is_refused_at_the_ref(tree):
    done = build(tree, "../../outside/secret.yaml#/Secret")
    assert_input_error(done, f"project/api/spec.yaml:{REF_LINE}:", "outside the folder")
    no_secret_written(tree)


def test_an_absolute_ref_outside_the_folder_is_refused(tree):
    done = build(tree, f"{tree / 'outside' / 'secret.yaml'}#/Secret")
    assert_input_error(done, f"project/api/spec.yaml:{REF_LINE}:", "outside the folder")
    no_secret_written(tree)


def test_a_symlink_inside_the_folder_pointing_out_is_refused(tree):
    (tree / "project" / "api" / "link.yaml").symlink_to(tree / "outside" / "secret.yaml")
    done = build(tree, "link.yaml#/Secret")
    assert_input_error(done, f"project/api/spec.yaml:{REF_LINE}:", "outside the folder")
    no_secret_written(tree)


def test_ref_root_widens_the_folder_and_still_confines(tree):
    secret_file(tree / "project" / "common" / "types.yaml")
    done = build(tree, "../common/types.yaml#/Secret", "--ref-root", tree / "project")
    assert done.returncode == 0, done.stderr
    assert SECRET in (tree / "out" / "spec" / "server.py").read_text(encoding="utf-8")
    done = build(tree, "../../outside/secret.yaml#/Secret", "--ref-root", tree / "project")
    assert_input_error(done, f"project/api/spec.yaml:{REF_LINE}:", "outside the folder")


def test_a_fifo_is_refused_not_waited_on(tree):
    fifo = tree / "project" / "api" / "pipe.yaml"
    os.mkfifo(fifo)
    done = build(tree, "pipe.yaml#/Secret")  # the old build blocked here forever
    assert_input_error(done, f"project/api/spec.yaml:{REF_LINE}:", "not a regular file")


def test_a_device_is_refused_even_inside_the_ref_root(tree):
    done = build(tree, "/dev/zero#/Secret", "--ref-root", "/")  # the old build read gigabytes
    assert_input_error(done, f"project/api/spec.yaml:{REF_LINE}:", "not a regular file")


def test_a_file_over_the_size_limit_is_refused_saying_the_limit(tree):
    big = tree / "project" / "api" / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse: costs no disk and no time
    done = build(tree, "big.yaml#/Secret")
    assert_input_error(done, f"project/api/spec.yaml:{REF_LINE}:", "64 MB")


def test_the_spec_itself_must_be_a_regular_file(tmp_path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    done = run_adaptgen("check", "-q", fifo, "--out", tmp_path / "out", cwd=tmp_path)
    assert_input_error(done, "spec.yaml", "not a regular file")
