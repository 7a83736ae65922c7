"""Every value is documented: a `# --` comment in values.yaml and a row in charts/parley/README.md; and the
values schema knows every key values.yaml has (additionalProperties is false, so a key it lacks would fail)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tests.chart.render import CHART


def leaves(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Leaf keys: scalars, lists and empty maps; free-form maps with content (resources, labels) count as one
    leaf when values.yaml documents them as a whole."""
    found = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and not _documented_as_whole(path):
            found += leaves(value, path + ".")
        else:
            found.append(path)
    return found


def _doc_comments() -> dict[str, str]:
    """path -> the `# --` comment right above it in values.yaml."""
    docs, stack, pending = {}, [], None
    for line in (CHART / "values.yaml").read_text().splitlines():
        text = line.strip()
        if text.startswith("# --"):
            pending = text[4:].strip()
            continue
        if text.startswith("#"):
            continue
        match = re.match(r"^( *)([A-Za-z_][\w-]*):", line)
        if match:
            depth = len(match.group(1)) // 2
            stack = stack[:depth] + [match.group(2)]
            if pending:
                docs[".".join(stack)] = pending
            pending = None
    return docs


DOCS = _doc_comments()


def _documented_as_whole(path: str) -> bool:
    return path in DOCS


def values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def test_every_leaf_value_has_a_doc_comment() -> None:
    missing = [p for p in leaves(values()) if p not in DOCS]
    assert missing == []


def test_every_leaf_value_is_in_the_chart_readme() -> None:
    readme = (CHART / "README.md").read_text()
    missing = [p for p in leaves(values()) if f"`{p}`" not in readme]
    assert missing == []
    assert len(leaves(values())) > 60


def test_values_schema_covers_every_key() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())

    def walk(data: dict[str, Any], node: dict[str, Any], prefix: str) -> list[str]:
        missing = []
        props = node.get("properties", {})
        for key, value in data.items():
            if key not in props:
                if node.get("additionalProperties") is False:
                    missing.append(prefix + key)
                continue
            if isinstance(value, dict):
                missing += walk(value, props[key], f"{prefix}{key}.")
        return missing

    assert walk(values(), schema, "") == []


def test_image_defaults_are_pinned_to_the_app_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    v = values()
    assert v["image"]["tag"] == "" and chart["appVersion"]  # empty = appVersion (parley.image helper)
    assert v["database"]["bundled"]["image"]["tag"] not in ("", "latest")
    pyproject = (CHART.parents[1] / "pyproject.toml").read_text()
    assert f'version = "{chart["appVersion"]}"' in pyproject, "chart appVersion = the Parley version"
    assert f'"ray[serve]=={v["ray"]["version"]}"' in pyproject, "rayVersion = the ray pin"
