"""/review: the review queue web page (server-rendered Jinja2, htmx from services/gateway/static, no build step).

GET /review                 the queue, filtered by state, score, confidence, age and reason (htmx swaps the
                            table in place; plain GET works without JavaScript)
GET /review/leads/{id}      one lead: transcript (speaker, role, time, sentiment) with the BANT evidence
                            highlighted, each quote a button that plays the call audio from that moment,
                            editable CRM fields, approve / reject with a reason, CRM sync status
POST /review/leads/{id}     a decision (approve, reject, discard, retry_sync); CSRF-checked, version-checked
GET /review/leads/{id}/audio  the call's audio (FileResponse answers HTTP Range, so the player can seek)
GET|POST /review/login, POST /review/logout

Auth and CSRF: services/gateway/review_session.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from services.gateway import review_session as rs
from services.gateway.errors import ApiError, NotFound, Unauthorized
from services.gateway.routers.leads import parse_filter, summary, sync_views
from services.pipeline.bant_rules import CRITERIA
from services.store import jobs, leads, tenants
from services.store.models import LEAD_STATES, Job

HERE = Path(__file__).resolve().parents[1]
router = APIRouter(prefix="/review", include_in_schema=False)
templates = Jinja2Templates(directory=str(HERE / "templates"))
FIELD_LABELS = {
    "contact_name": "Contact name", "contact_title": "Title", "contact_email": "E-mail", "contact_phone": "Phone",
    "company": "Company", "company_domain": "Company domain", "budget_amount": "Budget", "timeline_text": "Timeline",
    "next_step": "Next step", "summary": "Summary",
}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class CsrfFailed(ApiError):
    code = "csrf_failed"
    http_status = 403
    hint = "reload the page: the form's CSRF token does not match your session"


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.session_secret = rs.session_secret(app.state.settings)


def _render(request: Request, viewer: rs.Viewer, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, {"viewer": viewer, **context}, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    rs.set_cookie(request, response, viewer.cookie)
    return response


def _unauthorized() -> ApiError:
    return Unauthorized("log in at /review/login (or send the tenant API key)")


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/review/login?next={request.url.path}", status_code=303)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _queue_filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    state = q.get("state", "draft")
    score = q.get("score", "")
    return {"state": state if state in (*LEAD_STATES, "all") else "draft", "score": score if score in leads.SCORES else "",
            "min_confidence": _float(q.get("min_confidence")), "max_confidence": _float(q.get("max_confidence")),
            "max_age_h": _float(q.get("max_age_h")), "reason": (q.get("reason") or "")[:64]}


@router.get("", response_class=HTMLResponse)
async def queue(request: Request) -> Response:
    viewer = await rs.identify(request)
    if viewer is None:
        return _login_redirect(request)
    f = _queue_filters(request)
    flt = parse_filter(state=None if f["state"] == "all" else [f["state"]], score=[f["score"]] if f["score"] else None,
                       min_confidence=f["min_confidence"], max_confidence=f["max_confidence"],
                       max_age_h=f["max_age_h"], reason=f["reason"], call_id=None)
    db = request.app.state.db

    def load() -> list:
        with db.session() as s:
            return [summary(r) for r in leads.list_leads(s, tenant_id=viewer.tenant, flt=flt,
                                                         limit=request.app.state.settings.review.page_size)]

    rows = await run_in_threadpool(load)
    return _render(request, viewer, "queue.html", {"rows": rows, "f": f, "states": LEAD_STATES})


def _marked(text: str, quotes: list[tuple[str, str, float | None]]) -> list[dict[str, Any]]:
    """Split an utterance's text into plain and highlighted pieces, one highlight per cited quote."""
    spans = []
    for criterion, quote, start in quotes:
        m = re.search(re.escape(quote.strip()), text, flags=re.IGNORECASE) if quote and quote.strip() else None
        if m:
            spans.append((m.start(), m.end(), criterion, start))
    spans.sort()
    pieces, pos = [], 0
    for a, b, criterion, start in spans:
        if a < pos:  # overlapping quotes: the first one wins
            continue
        if a > pos:
            pieces.append({"text": text[pos:a]})
        pieces.append({"text": text[a:b], "criterion": criterion, "start": start})
        pos = b
    if pos < len(text):
        pieces.append({"text": text[pos:]})
    return pieces


def lead_context(session, lead) -> dict[str, Any]:  # noqa: ANN001
    job = session.get(Job, lead.job_id)
    result = jobs.get_result(session, job_id=lead.job_id) or {}
    bant = (lead.original or {}).get("bant") or {}
    evidence: dict[str, list[tuple[str, str, float | None]]] = {}
    criteria = []
    for name in CRITERIA:
        item = bant.get(name) or {}
        quotes = []
        for ev in item.get("evidence") or ():
            quotes.append({"quote": ev.get("quote"), "start": ev.get("start"), "utterance_id": ev.get("utterance_id")})
            evidence.setdefault(ev.get("utterance_id"), []).append((name, ev.get("quote") or "", ev.get("start")))
        criteria.append({"name": name, "present": item.get("present"), "status": item.get("status"), "quotes": quotes})
    utterances = []
    for u in result.get("utterances") or ():
        cited = evidence.get(u.get("id"), [])
        utterances.append({**u, "pieces": _marked(u.get("text") or "", cited),
                           "criteria": sorted({c for c, _, _ in cited})})
    return {
        "lead": summary(lead), "fields": dict(lead.fields or {}), "original": lead.original or {},
        "reviewed_by": lead.reviewed_by, "criteria": criteria, "utterances": utterances,
        "has_audio": bool(job is not None and job.audio_path and Path(job.audio_path).is_file()),
        "transitions": leads.transitions(session, lead_id=lead.id), "syncs": sync_views(session, lead.id),
        "labels": FIELD_LABELS, "scores": leads.SCORES,
        "can_review": lead.state in leads.REVIEWABLE,
        "can_discard": lead.state == "rejected" or (
            lead.state in leads.SYNCABLE and any(s.status == "failed" for s in leads.syncs(session, lead_id=lead.id))),
        "can_retry": lead.state in leads.SYNCABLE and any(
            s.status == "failed" for s in leads.syncs(session, lead_id=lead.id)),
    }


async def _lead_page(request: Request, viewer: rs.Viewer, lead_id: str, *, error: dict | None = None,
                     status: int = 200) -> Response:
    db = request.app.state.db

    def load() -> dict[str, Any]:
        with db.session() as s:
            return lead_context(s, leads.get_lead(s, tenant_id=viewer.tenant, lead_id=lead_id))

    context = await run_in_threadpool(load)
    return _render(request, viewer, "lead.html", {**context, "error": error}, status=status)


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
async def lead_page(lead_id: str, request: Request) -> Response:
    viewer = await rs.identify(request)
    if viewer is None:
        return _login_redirect(request)
    return await _lead_page(request, viewer, lead_id)


@router.post("/leads/{lead_id}", response_class=HTMLResponse)
async def decide(lead_id: str, request: Request) -> Response:
    viewer = await rs.identify(request)
    if viewer is None:
        raise _unauthorized()
    form = await request.form(max_files=0, max_fields=40, max_part_size=16 * 1024)
    if not rs.csrf_ok(viewer, request.headers.get(rs.CSRF_HEADER) or form.get(rs.CSRF_FIELD)):
        raise CsrfFailed("missing or wrong CSRF token")
    action = str(form.get("action") or "")
    version = form.get("version")
    if action not in ("approve", "reject", "discard", "retry_sync") or not str(version or "").isdigit():
        return await _lead_page(request, viewer, lead_id, status=422,
                                error={"code": "invalid_request", "message": "unknown action or missing version"})
    changes = {k: str(form.get(k) or "") for k in ("score", *FIELD_LABELS) if k in form} if action == "approve" else {}
    db, settings = request.app.state.db, request.app.state.settings
    actor = f"reviewer:{viewer.tenant}" if viewer.via == "session" else f"tenant:{viewer.tenant}"

    def apply() -> None:
        with db.session() as s:
            if action == "retry_sync":
                leads.get_lead(s, tenant_id=viewer.tenant, lead_id=lead_id)
                leads.retry_failed_syncs(s, tenant_id=viewer.tenant, lead_id=lead_id, actor=actor)
                return
            leads.transition(s, tenant_id=viewer.tenant, lead_id=lead_id, action=action, actor=actor,
                             expected_version=int(version), reason=str(form.get("reason") or ""), changes=changes,
                             review=settings.review)

    try:
        await run_in_threadpool(apply)
    except leads.LeadNotFound:
        raise
    except leads.LeadError as exc:
        return await _lead_page(request, viewer, lead_id, status=exc.http_status, error=exc.to_dict())
    return RedirectResponse(f"/review/leads/{lead_id}", status_code=303)


@router.get("/leads/{lead_id}/audio")
async def lead_audio(lead_id: str, request: Request) -> Response:
    viewer = await rs.identify(request)
    if viewer is None:
        raise _unauthorized()
    db = request.app.state.db

    def load() -> tuple[str | None, str | None]:
        with db.session() as s:
            lead = leads.get_lead(s, tenant_id=viewer.tenant, lead_id=lead_id)
            job = s.get(Job, lead.job_id)
            return job.audio_path, job.content_type

    path, ctype = await run_in_threadpool(load)
    if not path or not Path(path).is_file():
        raise NotFound("the audio of this call is not stored (deleted by retention, or never fetched)")
    if not ctype or ctype == "application/octet-stream":
        ctype = "audio/wav" if path.endswith(".wav") else "application/octet-stream"
    return FileResponse(path, media_type=ctype, headers={"Cache-Control": "private, max-age=300"})


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    return _render(request, rs.pre_login(request), "login.html", {"next": _safe_next(request.query_params.get("next"))})


def _safe_next(value: str | None) -> str:
    """Only our own pages (no open redirect)."""
    return value if value and value.startswith("/review") and "//" not in value and "\\" not in value else "/review"


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    pre = rs.pre_login(request)
    form = await request.form(max_files=0, max_fields=5, max_part_size=4096)
    nxt = _safe_next(str(form.get("next") or ""))
    if not rs.csrf_ok(pre, str(form.get(rs.CSRF_FIELD) or "")):
        raise CsrfFailed("missing or wrong CSRF token")
    settings = request.app.state.settings
    key = str(form.get("api_key") or "").strip()
    tenant: str | None = tenants.DEFAULT_TENANT if not settings.auth.enabled else None
    if settings.auth.enabled and key and len(key) <= 256:
        db = request.app.state.db

        def lookup() -> str | None:
            with db.session() as s:
                return tenants.tenant_for_key(s, key=key)

        tenant = await run_in_threadpool(lookup)
    if tenant is None:
        return _render(request, pre, "login.html", {"next": nxt, "error": "unknown or revoked API key"}, status=401)
    viewer = rs.new_viewer(request, tenant)  # a fresh session and CSRF token after login
    response = RedirectResponse(nxt, status_code=303)
    rs.set_cookie(request, response, viewer.cookie)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    viewer = await rs.identify(request)
    form = await request.form(max_files=0, max_fields=5, max_part_size=4096)
    if viewer is not None and not rs.csrf_ok(viewer, str(form.get(rs.CSRF_FIELD) or "")):
        raise CsrfFailed("missing or wrong CSRF token")
    response = RedirectResponse("/review/login", status_code=303)
    response.delete_cookie(rs.COOKIE, path="/")
    return response
