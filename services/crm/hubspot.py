"""HubSpot: company, contact and note written as keyed upserts, then associated.

Order per sync: company (batch upsert on a custom unique property: the normalised domain, else name), contact
(batch upsert on e-mail, or on a custom unique property holding the lead id when there is no e-mail), the
contact <-> company association, a note (summary, BANT evidence, call link; batch upsert on its own unique
property = the lead id) and the note -> contact association. Ids a previous sync returned (record.known_ids)
are updated by id instead; a 404 there (deleted or merged in HubSpot) falls back to the keyed upsert. Never
search-then-create: HubSpot's search index lags writes, so a search right after a create misses it.

Rate limits: every answer carries X-HubSpot-RateLimit-*; a 429 usually has no Retry-After, so the delay comes
from the policy: the ten-secondly window -> X-HubSpot-RateLimit-Interval-Milliseconds (or rate_limit_retry_s),
the daily limit -> `parked` until the next midnight (UTC; HubSpot resets at the account's midnight, so this is
at most a few hours early and the dispatcher just parks again).
"""

from __future__ import annotations

import html
import random
from datetime import UTC, datetime, timedelta

import httpx

from services.crm.base import CrmRecord, SyncOutcome
from services.crm.http import (
    CrmConfigError,
    Progress,
    StagedAdapter,
    Stop,
    make_client,
    retry_after_header,
    short_body,
    transient,
    transport_error,
)
from services.crm.mapping import company_key, effective_mapping, map_object, note_text
from services.crm.settings import CrmSettings, HubSpotSettings, resolve_secret

RATE_HEADERS = {
    "max": "X-HubSpot-RateLimit-Max", "remaining": "X-HubSpot-RateLimit-Remaining",
    "interval_ms": "X-HubSpot-RateLimit-Interval-Milliseconds", "daily": "X-HubSpot-RateLimit-Daily",
    "daily_remaining": "X-HubSpot-RateLimit-Daily-Remaining",
}


def seconds_to_utc_midnight(now: datetime | None = None) -> float:
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds() + 1.0


def hubspot_message(resp: httpx.Response) -> str:
    """'CONFLICT: Contact already exists. Existing ID: 51 (email: ...)' from HubSpot's error body."""
    try:
        body = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}: {short_body(resp) or resp.reason_phrase}"
    if not isinstance(body, dict):
        return f"HTTP {resp.status_code}: {short_body(resp)}"
    if body.get("errors") and body.get("status") != "error":  # batch answer with per-input errors
        body = body["errors"][0]
    parts = [str(body.get("category") or f"HTTP {resp.status_code}") + ":", str(body.get("message") or "")]
    subs = [e.get("message") for e in body.get("errors") or [] if isinstance(e, dict) and e.get("message")]
    if subs:
        parts.append("(" + "; ".join(subs) + ")")
    return " ".join(p for p in parts if p).strip()


class HubSpotAdapter(StagedAdapter):
    name = "hubspot"

    def __init__(self, cfg: HubSpotSettings, crm: CrmSettings, *, client: httpx.AsyncClient | None = None,
                 rng: random.Random | None = None) -> None:
        token = resolve_secret(cfg.token, cfg.token_file, what="crm.hubspot.token")
        if not token:
            raise CrmConfigError("crm.hubspot is enabled but has no token (crm.hubspot.token or token_file)")
        self.cfg, self.crm, self.rng = cfg, crm, rng or random.Random()
        self.client = client or make_client(crm, timeout_s=cfg.timeout_s, base_url=cfg.base_url)
        self._auth = {"Authorization": f"Bearer {token}"}

    # ------------------------------------------------------------------ paths
    def _objects(self, object_type: str) -> str:
        v = self.cfg.api_version
        return f"/crm/{v}/objects/{object_type}" if v.startswith("v") else f"/crm/objects/{v}/{object_type}"

    def _association(self, from_type: str, from_id: str, to_type: str, to_id: str) -> str:
        v = self.cfg.api_version
        base = f"/crm/v4/objects/{from_type}" if v.startswith("v") else f"/crm/objects/{v}/{from_type}"
        return f"{base}/{from_id}/associations/default/{to_type}/{to_id}"

    # ------------------------------------------------------------------ one request
    async def _request(self, record: CrmRecord, ids: Progress, method: str, path: str, *,
                       json: object = None, allow: frozenset[int] = frozenset()) -> httpx.Response:
        try:
            resp = await self.client.request(method, path, json=json, headers=self._auth)
        except httpx.HTTPError as exc:
            raise Stop(transient(record, self.crm, transport_error(exc), ids=ids, rng=self.rng)) from exc
        ids.limits = {k: resp.headers[h] for k, h in RATE_HEADERS.items() if h in resp.headers}
        if resp.is_success or resp.status_code in allow:
            return resp
        raise Stop(self._classify(record, ids, resp))

    def _classify(self, record: CrmRecord, ids: Progress, resp: httpx.Response) -> SyncOutcome:
        code, message = resp.status_code, hubspot_message(resp)
        detail = {"rate_limit": dict(ids.limits)} if ids.limits else {}
        if code == 429:
            try:
                policy = str(resp.json().get("policyName", ""))
            except (ValueError, AttributeError):
                policy = ""
            if policy.upper() == "DAILY" or ids.limits.get("daily_remaining") == "0":
                return SyncOutcome("parked", external_ids=dict(ids), message=message, http_status=429,
                                   retry_after_s=round(seconds_to_utc_midnight(), 1), detail=detail)
            delay = retry_after_header(resp)
            if delay is None and str(ids.limits.get("interval_ms", "")).isdigit():
                delay = int(str(ids.limits["interval_ms"])) / 1000.0
            return transient(record, self.crm, message, http_status=429, ids=ids, detail=detail,
                             retry_after_s=delay if delay is not None else self.cfg.rate_limit_retry_s)
        if code >= 500 or code == 408:
            return transient(record, self.crm, message, http_status=code, ids=ids, rng=self.rng,
                             retry_after_s=retry_after_header(resp), detail=detail)
        if 300 <= code < 400:
            message = f"HTTP {code} redirect to {resp.headers.get('Location', '?')} not followed (check crm.hubspot.base_url)"
        return SyncOutcome("failed", external_ids=dict(ids), message=message, http_status=code, detail=detail)

    # ------------------------------------------------------------------ keyed writes
    async def _write(self, record: CrmRecord, ids: Progress, *, object_type: str, known_id: str | None,
                     id_property: str, id_value: str, properties: dict[str, object],
                     on_upsert: dict[str, object] | None = None) -> str:
        """Update by id when known; otherwise (or when that id is gone) batch upsert on a unique property.
        `on_upsert`: properties sent only with the upsert (e.g. a note's timestamp, kept on update by id)."""
        if known_id:
            resp = await self._request(record, ids, "PATCH", f"{self._objects(object_type)}/{known_id}",
                                       json={"properties": properties}, allow=frozenset({404}))
            if resp.status_code != 404:
                return str(resp.json().get("id", known_id))
        body = {"inputs": [{"idProperty": id_property, "id": id_value, "properties": {**properties, **(on_upsert or {})}}]}
        resp = await self._request(record, ids, "POST", f"{self._objects(object_type)}/batch/upsert", json=body)
        data = resp.json()
        if data.get("errors") or not data.get("results"):  # 207: the batch ran, this input did not
            raise Stop(SyncOutcome("failed", external_ids=dict(ids), message=hubspot_message(resp),
                                   http_status=resp.status_code))
        return str(data["results"][0]["id"])

    async def _associate(self, record: CrmRecord, ids: Progress, from_type: str, from_id: str,
                         to_type: str, to_id: str) -> None:
        await self._request(record, ids, "PUT", self._association(from_type, from_id, to_type, to_id))

    async def _sync(self, record: CrmRecord, ids: Progress) -> None:
        cfg, known = self.cfg, record.known_ids

        def props(obj: str) -> dict[str, object]:
            return map_object(record, effective_mapping(cfg.mapping, cfg.tenant_mappings, record.tenant_id, obj))

        ckey = company_key(record)
        if ckey:
            ids["company"] = await self._write(
                record, ids, object_type="companies", known_id=known.get("company"),
                id_property=cfg.company_unique_property, id_value=ckey, properties=props("company"))

        contact_props = props("contact")
        email = (record.contact_email or "").strip().lower()
        if email:
            id_property, id_value = "email", email
        else:
            id_property, id_value = cfg.contact_unique_property, record.key
        ids["contact"] = await self._write(
            record, ids, object_type="contacts", known_id=known.get("contact"), id_property=id_property,
            id_value=id_value, properties=contact_props)
        if "company" in ids:
            await self._associate(record, ids, "contacts", ids["contact"], "companies", ids["company"])

        body = html.escape(note_text(record)).replace("\n", "<br>")
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        ids["note"] = await self._write(
            record, ids, object_type="notes", known_id=known.get("note"), id_property=cfg.note_unique_property,
            id_value=record.key, properties={"hs_note_body": body}, on_upsert={"hs_timestamp": stamp})
        await self._associate(record, ids, "notes", ids["note"], "contacts", ids["contact"])
