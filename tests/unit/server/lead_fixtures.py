"""Lead JSON (the wire contract of services/pipeline/types.py Lead) and a job that completes with it."""

from __future__ import annotations

import uuid
from typing import Any

from services.store import jobs, tenants


def lead_json(*, score: str = "warm", confidence: float = 0.9, needs_review: bool = False,
              quote_budget: str = "we have about fifty thousand for this", name: str = "Dana Whitfield",
              email: str | None = "dana@northwind.example", company: str = "Northwind") -> dict[str, Any]:
    def item(present: bool, quote: str | None, uid: str, start: float, status: str) -> dict[str, Any]:
        ev = [{"utterance_id": uid, "quote": quote, "start": start, "end": start + 2.0}] if quote is not None else []
        return {"present": present, "evidence": ev, "status": status}

    return {
        "score": score, "confidence": confidence,
        "bant": {"budget": item(True, quote_budget, "u1", 3.0, "stated"),
                 "authority": item(True, "I sign off on tools like this", "u2", 6.0, "stated"),
                 "need": item(True, "our reps lose an hour a day to notes", "u0", 0.5, "stated"),
                 "timeline": item(False, None, "u3", 9.0, "absent")},
        "contact": {"name": name, "title": "VP Sales", "company": company, "email": email, "phone": None},
        "pain_points": ["manual CRM notes"], "competitors": ["Gong"], "budget_amount": "$50,000",
        "timeline_text": None, "next_step": "demo on Friday", "summary": "Northwind wants call notes in the CRM.",
        "needs_review": needs_review, "review_reasons": ["low confidence"] if needs_review else [],
        "prospect_speaker": "SPEAKER_01", "name_corrections": [],
    }


def result_with(lead: dict[str, Any] | None) -> dict[str, Any]:
    return {"schema_version": "1", "language": "en", "speakers": [], "words": [], "entities": [],
            "utterances": [{"id": "u0", "start": 0.0, "end": 2.0, "speaker": "SPEAKER_01", "role": "prospect",
                            "text": "our reps lose an hour a day to notes"}],
            "lead": lead, "timings": {}, "models": {}}


def complete_with(db, lead: dict[str, Any] | None, *, tenant: str = "acme", callback_url: str | None = None,
                  review=None, correlation_id: str | None = "crm-42") -> str:  # noqa: ANN001
    """A job through the real store: created, claimed, completed with a result holding `lead`."""
    job_id = uuid.uuid4().hex
    with db.session() as s:
        tenants.ensure_tenant(s, tenant_id=tenant)
        jobs.create_job(s, job_id=job_id, tenant_id=tenant, source="upload", options={}, max_attempts=3,
                        actor="test", audio_path="/nonexistent.wav", callback_url=callback_url,
                        correlation_id=correlation_id)
    with db.session() as s:
        claim = jobs.claim_job(s, worker_id="w1", lease_s=30)
        assert claim is not None and claim.job_id == job_id
        assert jobs.complete_job(s, job_id=job_id, worker_id="w1", attempt=claim.attempt,
                                 result=result_with(lead), review=review)
    return job_id
