"""Invariants of the Dockerfile (no Docker engine here to build it)."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field

import yaml

from tests.delivery.delivery_helpers import CHART, ROOT

DOCKERFILE = ROOT / "Dockerfile"
PINNED_PYTHON = re.compile(
    r"^python:(?P<version>3\.(?P<minor>\d+)\.\d+)-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?$|"
    r"^python@sha256:[0-9a-f]{64}$"
)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse() -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=parts[0], name=name))
        elif not stages:
            assert keyword == "ARG", f"only ARG may come before the first FROM, not {keyword}"
            arg_name, _, default = args.partition("=")
            global_args[arg_name] = default
        else:
            stages[-1].instructions.append((keyword, args))
    return global_args, stages


def resolve(base: str, global_args: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: global_args[m.group(1)], base)


def test_multi_stage_build_on_a_pinned_slim_python() -> None:
    global_args, stages = parse()
    assert len(stages) >= 2, "a build stage and a runtime stage"
    for stage in stages:
        base = resolve(stage.base, global_args)
        if base in {s.name for s in stages}:
            continue
        assert PINNED_PYTHON.match(base), f"base image {base!r} is not pinned to an exact version or digest"
        assert ":latest" not in base


def test_python_version_satisfies_the_package() -> None:
    global_args, stages = parse()
    match = PINNED_PYTHON.match(resolve(stages[-1].base, global_args))
    assert match and match.group("minor")
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = int(re.fullmatch(r">=3\.(\d+)", requires).group(1))  # type: ignore[union-attr]
    assert int(match.group("minor")) >= minimum


def test_package_is_installed_from_its_wheel() -> None:
    _, stages = parse()
    build = "\n".join(args for stage in stages[:-1] for kw, args in stage.instructions if kw == "RUN")
    assert re.search(r"pip wheel .*--wheel-dir /dist \.", build)
    assert re.search(r"pip install .*--constraint requirements/constraints.txt /dist/awsip-\*\.whl", build)
    runtime = stages[-1]
    copies = runtime.all("COPY")
    assert copies and all(c.startswith("--from=") for c in copies), (
        "the runtime stage copies only build output"
    )
    assert not runtime.all("RUN"), "the runtime stage needs no shell: nothing is RUN in it"


def test_runs_as_a_numeric_non_root_user() -> None:
    _, stages = parse()
    users = stages[-1].all("USER")
    assert users, "the runtime stage sets USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["podSecurityContext"]["runAsUser"] == int(uid), "the chart runs the image's user"
    if gid:
        assert values["podSecurityContext"]["runAsGroup"] == int(gid)


def test_entrypoint_is_awsip_run_in_exec_form() -> None:
    _, stages = parse()
    entrypoints = stages[-1].all("ENTRYPOINT")
    assert len(entrypoints) == 1
    entrypoint = json.loads(entrypoints[0])  # exec form: a JSON array, no shell
    assert entrypoint[0].endswith("/awsip") and entrypoint[1:] == ["run"]
    for cmd in stages[-1].all("CMD"):
        assert isinstance(json.loads(cmd), list), "CMD in exec form"


def test_exposed_ports_match_the_chart() -> None:
    _, stages = parse()
    exposed = {int(p.split("/")[0]) for args in stages[-1].all("EXPOSE") for p in args.split()}
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert exposed == {values["liveness"]["port"], values["metrics"]["port"]}


def test_dockerignore_keeps_the_context_small_and_secret_free() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "ignore everything, then allow what the build needs"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "requirements/constraints.txt", "operator/"}
    _, stages = parse()
    sources = [
        source
        for stage in stages[:-1]
        for args in stage.all("COPY")
        if not args.startswith("--")
        for source in args.split()[:-1]
    ]
    assert "operator/" in sources
    for source in sources:
        assert source.rstrip("/") in {a.rstrip("/") for a in allowed}, (
            f"COPY {source} is excluded by .dockerignore"
        )
