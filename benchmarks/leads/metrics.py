"""Lead metrics over (LeadCase, predicted Lead) pairs. Pure functions, no models.

- tier: accuracy and a 3x3 confusion (truth -> predicted -> count);
- criteria: per criterion precision / recall / F1 of "confirmed" (predicted present vs truth status stated), and
  a status confusion over predictions that carry a status;
- fields: CRM field accuracy counted only where the truth has the field (names: rapidfuzz ratio >= 90 after
  case/punctuation folding; e-mail exact, case-insensitive; phone digits, a leading 1 ignored; budget within 1%
  of the largest number in the predicted text; timeline: every word of the truth key phrase in the predicted
  text; competitors: each truth competitor is one field, found if a predicted one matches after squashing);
- invented: a predicted value where the truth has none (scalar fields: per case whose truth is empty;
  competitors: every predicted name that matches no truth competitor, over one slot per case; a misspelling of a
  truth competitor (rapidfuzz ratio 70-90, "Ottor" for Otter) is counted as "misheard", a wrong field but not an
  invented one; `rate_with_misheard` counts it as invented too, the definition before 2026-11-30);
- citations: for each criterion predicted present, whether its cited utterance is a truth evidence line (any
  cited id, and all cited ids).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from rapidfuzz import fuzz

from benchmarks.leads.case import CRITERIA, STATUSES, TIERS, LeadCase, utterance_id
from services.pipeline import spoken
from services.pipeline.types import Lead

FIELDS: tuple[str, ...] = ("contact_name", "company", "email", "phone", "budget_amount", "timeline", "competitors")
SCALAR_FIELDS = FIELDS[:-1]
NAME_MATCH = 90.0
BUDGET_TOLERANCE = 0.01

Pair = tuple[LeadCase, Lead]


def as_lead(pred: Lead | dict[str, Any]) -> Lead:
    return pred if isinstance(pred, Lead) else Lead.model_validate(pred)


def pairs_of(items: Iterable[tuple[LeadCase, Lead | dict[str, Any]]]) -> list[Pair]:
    return [(case, as_lead(pred)) for case, pred in items]


def _ratio(n: int, d: int) -> float | None:
    return n / d if d else None


def _norm(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed ("Dana  Reyes." -> "dana reyes")."""
    return " ".join(spoken.words(text))


def _squash(text: str) -> str:
    """_norm without spaces: "Hub Spot" and "HubSpot" are one name."""
    return "".join(spoken.words(text))


def names_match(truth: str, predicted: str | None) -> bool:
    return bool(predicted) and fuzz.ratio(_norm(truth), _norm(predicted or "")) >= NAME_MATCH


def competitor_match(truth: str, predicted: str) -> bool:
    return fuzz.ratio(_squash(truth), _squash(predicted)) >= NAME_MATCH


MISHEARD_MATCH = 70.0


def competitor_misheard(truth: str, predicted: str) -> bool:
    """A misspelling of a truth competitor ("Ottor" for Otter, as ASR writes it): a wrong field, not an invented
    one. Counted apart so that a misheard name is not charged twice."""
    return not competitor_match(truth, predicted) and fuzz.ratio(_squash(truth), _squash(predicted)) >= MISHEARD_MATCH


def phone_digits(text: str | None) -> str:
    digits = re.sub(r"\D", "", text or "")
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def budget_value(text: str | None) -> float | None:
    numbers = spoken.spoken_numbers(text or "")
    return float(max(numbers)) if numbers else None


def _predicted(lead: Lead, field: str) -> str | None:
    value = {
        "contact_name": lead.contact.name, "company": lead.contact.company, "email": lead.contact.email,
        "phone": lead.contact.phone, "budget_amount": lead.budget_amount, "timeline": lead.timeline_text,
    }[field]
    return value if value and str(value).strip() else None


def field_correct(case: LeadCase, lead: Lead, field: str) -> bool:
    """Whether the prediction matches a scalar truth field (the truth must have it)."""
    t = case.truth
    pred = _predicted(lead, field)
    if pred is None:
        return False
    if field == "contact_name":
        return names_match(t.contact_name or "", pred)
    if field == "company":
        return names_match(t.company or "", pred)
    if field == "email":
        return pred.strip().lower() == (t.email or "").lower()
    if field == "phone":
        return phone_digits(pred) == phone_digits(t.phone)
    if field == "budget_amount":
        value = budget_value(pred)
        return value is not None and t.budget_amount is not None and \
            abs(value - t.budget_amount) <= BUDGET_TOLERANCE * t.budget_amount
    if field == "timeline":
        return set(spoken.words(t.timeline or "")) <= set(spoken.words(pred))
    raise ValueError(field)


def _truth_value(case: LeadCase, field: str) -> Any:
    return getattr(case.truth, field)


# ------------------------------------------------------------------------------------------ metrics


def tier_metrics(pairs: Sequence[Pair]) -> dict[str, Any]:
    confusion = {t: {p: 0 for p in TIERS} for t in TIERS}
    for case, lead in pairs:
        confusion[case.truth.tier][lead.score] += 1
    correct = sum(confusion[t][t] for t in TIERS)
    return {"n": len(pairs), "accuracy": _ratio(correct, len(pairs)), "confusion": confusion}


def criterion_metrics(pairs: Sequence[Pair]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in CRITERIA:
        tp = fp = fn = 0
        confusion = {t: {p: 0 for p in STATUSES} for t in STATUSES}
        with_status = 0
        for case, lead in pairs:
            item = getattr(lead.bant, c)
            truth = case.truth.status[c] == "stated"
            tp += item.present and truth
            fp += item.present and not truth
            fn += (not item.present) and truth
            if item.status is not None:
                confusion[case.truth.status[c]][item.status] += 1
                with_status += 1
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = (2 * precision * recall / (precision + recall)) if precision and recall else (
            0.0 if precision is not None and recall is not None else None)
        status_correct = sum(confusion[s][s] for s in STATUSES)
        out[c] = {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1,
                  "status_n": with_status, "status_accuracy": _ratio(status_correct, with_status),
                  "status_confusion": confusion}
    return out


def field_metrics(pairs: Sequence[Pair]) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {f: {"correct": 0, "total": 0} for f in FIELDS}
    for case, lead in pairs:
        for f in SCALAR_FIELDS:
            if _truth_value(case, f) is None:
                continue  # only fields the truth has are counted
            per[f]["total"] += 1
            per[f]["correct"] += field_correct(case, lead, f)
        for name in case.truth.competitors:
            per["competitors"]["total"] += 1
            per["competitors"]["correct"] += any(competitor_match(name, p) for p in lead.competitors)
    for v in per.values():
        v["accuracy"] = _ratio(v["correct"], v["total"])
    correct = sum(v["correct"] for v in per.values())
    total = sum(v["total"] for v in per.values())
    return {"per_field": per, "overall": {"correct": correct, "total": total, "accuracy": _ratio(correct, total)}}


def invented_metrics(pairs: Sequence[Pair]) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {f: {"invented": 0, "empty": 0} for f in FIELDS}
    per["competitors"]["misheard"] = 0
    for case, lead in pairs:
        for f in SCALAR_FIELDS:
            if _truth_value(case, f) is None:
                per[f]["empty"] += 1
                per[f]["invented"] += _predicted(lead, f) is not None
        per["competitors"]["empty"] += 1  # one slot per case: extra names can be invented in any call
        unmatched = [p for p in lead.competitors if not any(competitor_match(t, p) for t in case.truth.competitors)]
        misheard = [p for p in unmatched if any(competitor_misheard(t, p) for t in case.truth.competitors)]
        per["competitors"]["invented"] += len(unmatched) - len(misheard)
        per["competitors"]["misheard"] += len(misheard)
    for v in per.values():
        v["rate"] = _ratio(v["invented"], v["empty"])
    invented = sum(v["invented"] for v in per.values())
    empty = sum(v["empty"] for v in per.values())
    misheard = per["competitors"]["misheard"]
    return {"per_field": per, "overall": {"invented": invented, "empty": empty, "rate": _ratio(invented, empty),
                                          "misheard": misheard,
                                          "rate_with_misheard": _ratio(invented + misheard, empty)}}


def citation_metrics(pairs: Sequence[Pair]) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {c: {"cited": 0, "correct": 0, "all_correct": 0} for c in CRITERIA}
    for case, lead in pairs:
        for c in CRITERIA:
            item = getattr(lead.bant, c)
            if not item.present:
                continue
            truth_ids = {utterance_id(i) for i in case.truth.evidence_lines.get(c, ())}
            cited = [e.utterance_id for e in item.evidence]
            per[c]["cited"] += 1
            per[c]["correct"] += any(u in truth_ids for u in cited)
            per[c]["all_correct"] += bool(cited) and all(u in truth_ids for u in cited)
    for v in per.values():
        v["rate"] = _ratio(v["correct"], v["cited"])
        v["strict_rate"] = _ratio(v["all_correct"], v["cited"])
    cited = sum(v["cited"] for v in per.values())
    correct = sum(v["correct"] for v in per.values())
    strict = sum(v["all_correct"] for v in per.values())
    return {"per_criterion": per, "overall": {"cited": cited, "correct": correct, "rate": _ratio(correct, cited),
                                              "strict_rate": _ratio(strict, cited)}}


def field_misses(pairs: Sequence[Pair], per_field: int = 3) -> dict[str, list[dict[str, Any]]]:
    """Up to `per_field` examples per field where the truth has a value and the prediction does not match it."""
    out: dict[str, list[dict[str, Any]]] = {f: [] for f in FIELDS}
    for case, lead in pairs:
        for f in SCALAR_FIELDS:
            truth = _truth_value(case, f)
            if truth is not None and not field_correct(case, lead, f) and len(out[f]) < per_field:
                out[f].append({"case": case.id, "truth": truth, "predicted": _predicted(lead, f)})
        for name in case.truth.competitors:
            if not any(competitor_match(name, p) for p in lead.competitors) and len(out["competitors"]) < per_field:
                out["competitors"].append({"case": case.id, "truth": name, "predicted": list(lead.competitors)})
    return out


def evaluate(items: Iterable[tuple[LeadCase, Lead | dict[str, Any]]]) -> dict[str, Any]:
    """Every metric above for one list of predictions (one condition: model alone / final, with / without context)."""
    pairs = pairs_of(items)
    return {
        "n": len(pairs),
        "tier": tier_metrics(pairs),
        "criteria": criterion_metrics(pairs),
        "fields": field_metrics(pairs),
        "invented": invented_metrics(pairs),
        "citations": citation_metrics(pairs),
        "misses": field_misses(pairs),
    }
