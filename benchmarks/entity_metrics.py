"""Entity precision / recall / F1 per type against the facts a synthetic call's truth.json says were spoken.

Reference entities come from truth.json (only those actually said in the reference transcript):
PERSON (the prospect's full name, or the rep's first name when only that is said), ORG (prospect company, rep
company, competitors), MONEY (the budget as said), PHONE, EMAIL. Hypothesis entities of other types (DATE,
LOCATION, ...) are not scored: the truth has no reference for them.

Matching is per unique string per type, lenient on span boundaries: a hypothesis entity matches a reference one
when, after normalising, one's words are contained in the other's ("Michael" and "Michael Brown"); phone numbers
compare their last 10 digits, e-mails their compacted spoken form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.crm_metrics import compact_email, digits_of, parse_amount, text_match
from benchmarks.metrics import normalise

SCORED_TYPES: tuple[str, ...] = ("PERSON", "ORG", "MONEY", "PHONE", "EMAIL")


@dataclass(frozen=True)
class TypeCounts:
    true_positive_hyp: int  # hypothesis strings that match some reference
    hyp: int
    true_positive_ref: int  # reference strings matched by some hypothesis
    ref: int

    @property
    def precision(self) -> float | None:
        return self.true_positive_hyp / self.hyp if self.hyp else None

    @property
    def recall(self) -> float | None:
        return self.true_positive_ref / self.ref if self.ref else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: TypeCounts) -> TypeCounts:
        return TypeCounts(
            self.true_positive_hyp + other.true_positive_hyp, self.hyp + other.hyp,
            self.true_positive_ref + other.true_positive_ref, self.ref + other.ref,
        )


ZERO = TypeCounts(0, 0, 0, 0)


def _said(phrase: str, transcript_norm: str) -> bool:
    p = normalise(phrase)
    return bool(p) and f" {p} " in f" {transcript_norm} "


def reference_entities(truth: Mapping[str, Any], reference_text: str) -> dict[str, set[str]]:
    crm = truth["crm"]
    contact = crm.get("contact") or {}
    said_text = normalise(reference_text)
    refs: dict[str, set[str]] = {t: set() for t in SCORED_TYPES}

    def person(full: str | None) -> None:
        if not full:
            return
        for candidate in (full, full.split()[0]):
            if _said(candidate, said_text):
                refs["PERSON"].add(candidate)
                return

    person(contact.get("name"))
    person(crm.get("rep_name"))
    for org in (contact.get("company"), crm.get("rep_company"), *(crm.get("competitors") or ())):
        if org and _said(org, said_text):
            refs["ORG"].add(org)
    budget = crm.get("budget")
    if budget and budget.get("spoken"):
        refs["MONEY"].add(budget["spoken"])
    if contact.get("phone"):
        refs["PHONE"].add(contact["phone"])
    if contact.get("email"):
        refs["EMAIL"].add(contact["email"])
    return refs


def _match(kind: str, hyp: str, ref: str) -> bool:
    if kind == "PHONE":
        h, r = digits_of(hyp), digits_of(ref)
        return len(h) >= 7 and h[-10:] == r[-10:]
    if kind == "EMAIL":
        return compact_email(hyp) == compact_email(ref)
    if kind == "MONEY":
        a, b = parse_amount(hyp), parse_amount(ref)
        return a is not None and b is not None and abs(a - b) <= 0.01 * max(b, 1.0)
    return text_match(hyp, ref)


def count_type(kind: str, hyps: Iterable[str], refs: Iterable[str]) -> TypeCounts:
    hyp_set = {h for h in hyps if normalise(h)}
    ref_set = set(refs)
    tp_hyp = sum(any(_match(kind, h, r) for r in ref_set) for h in hyp_set)
    tp_ref = sum(any(_match(kind, h, r) for h in hyp_set) for r in ref_set)
    return TypeCounts(tp_hyp, len(hyp_set), tp_ref, len(ref_set))


def entity_counts(
    hypothesis: Sequence[tuple[str, str]], truth: Mapping[str, Any], reference_text: str
) -> dict[str, TypeCounts]:
    """hypothesis: (type, text) pairs. Returns counts per scored type."""
    refs = reference_entities(truth, reference_text)
    return {
        kind: count_type(kind, (text for t, text in hypothesis if t == kind), refs[kind]) for kind in SCORED_TYPES
    }
