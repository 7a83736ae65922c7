"""A stateful local Salesforce REST API (OAuth token endpoint, sObject upsert by External ID, update / read by
id), from the public docs.

Enforced: OAuth client credentials (client id + secret) and JWT bearer (RS256 assertion checked against the
app's certificate key: iss, sub, aud, exp <= now + 3 min); access tokens that expire (`token_ttl_s`, or
`expire_tokens()` now) -> 401 INVALID_SESSION_ID; no refresh tokens. PATCH .../sobjects/<T>/<ExtField>/<v>:
0 matches -> 201 created, 1 -> 200 {"created": false} (204 with `legacy_204`), 2+ -> 300 with the matching
record URLs (`add_record` can plant two Leads with one external id, as a non-unique External ID field
allows); unknown fields -> 400 INVALID_FIELD; required fields (Lead LastName, Company) -> 400
REQUIRED_FIELD_MISSING; WhoId must point at an existing Lead -> 400 INVALID_CROSS_REFERENCE_KEY; a duplicate
rule on Lead e-mail -> 400 DUPLICATES_DETECTED; an API quota (`api_limit`) -> 403 REQUEST_LIMIT_EXCEEDED; the
Sforce-Limit-Info header on every API answer; faults on demand (`fail_next`).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
import time

from fastapi import (  # module level: FastAPI resolves the handlers' string annotations here
    FastAPI,
    Request,
)
from fastapi.responses import JSONResponse, Response

from tests.contract_servers.faults import Fault, Faults, apply_delay, fault_headers

FIELDS = {
    "Lead": {"FirstName", "LastName", "Title", "Email", "Phone", "Company", "Rating", "Description",
             "AI_Lead_Score__c", "AI_Confidence__c", "AI_Reasoning__c", "Parley_Key__c", "LeadSource", "Status"},
    "Task": {"Subject", "Description", "WhoId", "Status", "ActivityDate", "Priority", "Parley_Task_Key__c"},
}
EXTERNAL_ID_FIELDS = {"Lead": {"Parley_Key__c"}, "Task": {"Parley_Task_Key__c"}}
REQUIRED = {"Lead": ("LastName", "Company"), "Task": ()}
DEFAULTS = {"Lead": {"Status": "Open - Not Contacted"}, "Task": {"Status": "Not Started", "Priority": "Normal"}}
PREFIX = {"Lead": "00Q", "Task": "00T"}
DATA_RE = re.compile(r"^/services/data/(v\d+\.\d)/sobjects/(\w+)/([^/]+)(?:/([^/]+))?$")


class SfError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status, self.body = status, [{"errorCode": code, "message": message, **extra}]


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class SalesforceState:
    def __init__(self, *, client_id: str = "sf-client-id", client_secret: str = "sf-client-secret",
                 jwt_public_key_pem: bytes | None = None, jwt_username: str = "integration@parley.test",
                 jwt_audience: str = "https://login.salesforce.com", token_ttl_s: float | None = None,
                 api_limit: int = 15_000, min_api_version: float = 31.0) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.jwt_public_key_pem, self.jwt_username, self.jwt_audience = jwt_public_key_pem, jwt_username, jwt_audience
        self.token_ttl_s, self.api_limit, self.min_api_version = token_ttl_s, api_limit, min_api_version
        self.lock = threading.RLock()
        self.faults = Faults()
        self.duplicate_rule_email = True
        self.legacy_204 = False
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.records: dict[str, dict[str, dict]] = {k: {} for k in FIELDS}
            self.tokens: dict[str, float] = {}
            self.tokens_issued = 0
            self.api_used = 0
            self.requests: list[tuple[str, str, int]] = []
            self._seq = itertools.count(1)
            self.faults.clear()

    # -------------------------------------------------------------- test handles
    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def fail_next(self, status: int, n: int = 1, *, after: int = 0, path_contains: str | None = None,
                  body: object = None, headers: dict[str, str] | None = None, delay_s: float = 0.0) -> None:
        body = body if body is not None else [{"errorCode": "SERVER_UNAVAILABLE", "message": "injected outage"}]
        self.faults.add(Fault(status, n, after, body, dict(headers or {}), path_contains, delay_s=delay_s))

    def add_record(self, sobject: str, fields: dict) -> str:
        """Insert directly, bypassing upsert matching (e.g. a second Lead with the same external id)."""
        with self.lock:
            return self._insert(sobject, dict(fields))

    def all(self, sobject: str) -> list[dict]:
        with self.lock:
            return [dict(r) for r in self.records[sobject].values()]

    def find(self, sobject: str, field: str, value: str) -> list[dict]:
        return [r for r in self.all(sobject) if r.get(field) == value]

    # -------------------------------------------------------------- OAuth
    def token(self, form: dict[str, str]) -> tuple[int, dict]:
        with self.lock:
            grant = form.get("grant_type")
            if grant == "client_credentials":
                if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                    return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
            elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                problem = self._check_jwt(form.get("assertion", ""))
                if problem:
                    return 400, {"error": "invalid_grant", "error_description": problem}
            else:
                return 400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
            token = "00D" + secrets.token_urlsafe(24)
            self.tokens[token] = time.time() + (self.token_ttl_s if self.token_ttl_s is not None else 10**9)
            self.tokens_issued += 1
            return 200, {"access_token": token, "instance_url": "https://example.my.salesforce.com",
                         "token_type": "Bearer", "issued_at": str(int(time.time() * 1000)), "scope": "api"}

    def _check_jwt(self, assertion: str) -> str | None:
        if self.jwt_public_key_pem is None:
            return "JWT bearer is not configured for this app"
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            header_b, claims_b, sig_b = assertion.split(".")
            header, claims = json.loads(_b64url_decode(header_b)), json.loads(_b64url_decode(claims_b))
            key = serialization.load_pem_public_key(self.jwt_public_key_pem)
            key.verify(_b64url_decode(sig_b), f"{header_b}.{claims_b}".encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
        except InvalidSignature:
            return "invalid assertion signature"
        except (ValueError, TypeError):
            return "invalid assertion"
        if header.get("alg") != "RS256":
            return "invalid assertion algorithm"
        if claims.get("iss") != self.client_id:
            return "client identifier invalid"
        if claims.get("sub") != self.jwt_username:
            return "user hasn't approved this consumer"
        if claims.get("aud") != self.jwt_audience:
            return "audience is invalid"
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp < time.time() or exp > time.time() + 300:
            return "expired authorization code"
        return None

    # -------------------------------------------------------------- data API
    def handle(self, method: str, path: str, auth: str | None, body: object) -> tuple[int, object, dict[str, str]]:
        with self.lock:
            status, payload, headers = self._handle(method, path, auth, body)
            self.requests.append((method, path, status))
            return status, payload, headers

    def _handle(self, method: str, path: str, auth: str | None, body: object) -> tuple[int, object, dict[str, str]]:
        token = (auth or "").removeprefix("Bearer ").strip()
        if self.tokens.get(token, 0) < time.time():
            self.tokens.pop(token, None)
            return 401, [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}], {}
        self.api_used += 1
        headers = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_limit}"}
        fault = self.faults.take(method, path)
        if fault is not None and fault.status != 0:
            return fault.status, fault.body, fault_headers(fault, headers)
        if fault is not None:  # status 0: do the write, then answer late (the client times out, the write stays)
            headers = fault_headers(fault, headers)
        if self.api_used > self.api_limit:
            return 403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}], headers
        try:
            status, payload = self._route(method, path, body)
        except SfError as exc:
            return exc.status, exc.body, headers
        return status, payload, headers

    def _insert(self, sobject: str, fields: dict) -> str:
        rid = f"{PREFIX[sobject]}{next(self._seq):012d}AAA"
        self.records[sobject][rid] = {**DEFAULTS[sobject], **fields, "Id": rid}
        return rid

    def _validate(self, sobject: str, fields: dict, *, creating: bool, self_id: str | None) -> None:
        if not isinstance(fields, dict):
            raise SfError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of SObject from the request body")
        for name in fields:
            if name not in FIELDS[sobject]:
                raise SfError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}")
        if creating:
            missing = [f for f in REQUIRED[sobject] if not fields.get(f)]
            if missing:
                raise SfError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                              fields=missing)
        who = fields.get("WhoId")
        if who is not None and who not in self.records["Lead"]:
            raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {who}", fields=["WhoId"])
        email = fields.get("Email")
        if sobject == "Lead" and self.duplicate_rule_email and email:
            for rid, rec in self.records["Lead"].items():
                if rid != self_id and str(rec.get("Email", "")).lower() == str(email).lower():
                    raise SfError(400, "DUPLICATES_DETECTED", "Use one of these records?",
                                  duplicateResult={"duplicateRule": "Standard_Lead_Duplicate_Rule",
                                                   "matchResults": [{"matchRecords": [{"record": {"Id": rid}}]}]})

    def _url(self, version: str, sobject: str, rid: str) -> str:
        return f"/services/data/{version}/sobjects/{sobject}/{rid}"

    def _route(self, method: str, path: str, body: object) -> tuple[int, object]:
        m = DATA_RE.match(path)
        if not m:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        version, sobject, a, b = m.groups()
        if float(version[1:]) < self.min_api_version or sobject not in FIELDS:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        if b is not None:  # /sobjects/<T>/<ExtField>/<value>
            if a not in EXTERNAL_ID_FIELDS[sobject]:
                raise SfError(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {a}")
            matches = [rid for rid, rec in self.records[sobject].items() if rec.get(a) == b]
            if len(matches) > 1:
                return 300, [self._url(version, sobject, rid) for rid in matches]
            if method == "GET":
                if not matches:
                    raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
                rec = self.records[sobject][matches[0]]
                return 200, {"attributes": {"type": sobject, "url": self._url(version, sobject, matches[0])}, **rec}
            if method != "PATCH":
                raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")
            fields = body if isinstance(body, dict) else body
            if isinstance(fields, dict) and fields.get(a) not in (None, b):
                raise SfError(400, "INVALID_FIELD", f"external id field {a} in the body does not match the URL")
            if not matches:
                self._validate(sobject, fields, creating=True, self_id=None)
                rid = self._insert(sobject, {**fields, a: b})
                return 201, {"id": rid, "success": True, "errors": [], "created": True}
            self._validate(sobject, fields, creating=False, self_id=matches[0])
            self.records[sobject][matches[0]].update(fields)
            if self.legacy_204 or float(version[1:]) < 46.0:
                return 204, None
            return 200, {"id": matches[0], "success": True, "errors": [], "created": False}
        rid = a
        if rid not in self.records[sobject]:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        if method == "GET":
            return 200, {"attributes": {"type": sobject, "url": self._url(version, sobject, rid)},
                         **self.records[sobject][rid]}
        if method == "PATCH":
            self._validate(sobject, body, creating=False, self_id=rid)  # type: ignore[arg-type]
            self.records[sobject][rid].update(body)  # type: ignore[arg-type]
            return 204, None
        raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")


def create_app(state: SalesforceState):
    app = FastAPI(title="Salesforce contract server", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/services/oauth2/token")
    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        status, payload = state.token(form)
        return JSONResponse(payload, status_code=status)

    @app.api_route("/services/data/{path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def data(path: str, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return JSONResponse([{"errorCode": "JSON_PARSER_ERROR", "message": "malformed JSON"}], status_code=400)
        status, payload, headers = state.handle(request.method, "/services/data/" + path,
                                                request.headers.get("authorization"), body)
        headers = await apply_delay(headers)
        if status == 204:
            return Response(status_code=204, headers=headers)
        return JSONResponse(payload, status_code=status, headers=headers)

    return app
