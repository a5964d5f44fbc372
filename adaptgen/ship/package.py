"""Lambda deployment zips: a generated server and the runtime it imports, in one zip.

The zip holds the server folder's files at its root (so the Lambda handler setting is
`handler.handler`) beside the packages pip installs for the *target* runtime and architecture,
whatever this machine is: `pip install --target --platform manylinux_2_X_<machine>
--python-version 3.Y --implementation cp --only-binary=:all:`. adaptgen itself comes from this
checkout as a freshly built wheel (or, for an installed adaptgen, the same version from the
package index), so the zip runs the code that generated the server.

What is in it, and why (`adaptgen package --explain` prints it, with sizes):

- Only what a running server imports (`contents.select`): adaptgen's runtime modules (the
  import closure of `adaptgen.runtime`, not the loader, planner, renderer, packager, CLI or
  sandbox), and the distributions adaptgen's requirements pull in, less those a server never
  imports (build-time tools, FastMCP's command line, uvloop/httptools for `serve`) and the
  optional ones the shipped policy does not use (Cedar, Redis, trace export; `--with` adds one
  for a policy named only at deploy time).
- boto3 and botocore are the Lambda runtime's own (it puts them on `sys.path`); `--bundle-boto3`
  ships a pinned copy instead, which then comes first.
- Bytecode is compiled ahead for the target Python when an interpreter of that version is on
  PATH: `/var/task` is read-only, so otherwise every cold start compiles every import (the CRM
  handler imports in half the time). The `.pyc` files are hash-based and never checked against
  their sources (nothing on Lambda can change them), so they carry no timestamps. They are
  compiled with `-X no_debug_ranges` (no column tables: a traceback keeps its file and line but
  loses the `^^^` markers; the tables do not compress and were a fifth of the zip). The
  dependencies ship *sourceless* (`module.pyc` in place of `module.py`: the source is never read
  on Lambda, and shipping both doubled the code in the zip); adaptgen and the server keep their
  sources beside the bytecode, so their tracebacks show the failing line. A file the target
  Python cannot compile keeps its source.
- Left out too: console scripts (`bin/`, with this machine's shebangs), `__pycache__` of this
  machine, `direct_url.json` (names a temporary wheel path); if pip, setuptools, wheel or ruff
  ever come in through another package, packaging fails rather than ship them.

The zip is deterministic: entries sorted, one fixed timestamp, one file mode (0644: Lambda runs
the code as another user, and nothing needs the execute bit), fixed compression. The same
inputs and the same pip resolution give the same bytes, so `deploy` can tell unchanged code by
its SHA-256.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import adaptgen
from adaptgen.errors import BuildError, InputError
from adaptgen.ship.contents import (
    Contents,
    drop_search_models,
    needed_features,
    search_features,
    select,
)

__all__ = [
    "AGENTCORE_UNZIPPED_LIMIT",
    "LAMBDA_UNZIPPED_LIMIT",
    "AgentCoreTarget",
    "LambdaPackage",
    "LambdaTarget",
    "build_package",
    "check_server_folder",
    "check_unpacked_size",
    "code_sha256",
    "find_interpreter",
    "policy_features",
    "run_package",
    "runtime_requirements",
    "show_progress",
]

RUNTIMES = ("python3.11", "python3.12", "python3.13")
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}  # Lambda's name -> wheel tag machine
# glibc of the Lambda base image: python3.11 runs on Amazon Linux 2, 3.12 and later on AL2023.
RUNTIME_GLIBC_MINOR = {"python3.11": 26, "python3.12": 34, "python3.13": 34}
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # bytes, code and layers together
AGENTCORE_UNZIPPED_LIMIT = 750 * 1024 * 1024  # bytes, a direct code deployment unpacked
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the zip; tracebacks name files there
SERVER_REQUIRED = ("server.py", "catalog.json", "handler.py")
BUILD_TOOLS = frozenset({"pip", "setuptools", "wheel", "ruff"})
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry
ZIP_FILE_MODE = 0o100644  # regular file, rw-r--r--
MB = 1024 * 1024

Progress = Callable[[str], None]  # told what packaging is doing, for a slow step's user


@dataclass(frozen=True)
class LambdaTarget:
    """A Lambda runtime and architecture, e.g. python3.12 on arm64."""

    runtime: str
    arch: str
    service: ClassVar[str] = "Lambda"
    unzipped_limit: ClassVar[int] = LAMBDA_UNZIPPED_LIMIT

    @classmethod
    def resolve(cls, runtime: str | None, arch: str | None) -> LambdaTarget:
        """The target asked for; what is not given defaults to this interpreter and machine."""
        return cls(runtime or _this_runtime(), arch or _this_arch())

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise InputError(f"unsupported Lambda runtime {self.runtime!r}: use {RUNTIMES}")
        if self.arch not in ARCHITECTURES:
            raise InputError(f"unsupported Lambda architecture {self.arch!r}: x86_64 or arm64")

    def __str__(self) -> str:
        return f"{self.runtime}/{self.arch}"

    @property
    def python_version(self) -> str:
        """`3.12` for python3.12."""
        return self.runtime.removeprefix("python")

    @property
    def platform_tags(self) -> list[str]:
        """Wheel platform tags the runtime's glibc can load, most specific first.

        pip does not widen a `--platform manylinux_2_34_x86_64` to older glibc versions, so
        every one is listed; manylinux2014 is the old name of manylinux_2_17.
        """
        machine = ARCHITECTURES[self.arch]
        newest = RUNTIME_GLIBC_MINOR[self.runtime]
        tags = [f"manylinux_2_{minor}_{machine}" for minor in range(newest, 16, -1)]
        return [*tags, f"manylinux2014_{machine}"]

    @property
    def markers(self) -> dict[str, str]:
        """Environment marker values of the target (to read requirements as pip did)."""
        return {
            "python_version": self.python_version,
            "python_full_version": f"{self.python_version}.0",
            "implementation_name": "cpython",
            "implementation_version": f"{self.python_version}.0",
            "platform_python_implementation": "CPython",
            "platform_system": "Linux",
            "sys_platform": "linux",
            "os_name": "posix",
            "platform_machine": ARCHITECTURES[self.arch],
            "platform_release": "",
            "platform_version": "",
        }

    def pip_options(self) -> list[str]:
        """`pip install` options that select wheels for this target instead of this machine."""
        options = ["--implementation", "cp", "--python-version", self.python_version]
        options += ["--only-binary=:all:"]
        for tag in self.platform_tags:
            options += ["--platform", tag]
        return options


@dataclass(frozen=True)
class AgentCoreTarget(LambdaTarget):
    """A managed Python of AgentCore Runtime's direct code deployment, e.g. PYTHON_3_13.

    AgentCore runs arm64 (Graviton) only; `arch` is open for tests that run the package on
    this machine. Wheels are manylinux2014 (glibc 2.17), as AWS's guide installs them: the
    runtime's glibc is not published, and every dependency has such wheels.
    """

    service: ClassVar[str] = "AgentCore Runtime"
    unzipped_limit: ClassVar[int] = AGENTCORE_UNZIPPED_LIMIT

    @classmethod
    def resolve(cls, runtime: str | None, arch: str | None) -> AgentCoreTarget:
        """The target asked for: this interpreter's Python unless given, arm64."""
        if arch not in (None, "arm64"):
            raise InputError(f"--arch {arch}: AgentCore Runtime runs arm64 only")
        return cls(runtime or _this_runtime(), "arm64")

    @property
    def platform_tags(self) -> list[str]:
        machine = ARCHITECTURES[self.arch]
        return [f"manylinux2014_{machine}", f"manylinux_2_17_{machine}"]

    @property
    def managed_runtime(self) -> str:
        """AgentCore's name of the Python, e.g. `PYTHON_3_13` for python3.13."""
        return "PYTHON_" + self.python_version.replace(".", "_")


@dataclass(frozen=True)
class LambdaPackage:
    """A written deployment zip and what it holds."""

    path: Path
    target: LambdaTarget
    sha256: str  # hex digest of the zip's bytes
    zipped_bytes: int
    unpacked_bytes: int
    files: int
    bytecode_by: str | None  # the interpreter that compiled the .pyc files, if one was found
    contents: Contents | None = None  # what went in and what stayed out, and why

    def summary(self, *, explain: bool = False) -> str:
        """What `adaptgen package` prints: path, target, sizes, bytecode and digest (and with
        `explain`, every distribution in or out of the zip, with its size and why)."""
        if self.bytecode_by:
            bytecode = f"compiled for Python {self.target.python_version} ({self.bytecode_by})"
        else:
            bytecode = (
                f"not compiled: no python{self.target.python_version} on PATH "
                "(cold starts will compile every import)"
            )
        return "\n".join(
            [
                f"{self.path}",
                f"  runtime {self.target.runtime}, arch {self.target.arch}",
                f"  {self.zipped_bytes / MB:.1f} MB zipped, {self.unpacked_bytes / MB:.1f} MB "
                f"unpacked ({self.target.service} allows {self.target.unzipped_limit // MB} MB), "
                f"{self.files} files",
                f"  bytecode: {bytecode}",
                f"  sha256: {self.sha256}",
                *([self.contents.explain()] if explain and self.contents else []),
            ]
        )


PACKAGED_POLICY = "policy.yaml"  # the entry point's default policy when the zip has one


def run_package(args: argparse.Namespace) -> int:
    """`adaptgen package SERVER [--runtime] [--arch] [--out]`."""
    target = LambdaTarget.resolve(args.runtime, args.arch)
    folder = check_server_folder(args.server)
    out = args.out or default_zip_path(folder, target)
    policy = check_policy(args.policy)
    features = policy_features(policy) | set(getattr(args, "with_features", None) or ())
    package = build_package(
        folder,
        target,
        out,
        policy=policy,
        progress=show_progress,
        features=features,
        bundle_boto3=getattr(args, "bundle_boto3", False),
    )
    print(package.summary(explain=getattr(args, "explain", False)))
    return 0


def check_policy(policy: Path | None) -> Path | None:
    """A governance policy file to ship, validated now (a broken policy fails the package, with
    file:line, rather than the function's first cold start)."""
    if policy is not None:
        from adaptgen.runtime.governance.policy import load_policy

        load_policy(policy)  # a PolicyError is exit 2 with file:line, as for `serve --policy`
    return policy


def policy_features(policy: Path | None) -> set[str]:
    """The optional runtime features (Cedar, Redis, trace export) the shipped policy uses."""
    if policy is None:
        return set()
    from adaptgen.runtime.governance.policy import load_policy

    return needed_features(load_policy(policy))


def default_zip_path(folder: Path, target: LambdaTarget) -> Path:
    """`dist/<name>-<runtime>-<arch>.zip`, relative to the working directory."""
    return Path("dist") / f"{folder.name}-{target.runtime}-{target.arch}.zip"


def check_server_folder(folder: Path) -> Path:
    """`folder`, resolved, if it is a generated server; `InputError` naming what is missing."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder (expected a generated server like generated/crm)")
    missing = [name for name in SERVER_REQUIRED if not (folder / name).is_file()]
    if missing:
        hint = (
            "rebuild it with `adaptgen build` (handler.py is the Lambda entry point)"
            if missing == ["handler.py"]
            else "expected the output of `adaptgen build`"
        )
        raise InputError(f"{folder}: no {', '.join(missing)}: {hint}")
    return folder.resolve()


def build_package(
    folder: Path | None,
    target: LambdaTarget,
    out: Path,
    *,
    policy: Path | None = None,
    progress: Progress | None = None,
    features: set[str] | None = None,
    bundle_boto3: bool = False,
    entry: Mapping[str, str] | None = None,
) -> LambdaPackage:
    """Write the deployment zip for the server in `folder` to `out` and describe it.

    `policy` is shipped as `policy.yaml` beside `handler.py`, which uses it unless the function's
    environment names another (`<PREFIX>_POLICY` / `ADAPTGEN_POLICY`). `entry`: more files for
    the zip's root (name -> text), e.g. AgentCore's `main.py`; with no `folder` (the proxy),
    they are all the zip holds besides the runtime.
    """
    say = progress or (lambda message: None)
    with tempfile.TemporaryDirectory(prefix="adaptgen-package-") as tmp:
        work = Path(tmp)
        staging = work / "staging"
        say(f"installing adaptgen and its dependencies for {target}")
        wheel = _adaptgen_wheel(work / "wheel")
        _pip_install(wheel, staging, target)
        contents = select(
            staging,
            runtime_requirements(wheel),
            target.markers,
            features=set(features or ()) | search_features(folder),
            bundle_boto3=bundle_boto3,
        )
        _drop_machine_files(staging)
        _refuse_build_tools(staging)
        drop_search_models(staging, folder, contents)
        if folder is not None:
            _copy_server(folder, staging)
        _write_entry(entry or {}, staging)
        if policy is not None:
            shutil.copyfile(policy, staging / PACKAGED_POLICY)
        python = find_interpreter(target.python_version)
        if python:
            say(f"compiling bytecode with {python}")
            _compile(staging, python, with_sources={"adaptgen", *_own_tops(folder, entry)})
        _rewrite_records(staging)
        unpacked, files = check_unpacked_size(staging, target.unzipped_limit, target.service)
        say(f"writing {out}")
        _write_zip(staging, out)
    data = out.read_bytes()
    return LambdaPackage(
        path=out,
        target=target,
        sha256=hashlib.sha256(data).hexdigest(),
        zipped_bytes=len(data),
        unpacked_bytes=unpacked,
        files=files,
        bytecode_by=python,
        contents=contents,
    )


def code_sha256(zip_path: Path) -> str:
    """The zip's SHA-256 as Lambda reports it in `CodeSha256` (base64, not hex)."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode("ascii")


def find_interpreter(python_version: str) -> str | None:
    """The path of a Python `python_version` (e.g. "3.12") interpreter, or None.

    This interpreter if it is that version, else `python3.X` on PATH, checked by running it (a
    pyenv shim for a version that is not selected is on PATH but fails).
    """
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == python_version:
        return sys.executable
    probe = "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"
    candidate = shutil.which(f"python{python_version}")
    if candidate is None:
        return None
    try:
        answer = subprocess.run(
            [candidate, "-S", "-c", probe], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version, _, executable = answer.stdout.strip().partition("\n")
    if answer.returncode == 0 and version == python_version:
        return executable or candidate
    return None


# -- steps -----------------------------------------------------------------------------------


def show_progress(message: str) -> None:
    """A packaging step, on stderr (stdout is for the report) when a person watches it: CI
    logs and pipes get only the report."""
    from adaptgen.report import watched

    if watched(sys.stderr):
        print(f"adaptgen: {message} ...", file=sys.stderr, flush=True)


def _adaptgen_wheel(wheel_dir: Path) -> Path:
    """adaptgen as a wheel: built from this checkout, else this version from the index."""
    root = _checkout_root()
    if root is None:
        requirement = f"adaptgen=={adaptgen.__version__}"
        args = ["download", "--no-deps", "--only-binary=:all:", "--dest", str(wheel_dir)]
        _pip([*args, requirement], f"download {requirement}")
    else:
        args = ["wheel", "--no-deps", "--wheel-dir", str(wheel_dir), str(root)]
        _pip(args, f"build a wheel of {root}")
    (wheel,) = wheel_dir.glob("adaptgen-*.whl")
    return wheel


def runtime_requirements(wheel: Path) -> list[str]:
    """adaptgen's own requirements (from the wheel's METADATA) minus build tools.

    ruff formats generated code at build time and is never imported by a running server.
    """
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode("utf-8")
    requirements = []
    for line in text.splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        requirement = line.removeprefix("Requires-Dist:").strip()
        name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if "extra ==" in requirement or (name and _normalize(name.group()) in BUILD_TOOLS):
            continue
        requirements.append(requirement)
    return requirements


def _checkout_root() -> Path | None:
    """The project folder adaptgen is imported from, if it is a source checkout."""
    root = Path(adaptgen.__file__).resolve().parent.parent
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return root if project.get("project", {}).get("name") == "adaptgen" else None


def _pip_install(wheel: Path, staging: Path, target: LambdaTarget) -> None:
    """adaptgen and its runtime requirements, as wheels for `target`, into `staging`."""
    # --no-compile: pip would compile with *this* interpreter, and stamp source mtimes.
    args = ["install", "--target", str(staging), "--no-compile", *target.pip_options()]
    _pip([*args, *runtime_requirements(wheel)], f"install adaptgen's dependencies for {target}")
    # adaptgen alone, so its build-time requirements stay out.
    _pip([*args, "--no-deps", str(wheel)], f"install adaptgen for {target}")


def _pip(args: list[str], what: str) -> None:
    command = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check", *args]
    answer = subprocess.run(command, capture_output=True, text=True, env=_pip_env())
    if answer.returncode != 0:
        lines = [line for line in answer.stderr.splitlines() if line.strip()]
        detail = "\n".join(line for line in lines if "is ignored" not in line)[-3000:]
        raise BuildError(f"pip could not {what}:\n{detail}")


def _pip_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PIP_NO_INPUT"] = "1"
    env.pop("PIP_TARGET", None)  # a user's PIP_TARGET / PIP_PREFIX would fight --target
    env.pop("PIP_PREFIX", None)
    return env


def _drop_machine_files(staging: Path) -> None:
    """Remove what describes this machine rather than the package (see the module docstring)."""
    shutil.rmtree(staging / "bin", ignore_errors=True)
    for cache in sorted(staging.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache, ignore_errors=True)
    for direct_url in staging.glob("*.dist-info/direct_url.json"):
        direct_url.unlink()


def _refuse_build_tools(staging: Path) -> None:
    names = {_distribution_name(info) for info in staging.glob("*.dist-info")}
    tools = sorted(names & BUILD_TOOLS)
    if tools:
        raise BuildError(
            f"a dependency pulled build tools into the package ({', '.join(tools)}); they must "
            "not ship to Lambda: find which one with `pip show` and pin it"
        )


def _distribution_name(dist_info: Path) -> str:
    return _normalize(dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0])


def _normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _copy_server(folder: Path, staging: Path) -> None:
    """The server's files at the zip root, refusing to shadow an installed package."""
    for source in _server_files(folder):
        relative = source.relative_to(folder)
        dest = staging / relative
        if (staging / relative.parts[0]).exists():
            raise InputError(
                f"{source}: its name {relative.parts[0]!r} is taken by an installed package; "
                "rename it"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)


def _write_entry(entry: Mapping[str, str], staging: Path) -> None:
    for name, text in entry.items():
        if (staging / name).exists():
            raise InputError(f"{name}: the zip has one already (the server's or a package's)")
        (staging / name).write_text(text, encoding="utf-8")


def _own_tops(folder: Path | None, entry: Mapping[str, str] | None) -> set[str]:
    """The top-level names (`.py` dropped) of what the zip's root holds besides the installed
    packages: the server's files and the entry point's."""
    names = [path.relative_to(folder).parts[0] for path in _server_files(folder)] if folder else []
    return {_top_name(name) for name in [*names, *(entry or {})]}


def _server_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        hidden = any(part.startswith(".") or part == "__pycache__" for part in parts)
        if path.is_file() and not hidden and path.suffix != ".pyc":
            yield path


def _rewrite_records(staging: Path) -> None:
    """Each dist-info RECORD lists only files that are in the zip (no scripts, no direct_url)."""
    for record in sorted(staging.glob("*.dist-info/RECORD")):
        rows = list(csv.reader(io.StringIO(record.read_text(encoding="utf-8"))))
        kept = [row for row in rows if row and _inside(staging, row[0])]
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(kept)
        record.write_text(text.getvalue(), encoding="utf-8")


def _inside(staging: Path, relative: str) -> bool:
    path = (staging / relative).resolve()
    return path.is_relative_to(staging.resolve()) and path.is_file()


def _compile(staging: Path, python: str, *, with_sources: set[str]) -> None:
    """Compile every module for the target Python: the top-level names in `with_sources` into
    `__pycache__` beside their sources, the rest sourceless (see the module docstring)."""
    tops = sorted(path.name for path in staging.iterdir() if _python_code(path))
    sourced = [name for name in tops if _top_name(name) in with_sources]
    sourceless = [name for name in tops if _top_name(name) not in with_sources]
    _compileall(staging, python, sourced, legacy=False)
    _compileall(staging, python, sourceless, legacy=True)
    for compiled in sorted(p for name in sourceless for p in _legacy_bytecode(staging / name)):
        compiled.with_suffix(".py").unlink(missing_ok=True)


def _legacy_bytecode(path: Path) -> list[Path]:
    """The `module.pyc` files `compileall -b` wrote for the file or folder at `path`."""
    if path.is_dir():
        return list(path.rglob("*.pyc"))
    compiled = path.with_suffix(".pyc")
    return [compiled] if compiled.is_file() else []


def _python_code(path: Path) -> bool:
    return path.suffix == ".py" or (path.is_dir() and not path.name.endswith(".dist-info"))


def _top_name(name: str) -> str:
    return name.removesuffix(".py")


def _compileall(staging: Path, python: str, names: list[str], *, legacy: bool) -> None:
    if not names:
        return
    # PYTHONHASHSEED fixes the order of set constants, so the same source gives the same bytes;
    # -s/-p make the recorded file names /var/task/... instead of this temporary folder; -b
    # writes `module.pyc` beside `module.py`, where an import finds it without the source.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    command = [python, "-S", "-X", "no_debug_ranges", "-m", "compileall", "-qq", "-j", "0"]
    command += ["--invalidation-mode", "unchecked-hash", *(["-b"] if legacy else [])]
    command += ["-s", str(staging), "-p", LAMBDA_TASK_ROOT]
    command += [str(staging / name) for name in names]
    # A failure leaves that one file uncompiled (some packages ship sources for other Pythons).
    subprocess.run(command, env=env, capture_output=True, check=False, cwd=staging)


def _files(staging: Path) -> list[tuple[str, Path]]:
    """Every file below `staging` as (zip name, path), sorted by zip name."""
    found = [(p.relative_to(staging).as_posix(), p) for p in staging.rglob("*") if p.is_file()]
    return sorted(found)


def check_unpacked_size(
    staging: Path, limit: int = LAMBDA_UNZIPPED_LIMIT, service: str = "Lambda"
) -> tuple[int, int]:
    """(bytes, files) below `staging`; `BuildError` naming the largest parts if over `limit`."""
    files = _files(staging)
    unpacked = sum(path.stat().st_size for _, path in files)
    if unpacked > limit:
        raise BuildError(
            f"the package is {unpacked / MB:.1f} MB unpacked, over {service}'s "
            f"{limit / MB:.0f} MB limit; largest: {_largest(staging)}"
        )
    return unpacked, len(files)


def _largest(staging: Path, count: int = 5) -> str:
    sizes: dict[str, int] = {}
    for name, path in _files(staging):
        top = name.split("/", 1)[0]
        sizes[top] = sizes.get(top, 0) + path.stat().st_size
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{name} {size / MB:.1f} MB" for name, size in largest)


def _write_zip(staging: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in _files(staging):
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            entry.create_system = 3  # Unix, so the mode below is honoured when unpacked
            entry.external_attr = ZIP_FILE_MODE << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    os.replace(partial, out)


# -- defaults --------------------------------------------------------------------------------


def _this_runtime() -> str:
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime not in RUNTIMES:
        raise InputError(f"this Python is not a Lambda runtime ({runtime}); pass --runtime")
    return runtime


def _this_arch() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
    if machine not in arch:
        raise InputError(f"no Lambda architecture for this machine ({machine}); pass --arch")
    return arch[machine]
