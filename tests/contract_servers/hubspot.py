"""A stateful local HubSpot CRM API (objects, batch upsert, search, default associations), from the public docs.

Enforced: Bearer token; properties must exist (custom ones like ai_lead_score must be created in the portal
first); unique properties (contact e-mail, case-insensitive, and the custom unique keys) -> 409 CONFLICT
"... already exists. Existing ID: n" on create / update; batch upsert on `idProperty` (must be a unique
property; duplicate ids in one batch -> 400; a conflicting input -> 207 with errors); search that only sees
writes older than `search_lag_s` (search-then-create would duplicate); rate limits with the
X-HubSpot-RateLimit-* headers, a ten-secondly window and a daily quota, whose 429s carry no Retry-After;
faults on demand (`state.fail_next`, `state.rate_limit_next`). Both path forms: /crm/objects/<YYYY-MM>/...
and the legacy /crm/v3/objects/... (+ /crm/v4/objects/.../associations).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from datetime import UTC, datetime

from fastapi import (  # module level: FastAPI resolves the handlers' string annotations here
    FastAPI,
    Request,
)
from fastapi.responses import JSONResponse, Response

from tests.contract_servers.faults import Fault, Faults, apply_delay, fault_headers

PROPERTIES = {
    "contacts": {"email", "firstname", "lastname", "jobtitle", "phone", "company", "ai_lead_score", "ai_confidence",
                 "ai_reasoning", "parley_lead_key"},
    "companies": {"name", "domain", "parley_company_key"},
    "notes": {"hs_note_body", "hs_timestamp", "parley_note_key"},
}
UNIQUE = {"contacts": {"email", "parley_lead_key"}, "companies": {"parley_company_key"}, "notes": {"parley_note_key"}}
SINGULAR = {"contacts": "Contact", "companies": "Company", "notes": "Note"}
DEFAULT_ASSOCIATION = {("contacts", "companies"): 279, ("companies", "contacts"): 280, ("notes", "contacts"): 202,
                       ("contacts", "notes"): 201}

ASSOC_RE = re.compile(r"^/crm/(?:objects/\d{4}-\d{2}|v4/objects)/(\w+)/(\d+)/associations/default/(\w+)/(\d+)$")
OBJECTS_RE = re.compile(r"^/crm/(?:objects/\d{4}-\d{2}|v3/objects)/(\w+)(/.*)?$")


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class HubSpotError(Exception):
    def __init__(self, status: int, category: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status, self.body = status, {"status": "error", "category": category, "message": message, **extra}


class HubSpotState:
    """Everything the server knows; thread-safe (the server runs in its own thread). Tests read it directly."""

    def __init__(self, *, token: str = "hubspot-test-token", search_lag_s: float = 2.0,
                 ten_secondly_max: int = 190, daily_max: int = 250_000, window_s: float = 10.0) -> None:
        self.token, self.search_lag_s, self.window_s = token, search_lag_s, window_s  # window_s: shorter in tests
        self.ten_secondly_max, self.daily_max = ten_secondly_max, daily_max
        self.lock = threading.RLock()
        self.faults = Faults()
        self.properties = {k: set(v) for k, v in PROPERTIES.items()}
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.objects: dict[str, dict[str, dict]] = {k: {} for k in PROPERTIES}
            self.associations: set[tuple[str, str, str, str, int]] = set()
            self.requests: list[tuple[str, str, int]] = []
            self._ids = itertools.count(101)
            self._window: deque[float] = deque()
            self.daily_used = 0
            self.faults.clear()

    # -------------------------------------------------------------- fault injection
    def fail_next(self, status: int, n: int = 1, *, after: int = 0, path_contains: str | None = None,
                  body: object = None, headers: dict[str, str] | None = None, delay_s: float = 0.0) -> None:
        body = body if body is not None else {"status": "error", "category": "INTERNAL_ERROR",
                                              "message": "internal error (injected)"}
        self.faults.add(Fault(status, n, after, body, dict(headers or {}), path_contains, delay_s=delay_s))

    def rate_limit_next(self, n: int = 1, *, policy: str = "TEN_SECONDLY_ROLLING", after: int = 0) -> None:
        """n answers of 429 without Retry-After, as HubSpot sends them."""
        window = "daily" if policy == "DAILY" else "ten_secondly_rolling"
        body = {"status": "error", "category": "RATE_LIMITS", "errorType": "RATE_LIMIT", "policyName": policy,
                "message": f"You have reached your {window} limit."}
        headers = {"X-HubSpot-RateLimit-Daily-Remaining": "0"} if policy == "DAILY" else {"X-HubSpot-RateLimit-Remaining": "0"}
        self.faults.add(Fault(429, n, after, body, headers))

    # -------------------------------------------------------------- reading state (tests)
    def all(self, object_type: str) -> list[dict]:
        with self.lock:
            return [dict(o, properties=dict(o["properties"])) for o in self.objects[object_type].values()]

    def find(self, object_type: str, prop: str, value: str) -> list[dict]:
        v = value.lower() if prop == "email" else value
        return [o for o in self.all(object_type) if (o["properties"].get(prop) or "").__eq__(v)
                or (prop == "email" and (o["properties"].get(prop) or "").lower() == v)]

    def associated(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        with self.lock:
            return sorted(t for f, fi, tt, t, _ in self.associations if f == from_type and fi == from_id and tt == to_type)

    def writes(self) -> int:
        with self.lock:
            return sum(1 for m, _, s in self.requests if m != "GET" and 200 <= s < 300)

    # -------------------------------------------------------------- rules
    def _check_properties(self, object_type: str, props: dict) -> None:
        unknown = sorted(set(props) - self.properties[object_type])
        if unknown:
            raise HubSpotError(400, "VALIDATION_ERROR", "Property values were not valid", errors=[
                {"message": f'Property "{p}" does not exist', "code": "PROPERTY_DOESNT_EXIST"} for p in unknown])

    def _conflict(self, object_type: str, props: dict, self_id: str | None) -> None:
        for prop in UNIQUE[object_type]:
            value = props.get(prop)
            if value in (None, ""):
                continue
            for oid, obj in self.objects[object_type].items():
                other = obj["properties"].get(prop)
                same = (str(other).lower() == str(value).lower()) if prop == "email" else other == value
                if oid != self_id and same:
                    raise HubSpotError(409, "CONFLICT",
                                       f"{SINGULAR[object_type]} already exists. Existing ID: {oid}")

    def _create(self, object_type: str, props: dict) -> dict:
        self._check_properties(object_type, props)
        self._conflict(object_type, props, None)
        oid, now = str(next(self._ids)), time.time()
        if "email" in props and props["email"]:
            props = {**props, "email": str(props["email"]).lower()}
        obj = {"id": oid, "properties": {k: (None if v is None else str(v)) for k, v in props.items()},
               "createdAt": _now_iso(), "updatedAt": _now_iso(), "archived": False, "_written": now}
        self.objects[object_type][oid] = obj
        return obj

    def _update(self, object_type: str, oid: str, props: dict) -> dict:
        obj = self.objects[object_type].get(oid)
        if obj is None:
            raise HubSpotError(404, "OBJECT_NOT_FOUND", f"resource not found: {object_type} {oid}")
        self._check_properties(object_type, props)
        self._conflict(object_type, props, oid)
        if props.get("email"):
            props = {**props, "email": str(props["email"]).lower()}  # HubSpot stores e-mails lower-cased
        obj["properties"].update({k: (None if v is None else str(v)) for k, v in props.items()})
        obj["updatedAt"], obj["_written"] = _now_iso(), time.time()
        return obj

    def _by_unique(self, object_type: str, prop: str, value: str) -> dict | None:
        for obj in self.objects[object_type].values():
            other = obj["properties"].get(prop)
            if (str(other).lower() == value.lower()) if prop == "email" else other == value:
                return obj
        return None

    def _upsert(self, object_type: str, inputs: list) -> tuple[int, dict]:
        seen, results, errors = set(), [], []
        for item in inputs:
            key = (item.get("idProperty"), item.get("id"))
            if key in seen:
                raise HubSpotError(400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: {key[1]}")
            seen.add(key)
        for item in inputs:
            prop, value, props = item.get("idProperty"), item.get("id"), dict(item.get("properties") or {})
            if prop not in UNIQUE[object_type]:
                raise HubSpotError(400, "VALIDATION_ERROR",
                                   f"idProperty {prop!r} is not a unique property of {object_type}")
            try:
                existing = self._by_unique(object_type, prop, str(value))
                if existing:
                    obj, new = self._update(object_type, existing["id"], props), False
                else:
                    obj, new = self._create(object_type, {**props, prop: value}), True
                results.append({**_public(obj), "new": new})
            except HubSpotError as exc:
                errors.append({**exc.body, "context": {"id": [str(value)]}})
        body = {"status": "COMPLETE", "results": results, "startedAt": _now_iso(), "completedAt": _now_iso()}
        if errors:
            body.update(errors=errors, numErrors=len(errors))
            return 207, body
        return 200, body

    def _search(self, object_type: str, query: dict) -> dict:
        horizon = time.time() - self.search_lag_s  # the index only has writes older than the lag
        filters = [f for g in query.get("filterGroups") or [] for f in g.get("filters") or []]
        found = []
        for obj in self.objects[object_type].values():
            if obj["_written"] > horizon:
                continue
            if all(f.get("operator", "EQ") == "EQ" and str(obj["properties"].get(f["propertyName"])).lower()
                   == str(f.get("value")).lower() for f in filters):
                found.append(_public(obj))
        return {"total": len(found), "results": found}

    # -------------------------------------------------------------- rate limits
    def _rate(self) -> tuple[dict[str, str], HubSpotError | None]:
        now = time.time()
        while self._window and self._window[0] <= now - self.window_s:
            self._window.popleft()
        self._window.append(now)
        self.daily_used += 1
        headers = {
            "X-HubSpot-RateLimit-Max": str(self.ten_secondly_max),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.ten_secondly_max - len(self._window))),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window_s * 1000)),
            "X-HubSpot-RateLimit-Daily": str(self.daily_max),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_max - self.daily_used)),
        }
        if self.daily_used > self.daily_max:
            return headers, HubSpotError(429, "RATE_LIMITS", "You have reached your daily limit.",
                                         errorType="RATE_LIMIT", policyName="DAILY")
        if len(self._window) > self.ten_secondly_max:
            return headers, HubSpotError(429, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.",
                                         errorType="RATE_LIMIT", policyName="TEN_SECONDLY_ROLLING")
        return headers, None

    # -------------------------------------------------------------- dispatch
    def handle(self, method: str, path: str, auth: str | None, body: object) -> tuple[int, object, dict[str, str]]:
        with self.lock:
            status, payload, headers = self._handle(method, path, auth, body)
            self.requests.append((method, path, status))
            return status, payload, headers

    def _handle(self, method: str, path: str, auth: str | None, body: object) -> tuple[int, object, dict[str, str]]:
        if auth != f"Bearer {self.token}":
            return 401, {"status": "error", "category": "INVALID_AUTHENTICATION",
                         "message": "Authentication credentials not found."}, {}
        headers, limited = self._rate()
        fault = self.faults.take(method, path)
        if fault is not None and fault.status != 0:
            return fault.status, fault.body, fault_headers(fault, headers)
        if fault is not None:  # status 0: do the write, then answer late (the client times out, the write stays)
            headers = fault_headers(fault, headers)
        if limited is not None:
            return limited.status, limited.body, headers
        try:
            status, payload = self._route(method, path, body if isinstance(body, dict) else {})
        except HubSpotError as exc:
            return exc.status, exc.body, headers
        return status, payload, headers

    def _route(self, method: str, path: str, body: dict) -> tuple[int, object]:
        m = ASSOC_RE.match(path)
        if m and method == "PUT":
            from_type, from_id, to_type, to_id = m.groups()
            for t, i in ((from_type, from_id), (to_type, to_id)):
                if t not in self.objects or i not in self.objects[t]:
                    raise HubSpotError(404, "OBJECT_NOT_FOUND", f"{t} {i} does not exist")
            type_id = DEFAULT_ASSOCIATION.get((from_type, to_type), 1)
            self.associations.add((from_type, from_id, to_type, to_id, type_id))
            return 200, {"status": "COMPLETE", "results": [{"from": {"id": from_id}, "to": {"id": to_id},
                         "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}}]}
        m = OBJECTS_RE.match(path)
        if not m or m.group(1) not in self.objects:
            raise HubSpotError(404, "OBJECT_NOT_FOUND", f"no route for {method} {path}")
        object_type, rest = m.group(1), m.group(2) or ""
        if rest == "" and method == "POST":
            return 201, _public(self._create(object_type, dict(body.get("properties") or {})))
        if rest == "/batch/upsert" and method == "POST":
            return self._upsert(object_type, list(body.get("inputs") or []))
        if rest == "/search" and method == "POST":
            return 200, self._search(object_type, body)
        if re.fullmatch(r"/\d+", rest):
            oid = rest[1:]
            if method == "PATCH":
                return 200, _public(self._update(object_type, oid, dict(body.get("properties") or {})))
            if method == "GET":
                obj = self.objects[object_type].get(oid)
                if obj is None:
                    raise HubSpotError(404, "OBJECT_NOT_FOUND", f"resource not found: {object_type} {oid}")
                return 200, _public(obj)
        raise HubSpotError(405 if rest else 404, "NOT_SUPPORTED", f"{method} {path} is not supported")


def _public(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def create_app(state: HubSpotState):
    app = FastAPI(title="HubSpot contract server", docs_url=None, redoc_url=None, openapi_url=None)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def any_route(path: str, request: Request) -> Response:
        raw = await request.body()
        try:
            body = await request.json() if raw else {}
        except ValueError:
            return JSONResponse({"status": "error", "category": "VALIDATION_ERROR", "message": "Invalid JSON"}, 400)
        status, payload, headers = state.handle(request.method, "/" + path, request.headers.get("authorization"), body)
        headers = await apply_delay(headers)
        if status == 204:
            return Response(status_code=204, headers=headers)
        return JSONResponse(payload, status_code=status, headers=headers)

    return app
