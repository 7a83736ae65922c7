"""Lead-level scores against a synthetic call's truth.json: CRM field accuracy, BANT agreement, evidence citations.

Field rules (documented in the report, deliberately independent of Parley's own grounding code):
- a field the truth leaves empty (nothing said) is correct only when the lead leaves it empty too (no invention);
- name / company / competitor: equal after Whisper's English normaliser, or one's words contained in the other's
  ("Northwind" for "Northwind Logistics" counts; a different company does not);
- e-mail: the lead's value, spoken form allowed ("s dot miller at northwind dot com"), equals the address;
- phone: the last 10 digits are equal (spoken digits allowed);
- budget: the amount is within 1 % of the true amount ("$50K", "50,000", "fifty thousand dollars");
- timeline: at least 60 % of the true normalised timeline's content words appear in the lead's timeline text; a
  vague timeline (truth `explicit: false`, e.g. "maybe next year") may be left empty or given as said.

Evidence (`citation_counts`): a citation is correct when the time span it cites is mostly the prospect's speech
in the reference turns AND overlaps in time one of the truth's lines for that criterion (truth.json
`bant.evidence`: criterion -> ids of the prospect turns that carry it; times from the call's transcript.json).
A citation for a criterion the truth marks absent, or one without a time span, is wrong. Coverage = criteria
the truth marks present that got at least one correct citation. The older "verbatim" count (`evidence_counts`)
is kept for audits but is not a quality figure: Parley cuts its quotes from the transcript, so it is 100 % by
construction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.metrics import normalise

CRM_FIELDS: tuple[str, ...] = ("contact_name", "company", "email", "phone", "budget", "timeline", "competitor")
BANT_CRITERIA: tuple[str, ...] = ("budget", "authority", "need", "timeline")
TIMELINE_MIN_RECALL = 0.6
_STOP = {"the", "a", "an", "our", "by", "of", "to", "in", "on", "at", "for", "we", "this", "that", "is", "it", "be"}
_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9"}  # fmt: skip
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}


@dataclass(frozen=True)
class FieldScore:
    field: str
    truth: str | None
    predicted: str | None
    correct: bool


@dataclass(frozen=True)
class LeadScore:
    fields: tuple[FieldScore, ...]
    bant_label_truth: str
    bant_label_predicted: str | None
    criteria_agreement: dict[str, bool]
    evidence_quotes: int
    evidence_verbatim: int

    @property
    def field_accuracy(self) -> float:
        return sum(f.correct for f in self.fields) / len(self.fields) if self.fields else 0.0

    @property
    def bant_label_correct(self) -> bool:
        return self.bant_label_predicted == self.bant_label_truth


# ------------------------------------------------------------------------------------------ normalising


def _words(text: str) -> list[str]:
    return normalise(text).replace("$", " ").split()


def text_match(predicted: str | None, truth: str | None) -> bool:
    if not truth:
        return not predicted
    if not predicted:
        return False
    p, t = _words(predicted), _words(truth)
    if not p or not t:
        return False
    return p == t or set(p) <= set(t) or set(t) <= set(p)


def digits_of(text: str) -> str:
    tokens = re.findall(r"\d+|[a-z]+", text.lower())
    return "".join(tok if tok.isdigit() else _DIGIT_WORDS.get(tok, "") for tok in tokens)


def phone_match(predicted: str | None, truth: str | None) -> bool:
    if not truth:
        return not predicted
    if not predicted:
        return False
    p, t = digits_of(predicted), digits_of(truth)
    return len(p) >= 7 and p[-10:] == t[-10:]


def compact_email(text: str) -> str:
    s = text.lower().strip()
    for word, sym in ((" dot ", "."), (" at ", "@"), (" underscore ", "_"), (" dash ", "-")):
        s = s.replace(word, sym)
    return re.sub(r"\s+", "", s).strip(".")


def email_match(predicted: str | None, truth: str | None) -> bool:
    if not truth:
        return not predicted
    return bool(predicted) and compact_email(predicted or "") == compact_email(truth)


def parse_amount(text: str) -> float | None:
    """Largest amount in a budget phrase: '$50K' -> 50000, 'fifty thousand dollars' -> 50000, '1.2 million'."""
    norm = normalise(text).replace(",", "")
    values = []
    for m in re.finditer(r"(\d+(?:\.\d+)?)\s*(k|thousand|mm|m|million|b|billion)?\b", norm):
        values.append(float(m.group(1)) * _SCALE.get(m.group(2) or "", 1.0))
    return max(values) if values else None


def budget_match(predicted: str | None, truth_amount: float | None) -> bool:
    if truth_amount is None:
        return not predicted
    value = parse_amount(predicted) if predicted else None
    return value is not None and abs(value - truth_amount) <= 0.01 * truth_amount


def timeline_match(predicted: str | None, truth: str | None) -> bool:
    if not truth:
        return not predicted
    if not predicted:
        return False
    wanted = [w for w in _words(truth) if w not in _STOP]
    got = set(_words(predicted))
    return bool(wanted) and sum(w in got for w in wanted) / len(wanted) >= TIMELINE_MIN_RECALL


def competitors_match(predicted: Sequence[str], truth: Sequence[str]) -> bool:
    if not truth:
        return not predicted
    return len(predicted) == len(truth) and all(any(text_match(p, t) for p in predicted) for t in truth)


# ------------------------------------------------------------------------------------------ scoring


def crm_fields(lead: Mapping[str, Any] | None, truth: Mapping[str, Any]) -> tuple[FieldScore, ...]:
    crm = truth["crm"]
    contact = crm.get("contact") or {}
    budget = crm.get("budget") or None
    timeline = crm.get("timeline") or None
    lc = (lead or {}).get("contact") or {}
    lead = lead or {}
    truth_timeline = (timeline.get("normalised") or timeline.get("spoken")) if timeline else None
    vague = bool(timeline) and not timeline.get("explicit", True)
    timeline_ok = (not lead.get("timeline_text") or timeline_match(lead.get("timeline_text"), truth_timeline)) if vague \
        else timeline_match(lead.get("timeline_text"), truth_timeline)
    truth_comp = list(crm.get("competitors") or ())
    pred_comp = list(lead.get("competitors") or ())
    return (
        FieldScore("contact_name", contact.get("name"), lc.get("name"), text_match(lc.get("name"), contact.get("name"))),
        FieldScore("company", contact.get("company"), lc.get("company"), text_match(lc.get("company"), contact.get("company"))),
        FieldScore("email", contact.get("email"), lc.get("email"), email_match(lc.get("email"), contact.get("email"))),
        FieldScore("phone", contact.get("phone"), lc.get("phone"), phone_match(lc.get("phone"), contact.get("phone"))),
        FieldScore(
            "budget",
            str(budget["amount"]) if budget else None,
            lead.get("budget_amount"),
            budget_match(lead.get("budget_amount"), float(budget["amount"]) if budget else None),
        ),
        FieldScore("timeline", truth_timeline, lead.get("timeline_text"), timeline_ok),
        FieldScore(
            "competitor", ", ".join(truth_comp) or None, ", ".join(pred_comp) or None, competitors_match(pred_comp, truth_comp)
        ),
    )


def evidence_counts(lead: Mapping[str, Any] | None, utterances: Mapping[str, str]) -> tuple[int, int]:
    """(quotes, quotes found verbatim -- case and spacing aside -- in the utterance they cite)."""
    if not lead:
        return 0, 0
    total = verbatim = 0
    for criterion in BANT_CRITERIA:
        for ev in ((lead.get("bant") or {}).get(criterion) or {}).get("evidence") or ():
            total += 1
            quote = " ".join(str(ev.get("quote", "")).lower().split())
            said = " ".join(utterances.get(str(ev.get("utterance_id")), "").lower().split())
            verbatim += bool(quote) and quote in said
    return total, verbatim


def score_lead(lead: Mapping[str, Any] | None, truth: Mapping[str, Any], utterances: Mapping[str, str]) -> LeadScore:
    bant_truth = truth["bant"]
    bant_pred = (lead or {}).get("bant") or {}
    quotes, verbatim = evidence_counts(lead, utterances)
    return LeadScore(
        fields=crm_fields(lead, truth),
        bant_label_truth=bant_truth["label"],
        bant_label_predicted=(lead or {}).get("score"),
        criteria_agreement={
            c: bool((bant_pred.get(c) or {}).get("present", False)) == bool(bant_truth.get(c, False)) for c in BANT_CRITERIA
        },
        evidence_quotes=quotes,
        evidence_verbatim=verbatim,
    )


# ------------------------------------------------------------------------------------------ citations


@dataclass(frozen=True)
class CitationCounts:
    citations: int  # evidence items the lead gives (all criteria)
    correct: int  # of those: the prospect's speech, on a truth line of that criterion
    from_prospect: int  # of those: the prospect's speech (whatever the criterion)
    criteria_true: int  # criteria the truth marks present (with lines)
    criteria_covered: int  # of those: at least one correct citation


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def citation_counts(
    lead: Mapping[str, Any] | None, truth: Mapping[str, Any], reference_turns: Sequence[Mapping[str, Any]]
) -> CitationCounts | None:
    """Score the lead's BANT citations against the truth's per-criterion lines; None when the truth has no lines.

    `reference_turns`: the call's transcript.json turns ({"id", "speaker": "rep"|"prospect", "start", "end"}).
    """
    bant = truth.get("bant") or {}
    if "evidence" not in bant or not reference_turns:
        return None
    lines = bant.get("evidence") or {}
    by_id = {str(t["id"]): t for t in reference_turns}
    citations = correct = from_prospect = covered = 0
    criteria_true = 0
    for criterion in BANT_CRITERIA:
        truth_lines = [by_id[i] for i in lines.get(criterion, ()) if i in by_id]
        present = bool(bant.get(criterion)) and bool(truth_lines)
        criteria_true += present
        hit = False
        for ev in ((lead or {}).get("bant") or {}).get(criterion, {}).get("evidence") or ():
            citations += 1
            start, end = ev.get("start"), ev.get("end")
            if start is None or end is None or float(end) <= float(start):
                continue
            start, end = float(start), float(end)
            speech: dict[str, float] = {}
            for t in reference_turns:
                speech[t["speaker"]] = speech.get(t["speaker"], 0.0) + _overlap(start, end, t["start"], t["end"])
            prospect = speech.get("prospect", 0.0) > 0 and speech.get("prospect", 0.0) >= max(speech.values())
            from_prospect += prospect
            on_line = present and any(_overlap(start, end, t["start"], t["end"]) > 0 for t in truth_lines)
            if prospect and on_line:
                correct += 1
                hit = True
        covered += hit
    return CitationCounts(citations, correct, from_prospect, criteria_true, covered)
