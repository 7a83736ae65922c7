"""Render the settings tree as the Markdown table in README.md ("Settings").

`python -m services.settings_doc --write` rewrites the block between the markers in README.md;
tests/unit/test_settings_doc.py fails when a setting is added without refreshing the docs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel

from services.settings import Settings

BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"
README = Path(__file__).resolve().parent.parent / "README.md"


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += _rows(annotation, f"{prefix}{name.upper()}__")
            continue
        default = field.get_default(call_default_factory=True)
        if hasattr(default, "get_secret_value"):
            default = "(secret)"
        shown = str(default).replace("|", "\\|").replace(str(Path.home()), "~")
        doc = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{prefix}{name.upper()}` | `{shown}` | {doc} |")
    return rows


def render() -> str:
    lines = ["| environment variable | default | meaning |", "|---|---|---|", *_rows(Settings, "PARLEY_")]
    return "\n".join([BEGIN, *lines, END])


def current_block(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def main() -> int:
    block = render()
    if "--write" in sys.argv:
        text = README.read_text()
        README.write_text(text.replace(current_block(text), block))
        return 0
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
