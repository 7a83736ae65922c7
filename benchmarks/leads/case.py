"""One generated lead-evaluation case: the transcript lines, the known names for the call, and the truth.

Text level only (no audio): each line is one utterance, so line index i is utterance id `utterance_id(i)` when
the transcript is fed to the pipeline one line per utterance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from services.pipeline.lead_context import CallContext

Split = Literal["dev", "test"]
Kind = Literal["sales", "support"]
LineRole = Literal["rep", "prospect"]
Status = Literal["stated", "hedged", "negated", "delegated", "absent"]
Tier = Literal["hot", "warm", "cold"]

CRITERIA: tuple[str, ...] = ("budget", "authority", "need", "timeline")
STATUSES: tuple[str, ...] = ("stated", "hedged", "negated", "delegated", "absent")
TIERS: tuple[str, ...] = ("hot", "warm", "cold")


def utterance_id(index: int) -> str:
    """Line index -> the utterance id the pipeline gives that line (one utterance per transcript line).

    The single place that knows the mapping: change it here if transcript_io ever numbers differently.
    """
    return f"u{index + 1}"


@dataclass(frozen=True)
class CaseLine:
    speaker: str
    role: LineRole
    text: str


@dataclass(frozen=True)
class LeadTruth:
    status: dict[str, str]
    evidence_lines: dict[str, tuple[int, ...]]
    tier: str
    contact_name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None  # digits only, "4155550192"
    budget_amount: float | None = None
    timeline: str | None = None  # the key phrase as said ("end of March", "Q3")
    competitors: tuple[str, ...] = ()
    meeting_booked: bool = False  # a meeting / demo / trial agreed as the next step (feeds the tier rule)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": dict(self.status),
            "evidence_lines": {k: list(v) for k, v in self.evidence_lines.items()},
            "tier": self.tier,
            "contact_name": self.contact_name,
            "company": self.company,
            "email": self.email,
            "phone": self.phone,
            "budget_amount": self.budget_amount,
            "timeline": self.timeline,
            "competitors": list(self.competitors),
            "meeting_booked": self.meeting_booked,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LeadTruth:
        return cls(
            status=dict(d["status"]),
            evidence_lines={k: tuple(v) for k, v in d["evidence_lines"].items()},
            tier=d["tier"],
            contact_name=d.get("contact_name"),
            company=d.get("company"),
            email=d.get("email"),
            phone=d.get("phone"),
            budget_amount=d.get("budget_amount"),
            timeline=d.get("timeline"),
            competitors=tuple(d.get("competitors", ())),
            meeting_booked=bool(d.get("meeting_booked", False)),
        )


def _context_to_dict(c: CallContext) -> dict[str, Any]:
    return {"own_company": c.own_company, "products": list(c.products), "competitors": list(c.competitors),
            "accounts": list(c.accounts), "contacts": list(c.contacts)}


def _context_from_dict(d: dict[str, Any]) -> CallContext:
    return CallContext(own_company=d.get("own_company"), products=tuple(d.get("products", ())),
                       competitors=tuple(d.get("competitors", ())), accounts=tuple(d.get("accounts", ())),
                       contacts=tuple(d.get("contacts", ())))


@dataclass(frozen=True)
class LeadCase:
    id: str
    split: str
    kind: str
    lines: tuple[CaseLine, ...]
    truth: LeadTruth
    context: CallContext
    families: dict[str, str] = field(default_factory=dict)
    """slot -> family key that produced it ("budget" -> "budget.stated.set_aside", "lookalike.1" -> ...)."""
    corruptions: dict[str, str] = field(default_factory=dict)
    """ASR-like misspellings applied to the text: correct name -> form written in the lines (truth keeps correct)."""

    @property
    def corrupted(self) -> bool:
        return bool(self.corruptions)

    def transcript(self) -> str:
        """The `parley lead` input: one utterance per line, "SPEAKER: text"."""
        return "".join(f"{line.speaker}: {line.text}\n" for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "split": self.split,
            "kind": self.kind,
            "lines": [{"speaker": x.speaker, "role": x.role, "text": x.text} for x in self.lines],
            "truth": self.truth.to_dict(),
            "context": _context_to_dict(self.context),
            "families": dict(self.families),
            "corruptions": dict(self.corruptions),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LeadCase:
        return cls(
            id=d["id"],
            split=d["split"],
            kind=d["kind"],
            lines=tuple(CaseLine(x["speaker"], x["role"], x["text"]) for x in d["lines"]),
            truth=LeadTruth.from_dict(d["truth"]),
            context=_context_from_dict(d["context"]),
            families=dict(d.get("families", {})),
            corruptions=dict(d.get("corruptions", {})),
        )
