"""Typed script model of a synthetic sales call and its ground truth.

A `CallScript` is what the call *says* (turns, in order) and what a perfect listener would write into the CRM
(`CrmTruth`, `BantTruth`). Audio timing is not part of the script: it only exists after rendering (`layout.py`),
because it depends on the TTS voice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Role = Literal["rep", "prospect"]
TurnKind = Literal["turn", "backchannel"]
BantLabel = Literal["hot", "warm", "cold"]

BANT_CRITERIA: tuple[str, ...] = ("budget", "authority", "need", "timeline")


@dataclass(frozen=True)
class Turn:
    """One utterance. `text` is the reference transcript (spoken form); `tts_text` is what the voice is fed when
    the spelling a TTS engine needs differs from what a human transcriber writes ("mm-hm" vs "mhm")."""

    id: str
    speaker: Role
    text: str
    kind: TurnKind = "turn"
    # Starts slightly before the previous (other-speaker) turn ends: a barge-in.
    barge_in: bool = False
    # Which ground-truth facts this turn is evidence for ("budget", "competitor", ...).
    tags: tuple[str, ...] = ()
    tts_text: str | None = None

    @property
    def spoken(self) -> str:
        return self.tts_text if self.tts_text is not None else self.text


@dataclass(frozen=True)
class Budget:
    spoken: str  # exactly as said in the call, e.g. "fifty K"
    amount: int  # normalised, in whole currency units
    currency: str = "USD"
    period: str | None = None  # "this quarter", "this year"
    approved: bool = True


@dataclass(frozen=True)
class Timeline:
    spoken: str  # e.g. "live before our April launch"
    normalised: str | None  # e.g. "before April"; None when nothing concrete was said
    explicit: bool  # an explicit purchase window (BANT timeline) vs "sometime later this year"


@dataclass(frozen=True)
class Contact:
    name: str
    title: str | None = None
    company: str | None = None
    email: str | None = None  # normalised, e.g. "s.miller@northwind.com"
    email_spoken: str | None = None  # "s dot miller at northwind dot com"
    phone: str | None = None  # normalised, e.g. "+1-312-555-0147"
    phone_spoken: str | None = None
    decision_maker: bool = False


@dataclass(frozen=True)
class CrmTruth:
    """The fields a perfect extractor would write. Only facts actually said in the call are set."""

    contact: Contact
    rep_name: str
    rep_company: str
    budget: Budget | None
    timeline: Timeline | None
    competitors: tuple[str, ...]
    pain_points: tuple[str, ...]
    next_step: str | None


@dataclass(frozen=True)
class BantTruth:
    budget: bool
    authority: bool
    need: bool
    timeline: bool
    # criterion -> ids of the prospect turns that carry the evidence
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(c for c in BANT_CRITERIA if getattr(self, c))

    @property
    def label(self) -> BantLabel:
        return bant_label(len(self.present))


def bant_label(criteria_present: int) -> BantLabel:
    """Hot: 3+ criteria confirmed; warm: 2; cold: fewer than 2 (shared/reference/001, "Step 3")."""
    if criteria_present >= 3:
        return "hot"
    if criteria_present == 2:
        return "warm"
    return "cold"


@dataclass(frozen=True)
class CallScript:
    scenario: str
    seed: int
    turns: tuple[Turn, ...]
    crm: CrmTruth
    bant: BantTruth
    genders: dict[str, str] = field(default_factory=dict)  # role -> "female" | "male", picks matching voices

    def to_dict(self) -> dict[str, Any]:
        crm = asdict(self.crm)
        crm["competitors"] = list(self.crm.competitors)
        crm["pain_points"] = list(self.crm.pain_points)
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "crm": crm,
            "bant": {
                "label": self.bant.label,
                "present": list(self.bant.present),
                **{c: getattr(self.bant, c) for c in BANT_CRITERIA},
                "evidence": {k: list(v) for k, v in self.bant.evidence.items()},
            },
        }
