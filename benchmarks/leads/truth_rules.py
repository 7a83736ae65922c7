"""The reference tier rule the truth is labelled with (independent of services/pipeline/bant_rules.py)."""

from __future__ import annotations

from collections.abc import Mapping


def reference_tier(status: Mapping[str, str], meeting_booked: bool) -> str:
    """hot: >= 3 criteria stated; warm: 2 stated, or 1 stated that is need, with another criterion hedged or
    delegated or a meeting/demo/trial booked as the next step; else cold."""
    confirmed = [c for c, s in status.items() if s == "stated"]
    if len(confirmed) >= 3:
        return "hot"
    if len(confirmed) == 2:
        return "warm"
    if confirmed == ["need"] and (
        any(s in ("hedged", "delegated") for s in status.values()) or meeting_booked
    ):
        return "warm"
    return "cold"
