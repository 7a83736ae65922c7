"""Lead routing: does a freshly scored lead sync to the CRM on its own, or wait for a person?

Pure function over the lead JSON (services/pipeline/types.py `Lead`, as stored in the result) and the tenant's
policy. A lead syncs unreviewed only when every rule agrees; each rule that does not adds a reason, so the
review queue can say why a lead is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from services.pipeline.bant_rules import CRITERIA

HotRule = Literal["review", "threshold", "never"]


@dataclass(frozen=True)
class RoutingPolicy:
    threshold: float
    """confidence at or above this may sync unreviewed"""
    hot_leads: HotRule = "review"
    """review: hot leads always wait for a person; threshold: like the others; never: hot leads skip the
    confidence threshold (evidence and needs_review still count)"""
    needs_review_always: bool = True
    """a lead the extractor flagged needs_review always waits for a person"""


@dataclass(frozen=True)
class RouteDecision:
    auto: bool
    reasons: tuple[str, ...]
    """machine-readable reasons for review (empty when auto): low_confidence, hot_lead, needs_review,
    evidence_missing:<criterion>"""

    @property
    def summary(self) -> str:
        return "auto: all routing rules passed" if self.auto else "review: " + ", ".join(self.reasons)


def evidence_problems(lead: dict[str, Any]) -> list[str]:
    """A criterion marked present must cite at least one non-empty quote: a claim without a quote cannot be
    checked by anyone, so it does not go to the CRM unseen."""
    bant = lead.get("bant") or {}
    problems = []
    for name in CRITERIA:
        item = bant.get(name) or {}
        if item.get("present") and not any((e or {}).get("quote", "").strip() for e in item.get("evidence") or ()):
            problems.append(f"evidence_missing:{name}")
    return problems


def route(lead: dict[str, Any], policy: RoutingPolicy) -> RouteDecision:
    reasons: list[str] = []
    score = lead.get("score")
    confidence = float(lead.get("confidence") or 0.0)
    if score == "hot" and policy.hot_leads == "review":
        reasons.append("hot_lead")
    skip_threshold = score == "hot" and policy.hot_leads == "never"
    if confidence < policy.threshold and not skip_threshold:
        reasons.append("low_confidence")
    if lead.get("needs_review") and policy.needs_review_always:
        reasons.append("needs_review")
    reasons.extend(evidence_problems(lead))
    return RouteDecision(auto=not reasons, reasons=tuple(reasons))
