"""Reading the manifests ``awsip sandbox`` applies: a folder of ``*.yaml`` or one file.

Like ``kubectl apply -f``, a path may name a single file or a folder (its ``*.yaml`` and ``*.yml``
files, in name order, so that ``00-namespace.yaml`` comes first). Every problem a person can fix
is a :class:`ManifestError` whose message names the file and, for YAML, the line: the command
turns it into one line and exit status 2 instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from awsip.sandbox.client import KINDS

#: The annotation of an example that names the Ready reason the sandbox must observe.
EXPECT_REASON_ANNOTATION: Final = "sandbox.awsip.io/expect-reason"


class ManifestError(ValueError):
    """A manifest path or document the sandbox cannot apply; the message says where and why."""


def manifest_files(path: Path) -> list[Path]:
    """``path`` itself if it is a file, else its ``*.yaml``/``*.yml`` files in name order."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise ManifestError(f"{path}: no *.yaml files in this folder")
        return files
    if path.exists():
        raise ManifestError(f"{path}: neither a file nor a folder")
    raise ManifestError(f"{path}: no such file or folder")


def load_manifests(path: Path) -> list[dict[str, Any]]:
    """Every document of the file, or of the folder's YAML files, in order (empty ones skipped)."""
    documents: list[dict[str, Any]] = []
    for file in manifest_files(path):
        documents += _load_file(file)
    return documents


def _load_file(file: Path) -> list[dict[str, Any]]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{file}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{file}: not UTF-8 text") from None
    try:
        loaded = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.MarkedYAMLError as exc:
        raise ManifestError(_yaml_problem(file, exc)) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"{file}: invalid YAML: {exc}") from None
    for index, doc in enumerate(loaded, start=1):
        _check_document(file, index, doc)
    return loaded


def _yaml_problem(file: Path, exc: yaml.MarkedYAMLError) -> str:
    """``FILE, line N: invalid YAML: PROBLEM (CONTEXT on line M)``, lines counted from 1."""
    mark = exc.problem_mark or exc.context_mark
    where = f", line {mark.line + 1}" if mark is not None else ""
    message = f"{file}{where}: invalid YAML: {exc.problem or 'cannot parse it'}"
    if exc.context and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    return message


def _check_document(file: Path, index: int, doc: Any) -> None:
    """A Kubernetes object of a kind the sandbox serves, with a name."""
    where = f"{file}: document {index}"
    if not isinstance(doc, dict):
        raise ManifestError(f"{where}: not a Kubernetes object (a YAML mapping)")
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if (api_version, kind) not in KINDS:
        served = ", ".join(f"{k} ({v})" for v, k in KINDS)
        raise ManifestError(
            f"{where}: the sandbox cannot apply {kind!r} ({api_version!r}); it serves {served}"
        )
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise ManifestError(f"{where}: {kind} without metadata.name")
