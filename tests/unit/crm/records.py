"""A realistic CrmRecord for the adapter tests (unit and integration)."""

from __future__ import annotations

from services.crm.base import BantEvidenceLine, CrmRecord


def make_record(**overrides) -> CrmRecord:
    base = dict(
        key="lead-7", tenant_id="acme", call_id="call-7", call_url="https://parley.local/review/lead-7",
        score="hot", confidence=0.87, contact_name="Dana K. Lee", contact_title="VP Ops",
        contact_email="Dana.Lee@Example.com", contact_phone="+1 555 0100", company="Example Widgets Inc.",
        company_domain="https://www.example.com/", next_step="Send the quote by Friday",
        summary="Needs 40 seats before Q3.", reasoning="Budget and timeline stated by the buyer.",
        evidence=(BantEvidenceLine("budget", "stated", "about fifty thousand dollars", 31.5),
                  BantEvidenceLine("authority", "decision_maker", "I sign off on this", 44.0)),
    )
    base.update(overrides)
    return CrmRecord(**base)
