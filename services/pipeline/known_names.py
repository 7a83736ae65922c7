"""Snap near-miss names in a lead to the names the team already knows (CallContext).

ASR and the LLM spell names the way they were heard: "sales force", "Bright wave Logistics", "Dana Reyez".
When the call's context holds the real spelling (the CRM account and contact attached to the call, the tracked
competitors), the lead should carry that spelling, and the heard form must stay visible for audit.

Rules (pure functions, no model):
- Comparison is on folded strings: case, accents, punctuation and spaces folded, legal suffixes ("Inc",
  "LLC", "GmbH", ...) ignored, so "sales force" == "Salesforce" and "Acme, Inc." == "ACME".
- Similarity (0-100) is the best of rapidfuzz's `fuzz.ratio` on the space-free folded forms (joins and splits
  of words: "Bright wave" ~ "Brightwave") and `fuzz.token_sort_ratio` on the spaced forms (word order:
  "Reyes Dana" ~ "Dana Reyes"). Partial and token-set scorers are not used: they rate "Dana" against
  "Dana Reyes" at 100, and a heard first name is not evidence for one particular known person.
- A name snaps when its similarity to exactly one known name reaches `threshold` (88 by default: one
  substituted letter in a name of nine or more letters, one missing letter in five or more). Short names
  (fewer than 5 letters once folded, "Gong", "Zoho") snap only when they are equal once folded: one letter
  turns a short name into a different company. Two known names scoring within 2 points of each other are
  ambiguous: nothing snaps.
- Every change of a lead value is recorded as a NameCorrection(field, heard, known, similarity), including
  spelling-only changes of an exact match ("sales force" -> "Salesforce", similarity 100). A value already
  spelled as the known name is left alone and records nothing.
- Competitors: a competitor that is the vendor itself (own_company), one of its products, or the prospect's
  company (the lead's contact.company or a context account) is dropped; the others snap to
  context.competitors and duplicates collapse. A contact.company that is the vendor's own company is dropped
  (the rep's company is never the prospect's).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from services.pipeline.lead_context import CallContext
from services.pipeline.types import Contact, Lead, NameCorrection

DEFAULT_THRESHOLD = 88.0
# Folded names shorter than this snap only when equal: "gong" and "gonk" are different companies.
MIN_FUZZY_CHARS = 5
# A second known name this close to the best one makes the match ambiguous.
AMBIGUITY_MARGIN = 2.0

_LEGAL_SUFFIXES = frozenset({
    "inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "gmbh", "plc", "ag",
    "sa", "sas", "bv", "nv", "pty", "srl", "oy", "ab",
})
_DOMAIN = re.compile(r"(?<=\w)\.(?:com|io|ai|co|net|org|app)\b")
_NON_WORD = re.compile(r"[^\w]+|_")


def normalise(value: str) -> str:
    """Lower case, accents removed, punctuation as spaces, legal suffixes dropped, single spaces."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _DOMAIN.sub("", text)  # "Chorus.ai", "Outreach.io": the domain is the company's name
    # "O'Neil" and "J.P." are one word each: drop apostrophes and dots inside words before splitting.
    text = re.sub(r"(?<=\w)['’.](?=\w)", "", text)
    tokens = _NON_WORD.sub(" ", text).split()
    while len(tokens) > 1 and tokens[-1] in _LEGAL_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def fold(value: str) -> str:
    """normalise() without spaces: the key for "same name" ("sales force" == "Salesforce")."""
    return normalise(value).replace(" ", "")


def similarity(heard: str, known: str) -> float:
    """0-100: how alike two names are (see the module docstring)."""
    a, b = normalise(heard), normalise(known)
    if not a or not b:
        return 0.0
    fa, fb = a.replace(" ", ""), b.replace(" ", "")
    if fa == fb:
        return 100.0
    if min(len(fa), len(fb)) < MIN_FUZZY_CHARS:
        return 0.0
    return max(fuzz.ratio(fa, fb), fuzz.token_sort_ratio(a, b))


def _scorer(heard: str, known: str, **_: object) -> float:
    return similarity(heard, known)


def snap_name(value: str | None, known: Sequence[str], *, threshold: float = DEFAULT_THRESHOLD) -> tuple[str, float] | None:
    """The known name `value` is a near miss of, with its similarity (0-100); None when none is close enough
    or two are equally close. An exact match (once folded) returns the known spelling with 100."""
    if not value or not value.strip():
        return None
    names = list(dict.fromkeys(k.strip() for k in known if k and k.strip()))
    if not names:
        return None
    best = process.extract(value, names, scorer=_scorer, limit=2, score_cutoff=threshold)
    if not best:
        return None
    (name, score, _), *rest = best
    if rest and fold(rest[0][0]) != fold(name) and score - rest[0][1] < AMBIGUITY_MARGIN:
        return None
    return name, round(float(score), 1)


def _matches_any(value: str, known: Sequence[str], threshold: float) -> bool:
    return snap_name(value, known, threshold=threshold) is not None


# Competitors snap to the team's short tracked list, where a near miss has few neighbours: "Choros" (ASR) is
# 83 from "Chorus". People and accounts keep the stricter threshold.
COMPETITOR_THRESHOLD = 80.0


def snap_lead(lead: Lead, context: CallContext, *, threshold: float = DEFAULT_THRESHOLD,
              competitor_threshold: float = COMPETITOR_THRESHOLD) -> Lead:
    """A new Lead with contact.name, contact.company and competitors snapped to the context's known names;
    each change recorded in `name_corrections` (after any the lead already holds). Pure: `lead` is untouched."""
    if context.empty:
        return lead
    corrections: list[NameCorrection] = list(lead.name_corrections)
    notes: list[str] = []

    def snap(field: str, value: str | None, known: Sequence[str], cutoff: float = threshold) -> str | None:
        if value is None:
            return None
        hit = snap_name(value, known, threshold=cutoff)
        if hit is None:
            return value
        name, score = hit
        if name != value:
            corrections.append(NameCorrection(field=field, heard=value, known=name, similarity=score))
        return name

    own = (context.own_company,) if context.own_company else ()
    contact = lead.contact
    name = snap("contact.name", contact.name, context.contacts)
    company = contact.company
    if company is not None and not _matches_any(company, context.accounts, threshold) and _matches_any(
        company, own, threshold
    ):
        notes.append(f"contact company is the vendor's own company, dropped: {company!r}")
        company = None
    company = snap("contact.company", company, context.accounts)

    not_competitors = [*own, *context.products, *context.accounts, *([company] if company else [])]
    competitors: list[str] = []
    for heard in lead.competitors:
        if _matches_any(heard, not_competitors, threshold):
            notes.append(f"competitor is the vendor, its product or the prospect, dropped: {heard!r}")
            continue
        snapped = snap("competitors", heard, context.competitors, competitor_threshold)
        if snapped and fold(snapped) not in {fold(c) for c in competitors}:
            competitors.append(snapped)

    update: dict[str, object] = {}
    if (name, company) != (contact.name, contact.company):
        update["contact"] = Contact(**{**contact.model_dump(), "name": name, "company": company})
    if tuple(competitors) != lead.competitors:
        update["competitors"] = tuple(competitors)
    if len(corrections) != len(lead.name_corrections):
        update["name_corrections"] = tuple(corrections)
    if notes and lead.needs_review:  # reasons are listed only on leads held for review (extract.py)
        update["review_reasons"] = (*lead.review_reasons, *notes)
    return lead.model_copy(update=update) if update else lead
