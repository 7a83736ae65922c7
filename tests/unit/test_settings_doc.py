from __future__ import annotations

from services.settings_doc import README, current_block, render


def test_readme_documents_every_setting():
    """Adding a setting without documenting it fails here: run `python -m services.settings_doc --write`."""
    assert current_block(README.read_text()) == render()


def test_every_setting_has_a_description():
    rows = render().splitlines()[3:-1]
    # "| `NAME` | `default` | meaning |" -> fields 1, 2, 3 (a default may not contain an unescaped |)
    undocumented = [row.split(" | ")[0].strip("| `") for row in rows if not row.split(" | ")[2].strip(" |")]
    assert undocumented == []
