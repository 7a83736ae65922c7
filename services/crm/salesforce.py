"""Salesforce: the Lead upserted by an External ID field, the next step as a Task upserted by its own one.

PATCH /services/data/<v>/sobjects/Lead/<ExtField>/<lead id>: 201 created, 200 (or 204 on old API versions)
updated, 300 = several Leads carry that external id (a non-unique External ID field): `failed` with their ids,
a person merges them. Ids from an earlier sync (record.known_ids["lead"], ["task"]) are updated by id; a 404
there (deleted, converted away) falls back to the keyed upsert.

Auth: OAuth 2.0 client credentials or JWT bearer; neither has a refresh token, so on 401 INVALID_SESSION_ID a
new token is minted and the request retried once. Limits: 403 REQUEST_LIMIT_EXCEEDED (rolling 24 h API quota)
-> `parked` for limit_park_s; usage from the Sforce-Limit-Info header goes into the outcome's detail. Requests
go to the configured instance_url, not the token answer's instance_url (operator-configured hosts only).
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from urllib.parse import quote

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
from services.crm.mapping import effective_mapping, map_object
from services.crm.settings import CrmSettings, SalesforceSettings, resolve_secret

NOT_PROVIDED = "[not provided]"  # Salesforce's own placeholder (Web-to-Lead) for required Lead fields


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_assertion(*, client_id: str, username: str, audience: str, private_key_pem: bytes,
                  now: float | None = None) -> str:
    """RS256 JWT for the OAuth JWT bearer flow (iss = consumer key, sub = user, aud = login host, exp <= 3 min)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    issued = int(now if now is not None else time.time())
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = _b64url(json.dumps({"iss": client_id, "sub": username, "aud": audience, "exp": issued + 180},
                                separators=(",", ":")).encode())
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    signature = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    return f"{header}.{claims}.{_b64url(signature)}"


def salesforce_message(resp: httpx.Response) -> tuple[str, str | None]:
    """("REQUIRED_FIELD_MISSING: Required fields are missing: [LastName] (fields: LastName)", errorCode)."""
    try:
        body = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}: {short_body(resp) or resp.reason_phrase}", None
    if isinstance(body, dict) and "error" in body:  # OAuth endpoint
        return f"{body['error']}: {body.get('error_description', '')}".strip(), str(body["error"])
    errors = body if isinstance(body, list) else [body]
    parts, first_code = [], None
    for err in errors:
        if not isinstance(err, dict):
            continue
        code = err.get("errorCode")
        first_code = first_code or code
        text = f"{code}: {err.get('message', '')}"
        if err.get("fields"):
            text += f" (fields: {', '.join(map(str, err['fields']))})"
        parts.append(text)
    return ("; ".join(parts) or f"HTTP {resp.status_code}: {short_body(resp)}"), first_code


def limit_info(resp: httpx.Response) -> dict[str, int]:
    """Sforce-Limit-Info: api-usage=25/15000 -> {"used": 25, "limit": 15000}."""
    raw = resp.headers.get("Sforce-Limit-Info", "")
    for part in raw.split(","):
        name, _, value = part.strip().partition("=")
        if name == "api-usage" and "/" in value:
            used, _, limit = value.partition("/")
            if used.isdigit() and limit.isdigit():
                return {"used": int(used), "limit": int(limit)}
    return {}


class SalesforceAdapter(StagedAdapter):
    name = "salesforce"
    limits_detail = "api_usage"

    def __init__(self, cfg: SalesforceSettings, crm: CrmSettings, *, client: httpx.AsyncClient | None = None,
                 rng: random.Random | None = None) -> None:
        if not (cfg.instance_url and cfg.client_id):
            raise CrmConfigError("crm.salesforce needs instance_url and client_id")
        if cfg.auth == "client_credentials":
            self._secret = resolve_secret(cfg.client_secret, cfg.client_secret_file, what="crm.salesforce.client_secret")
            if not self._secret:
                raise CrmConfigError("crm.salesforce auth=client_credentials needs client_secret or client_secret_file")
        else:
            try:
                self._key_pem = cfg.jwt_private_key_file.read_bytes()  # type: ignore[union-attr]
            except (OSError, AttributeError) as exc:
                raise CrmConfigError(f"crm.salesforce.jwt_private_key_file unreadable: {exc}") from exc
        self.cfg, self.crm, self.rng = cfg, crm, rng or random.Random()
        self.client = client or make_client(crm, timeout_s=cfg.timeout_s)
        self._token: str | None = None
        self._mint_lock = asyncio.Lock()  # concurrent syncs share one token (and one renewal)
        self.tokens_minted = 0

    def _data(self, path: str) -> str:
        return f"{self.cfg.instance_url}/services/data/{self.cfg.api_version}{path}"

    # ------------------------------------------------------------------ auth
    async def _mint(self, record: CrmRecord, ids: Progress) -> str:
        cfg = self.cfg
        if cfg.auth == "client_credentials":
            form = {"grant_type": "client_credentials", "client_id": cfg.client_id, "client_secret": self._secret}
        else:
            form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": jwt_assertion(client_id=cfg.client_id, username=cfg.jwt_username,  # type: ignore[arg-type]
                                               audience=cfg.jwt_audience, private_key_pem=self._key_pem)}
        url = f"{cfg.login_url or cfg.instance_url}/services/oauth2/token"
        try:
            resp = await self.client.post(url, data=form)
        except httpx.HTTPError as exc:
            raise Stop(transient(record, self.crm, "token: " + transport_error(exc), ids=ids, rng=self.rng)) from exc
        if resp.status_code >= 500 or resp.status_code == 429:
            raise Stop(transient(record, self.crm, "token: " + salesforce_message(resp)[0], ids=ids, rng=self.rng,
                                 http_status=resp.status_code, retry_after_s=retry_after_header(resp)))
        token = resp.json().get("access_token") if resp.is_success else None
        if not token:  # invalid_client, invalid_grant, user not pre-authorized: the operator must act
            raise Stop(SyncOutcome("failed", external_ids=dict(ids), http_status=resp.status_code,
                                   message="Salesforce refused the credentials: " + salesforce_message(resp)[0]))
        self._token, self.tokens_minted = str(token), self.tokens_minted + 1
        return self._token

    async def _current_token(self, record: CrmRecord, ids: Progress, *, rejected: str | None = None) -> str:
        """The shared token; minted when there is none or when `rejected` (the one that got a 401) is still it."""
        async with self._mint_lock:
            if self._token is None or self._token == rejected:
                self._token = None
                return await self._mint(record, ids)
            return self._token

    # ------------------------------------------------------------------ one request
    async def _request(self, record: CrmRecord, ids: Progress, method: str, url: str, *,
                       json_body: object = None, allow: frozenset[int] = frozenset()) -> httpx.Response:
        renewed = False
        token = await self._current_token(record, ids)
        while True:
            try:
                resp = await self.client.request(method, url, json=json_body,
                                                 headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as exc:
                raise Stop(transient(record, self.crm, transport_error(exc), ids=ids, rng=self.rng)) from exc
            ids.limits = limit_info(resp) or ids.limits
            if resp.status_code == 401 and not renewed:  # INVALID_SESSION_ID: expired or revoked; no refresh token
                renewed = True
                token = await self._current_token(record, ids, rejected=token)
                continue
            if resp.is_success or resp.status_code in allow:
                return resp
            raise Stop(self._classify(record, ids, resp))

    def _classify(self, record: CrmRecord, ids: Progress, resp: httpx.Response) -> SyncOutcome:
        code = resp.status_code
        message, error_code = salesforce_message(resp)
        detail: dict[str, object] = {"api_usage": dict(ids.limits)} if ids.limits else {}
        if error_code:
            detail["error_code"] = error_code
        if code == 403 and error_code == "REQUEST_LIMIT_EXCEEDED":
            return SyncOutcome("parked", external_ids=dict(ids), message=message, http_status=403,
                               retry_after_s=self.cfg.limit_park_s, detail=detail)
        if code >= 500 or code in (408, 429) or error_code == "UNABLE_TO_LOCK_ROW":
            return transient(record, self.crm, message, http_status=code, ids=ids, rng=self.rng, detail=detail,
                             retry_after_s=retry_after_header(resp))
        if code == 401:
            message = "Salesforce rejected a freshly minted token: " + message
        return SyncOutcome("failed", external_ids=dict(ids), message=message, http_status=code, detail=detail)

    # ------------------------------------------------------------------ keyed writes
    async def _upsert(self, record: CrmRecord, ids: Progress, *, sobject: str, known_id: str | None,
                      ext_field: str, ext_value: str, fields: dict[str, object]) -> str:
        if known_id:
            resp = await self._request(record, ids, "PATCH", self._data(f"/sobjects/{sobject}/{known_id}"),
                                       json_body=fields, allow=frozenset({404}))
            if resp.status_code != 404:
                return known_id
        url = self._data(f"/sobjects/{sobject}/{ext_field}/{quote(ext_value, safe='')}")
        resp = await self._request(record, ids, "PATCH", url, json_body=fields, allow=frozenset({300}))
        if resp.status_code == 300:
            matches = [str(u).rstrip("/").rsplit("/", 1)[-1] for u in (resp.json() or []) if isinstance(u, str)]
            raise Stop(SyncOutcome(
                "failed", external_ids=dict(ids), http_status=300, detail={"matching_ids": matches},
                message=f"{len(matches)} {sobject} records share {ext_field}={ext_value}: {', '.join(matches)}; "
                        "merge them in Salesforce, then re-sync"))
        if resp.status_code in (200, 201) and resp.content:
            return str(resp.json()["id"])
        # 204 (API versions before 46 answer an update without a body): read the id back by the same key
        got = await self._request(record, ids, "GET", url, allow=frozenset())
        return str(got.json()["Id"])

    async def _sync(self, record: CrmRecord, ids: Progress) -> None:
        cfg = self.cfg
        lead = map_object(record, effective_mapping(cfg.mapping, cfg.tenant_mappings, record.tenant_id, "lead"))
        for required in ("LastName", "Company"):  # Lead's required fields; a call may not have named them
            if required in effective_mapping(cfg.mapping, cfg.tenant_mappings, record.tenant_id, "lead").values():
                lead.setdefault(required, NOT_PROVIDED)
        ids["lead"] = await self._upsert(record, ids, sobject="Lead", known_id=record.known_ids.get("lead"),
                                         ext_field=cfg.lead_external_id_field, ext_value=record.key, fields=lead)
        if record.next_step:
            task = map_object(record, effective_mapping(cfg.mapping, cfg.tenant_mappings, record.tenant_id, "task"))
            task["WhoId"] = ids["lead"]  # Status is left to the picklist default: a re-sync must not reopen a done task
            ids["task"] = await self._upsert(record, ids, sobject="Task", known_id=record.known_ids.get("task"),
                                             ext_field=cfg.task_external_id_field, ext_value=f"{record.key}:next",
                                             fields=task)
