"""CrmRecord -> per-CRM property dicts, through a configurable mapping.

A mapping is {object: {source field: CRM property}}; source fields are the CrmRecord's own fields plus a few
derived ones (first_name / last_name split from contact_name, sf_rating, note_text, ...) and `extra.<name>` for
anything the lead sync put into CrmRecord.extra. Per-tenant overrides are merged over the defaults; an empty
property name removes the default (a tenant whose CRM has no such field). Values keep their type (a confidence
stays a number: both CRMs reject a string in a number field under strict validation).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from services.crm.base import CrmRecord

SOURCE_FIELDS = frozenset({
    "key", "tenant_id", "call_id", "call_url", "score", "confidence", "contact_name", "first_name", "last_name",
    "contact_title", "contact_email", "contact_phone", "company", "company_domain", "budget_amount",
    "timeline_text", "next_step", "competitors", "summary", "reasoning", "reviewed_by", "sf_rating", "note_text",
    "evidence_text",
})

DEFAULT_HUBSPOT: dict[str, dict[str, str]] = {
    "contact": {
        "first_name": "firstname", "last_name": "lastname", "contact_title": "jobtitle", "contact_email": "email",
        "contact_phone": "phone", "company": "company", "score": "ai_lead_score", "confidence": "ai_confidence",
        "reasoning": "ai_reasoning",
    },
    "company": {"company": "name", "company_domain": "domain"},
}

DEFAULT_SALESFORCE: dict[str, dict[str, str]] = {
    "lead": {
        "first_name": "FirstName", "last_name": "LastName", "contact_title": "Title", "contact_email": "Email",
        "contact_phone": "Phone", "company": "Company", "sf_rating": "Rating", "summary": "Description",
        "score": "AI_Lead_Score__c", "confidence": "AI_Confidence__c", "reasoning": "AI_Reasoning__c",
    },
    "task": {"next_step": "Subject", "note_text": "Description"},
}

DEFAULT_WEBHOOK: dict[str, dict[str, str]] = {
    "lead": {name: name for name in sorted(SOURCE_FIELDS - {"note_text", "sf_rating", "first_name", "last_name"})},
}


def validate_mapping(mapping: dict[str, dict[str, str]]) -> None:
    for obj, fields in mapping.items():
        for source in fields:
            if source not in SOURCE_FIELDS and not source.startswith("extra."):
                raise ValueError(f"mapping {obj!r}: unknown record field {source!r} (known: {', '.join(sorted(SOURCE_FIELDS))}, extra.<name>)")


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """'Dana K. Lee' -> ('Dana K.', 'Lee'); a single word is the last name (both CRMs key people on it)."""
    parts = (name or "").split()
    if not parts:
        return None, None
    if len(parts) == 1:
        return None, parts[0]
    return " ".join(parts[:-1]), parts[-1]


def evidence_text(record: CrmRecord) -> str:
    lines = []
    for ev in record.evidence:
        at = f" @{ev.start_s:.0f}s" if ev.start_s is not None else ""
        quote = f' "{ev.quote}"' if ev.quote else ""
        lines.append(f"{ev.criterion.upper()}: {ev.status or 'not stated'}{quote}{at}")
    return "\n".join(lines)


def note_text(record: CrmRecord) -> str:
    """The engagement body: summary, BANT evidence, a link back to the call (plain text; HubSpot gets it escaped)."""
    parts = [record.summary.strip()] if record.summary.strip() else []
    ev = evidence_text(record)
    if ev:
        parts.append("BANT evidence:\n" + ev)
    if record.next_step:
        parts.append(f"Next step: {record.next_step}")
    if record.call_url:
        parts.append(f"Call: {record.call_url}")
    parts.append(f"Score: {record.score} (confidence {record.confidence:.2f}); Parley lead {record.key}")
    return "\n\n".join(parts)


def record_values(record: CrmRecord) -> dict[str, object]:
    first, last = split_name(record.contact_name)
    values: dict[str, object] = {
        "key": record.key, "tenant_id": record.tenant_id, "call_id": record.call_id, "call_url": record.call_url,
        "score": record.score, "confidence": round(float(record.confidence), 4), "contact_name": record.contact_name,
        "first_name": first, "last_name": last, "contact_title": record.contact_title,
        "contact_email": record.contact_email, "contact_phone": record.contact_phone, "company": record.company,
        "company_domain": record.company_domain, "budget_amount": record.budget_amount,
        "timeline_text": record.timeline_text, "next_step": record.next_step,
        "competitors": "; ".join(record.competitors) or None, "summary": record.summary or None,
        "reasoning": record.reasoning or None, "reviewed_by": record.reviewed_by,
        "sf_rating": record.score.capitalize(),  # Lead.Rating picklist: Hot / Warm / Cold
        "note_text": note_text(record), "evidence_text": evidence_text(record) or None,
    }
    values.update({f"extra.{k}": v for k, v in record.extra.items()})
    return values


def effective_mapping(defaults: dict[str, dict[str, str]], tenant_mappings: dict[str, dict[str, dict[str, str]]],
                      tenant_id: str, obj: str) -> dict[str, str]:
    merged = dict(defaults.get(obj, {}))
    merged.update(tenant_mappings.get(tenant_id, {}).get(obj, {}))
    return {src: prop for src, prop in merged.items() if prop}


def map_object(record: CrmRecord, mapping: dict[str, str]) -> dict[str, object]:
    """Properties for one CRM object; fields the record does not have are left out (never blanked: a re-sync
    of a lead that lost a field must not erase what a salesperson typed into the CRM)."""
    values = record_values(record)
    return {prop: values[src] for src, prop in mapping.items() if values.get(src) is not None}


def normalise_domain(domain: str | None) -> str | None:
    if not domain or not domain.strip():
        return None
    d = domain.strip().lower()
    host = urlsplit(d if "//" in d else "//" + d).hostname or ""
    host = host.removeprefix("www.").rstrip(".")
    return host or None


def normalise_name(name: str | None) -> str | None:
    if not name or not name.strip():
        return None
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\b(inc|llc|ltd|gmbh|corp|corporation|co|sa|ag|plc|bv)\b", " ", text)
    return "-".join(text.split()) or None


def company_key(record: CrmRecord) -> str | None:
    """Unique company key: 'domain:acme.com' when a domain is known, else 'name:acme-widgets'."""
    domain = normalise_domain(record.company_domain)
    if domain:
        return f"domain:{domain}"
    name = normalise_name(record.company)
    return f"name:{name}" if name else None
