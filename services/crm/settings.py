"""`CrmSettings`: the `crm` section of the settings tree (PARLEY_CRM__HUBSPOT__..., PARLEY_CRM__SALESFORCE__...,
PARLEY_CRM__WEBHOOK__...).

Secrets by reference: every secret has a value field (SecretStr, from the environment or a secret manager's
env injection) and a `*_file` field (a mounted Kubernetes Secret); `resolve_secret` reads whichever is set.
Field mappings are dicts from a CrmRecord source field (see services/crm/mapping.py SOURCE_FIELDS) to the CRM's
property / field name, per CRM object; `tenant_mappings` overrides them per tenant (an empty name drops a field).
CRM hosts are operator-configured, so they are trusted by configuration: they are not put through the
audio_url SSRF guard (a self-hosted CRM or a gateway on a private address is normal); see README "CRM sync".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from services.crm.mapping import (
    DEFAULT_HUBSPOT,
    DEFAULT_SALESFORCE,
    DEFAULT_WEBHOOK,
    validate_mapping,
)

Mapping = dict[str, dict[str, str]]  # object ("contact", "lead", ...) -> source field -> CRM property


def resolve_secret(value: SecretStr | None, path: Path | None, *, what: str) -> str | None:
    """The secret's text from the value or the file (file wins: it is how rotated Secrets are mounted)."""
    if path is not None:
        try:
            text = Path(path).read_text().strip()
        except OSError as exc:
            raise ValueError(f"{what}: cannot read secret file {path}: {exc.strerror}") from exc
        return text or None
    return value.get_secret_value() if value is not None else None


def _check_url(url: str | None) -> str | None:
    if url is not None and not re.match(r"^https?://[^/\s]+", url):
        raise ValueError(f"{url!r} is not an http(s) URL")
    return url.rstrip("/") if url else url


class _Mapped(BaseModel):
    @model_validator(mode="after")
    def _mappings_known(self):
        objects = set(self.mapping)  # type: ignore[attr-defined]
        validate_mapping(self.mapping)  # type: ignore[attr-defined]
        for tenant, per_object in self.tenant_mappings.items():  # type: ignore[attr-defined]
            unknown = set(per_object) - objects
            if unknown:
                raise ValueError(f"tenant {tenant!r}: unknown CRM object(s) {sorted(unknown)} (known: {sorted(objects)})")
            validate_mapping(per_object)
        return self


class HubSpotSettings(_Mapped):
    enabled: bool = Field(False, description="sync leads to HubSpot")
    base_url: str = Field("https://api.hubapi.com", description="HubSpot API root (a local contract server in tests)")
    api_version: str = Field(
        "2026-09",
        pattern=r"^(v3|\d{4}-\d{2})$",
        description="path version: dated form /crm/objects/<YYYY-MM>/... (default), or v3 (legacy /crm/v3/objects, "
        "associations through v4; legacy paths end in September 2027)",
    )
    token: SecretStr | None = Field(None, description="private-app or OAuth access token (Bearer)")
    token_file: Path | None = Field(None, description="file holding the token (a mounted Secret); wins over token")
    contact_unique_property: str = Field(
        "parley_lead_key", description="custom unique contact property keyed on the lead id, for contacts without e-mail"
    )
    company_unique_property: str = Field(
        "parley_company_key", description="custom unique company property: normalised domain, else normalised name"
    )
    note_unique_property: str = Field(
        "parley_note_key", description="custom unique note property (lead id): a re-sync updates the one note"
    )
    mapping: Mapping = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_HUBSPOT.items()},
        description="record field -> HubSpot property, per object (contact, company)",
    )
    tenant_mappings: dict[str, Mapping] = Field(
        default_factory=dict, description="tenant -> object -> overrides of `mapping` (\"\" drops a field)"
    )
    timeout_s: float = Field(15.0, gt=0, description="per-request timeout (a timeout is retried)")
    rate_limit_retry_s: float = Field(
        10.0, gt=0, description="retry delay after a 429 without Retry-After or interval header (ten-secondly window)"
    )

    @field_validator("base_url")
    @classmethod
    def _base_url_ok(cls, v: str) -> str:
        return _check_url(v)  # type: ignore[return-value]


class SalesforceSettings(_Mapped):
    enabled: bool = Field(False, description="sync leads to Salesforce")
    instance_url: str | None = Field(None, description="https://<my-domain>.my.salesforce.com (required when enabled)")
    login_url: str | None = Field(
        None, description="OAuth token endpoint host (e.g. https://login.salesforce.com); None = instance_url"
    )
    api_version: str = Field("v62.0", pattern=r"^v\d+\.\d$", description="REST API version in /services/data/<v>/")
    auth: Literal["client_credentials", "jwt_bearer"] = Field(
        "client_credentials", description="OAuth flow of the connected app (no refresh token in either)"
    )
    client_id: str | None = Field(None, description="connected app consumer key")
    client_secret: SecretStr | None = Field(None, description="consumer secret (client_credentials)")
    client_secret_file: Path | None = Field(None, description="file holding the consumer secret; wins over client_secret")
    jwt_username: str | None = Field(None, description="jwt_bearer: the integration user (JWT sub)")
    jwt_private_key_file: Path | None = Field(None, description="jwt_bearer: PEM RSA key whose certificate the app has")
    jwt_audience: str = Field("https://login.salesforce.com", description="jwt_bearer: JWT aud (test.salesforce.com for sandboxes)")
    lead_external_id_field: str = Field("Parley_Key__c", description="Lead External ID field holding the lead id")
    task_external_id_field: str = Field("Parley_Task_Key__c", description="Task External ID field (next step task)")
    mapping: Mapping = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_SALESFORCE.items()},
        description="record field -> Salesforce field, per object (lead, task)",
    )
    tenant_mappings: dict[str, Mapping] = Field(
        default_factory=dict, description="tenant -> object -> overrides of `mapping` (\"\" drops a field)"
    )
    timeout_s: float = Field(15.0, gt=0, description="per-request timeout (a timeout is retried)")
    limit_park_s: float = Field(
        900.0, gt=0, description="how long a 403 REQUEST_LIMIT_EXCEEDED parks the sync (rolling 24 h API limit)"
    )

    @field_validator("instance_url", "login_url")
    @classmethod
    def _urls_ok(cls, v: str | None) -> str | None:
        return _check_url(v)

    @model_validator(mode="after")
    def _complete_when_enabled(self):
        if self.enabled and not self.instance_url:
            raise ValueError("crm.salesforce.instance_url is required when crm.salesforce.enabled")
        if self.enabled and not self.client_id:
            raise ValueError("crm.salesforce.client_id is required when crm.salesforce.enabled")
        if self.enabled and self.auth == "jwt_bearer" and not (self.jwt_username and self.jwt_private_key_file):
            raise ValueError("crm.salesforce auth=jwt_bearer needs jwt_username and jwt_private_key_file")
        return self


class WebhookSinkSettings(_Mapped):
    enabled: bool = Field(False, description="POST each lead, signed, to a URL (any other CRM or middleware)")
    url: str | None = Field(None, description="receiver URL (required when enabled)")
    secret: SecretStr | None = Field(None, description="HMAC-SHA256 signing secret (Parley-Signature header)")
    secret_file: Path | None = Field(None, description="file holding the signing secret; wins over secret")
    mapping: Mapping = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_WEBHOOK.items()},
        description="record field -> JSON key of `fields` in the payload",
    )
    tenant_mappings: dict[str, Mapping] = Field(
        default_factory=dict, description="tenant -> object -> overrides of `mapping` (\"\" drops a field)"
    )
    timeout_s: float = Field(10.0, gt=0, description="per-delivery timeout (a timeout is retried)")

    @field_validator("url")
    @classmethod
    def _url_ok(cls, v: str | None) -> str | None:
        return _check_url(v)

    @model_validator(mode="after")
    def _url_when_enabled(self):
        if self.enabled and not self.url:
            raise ValueError("crm.webhook.url is required when crm.webhook.enabled")
        return self


class CrmSettings(BaseModel):
    hubspot: HubSpotSettings = Field(default_factory=HubSpotSettings)
    salesforce: SalesforceSettings = Field(default_factory=SalesforceSettings)
    webhook: WebhookSinkSettings = Field(default_factory=WebhookSinkSettings)
    connect_timeout_s: float = Field(5.0, gt=0, description="TCP/TLS connect timeout of CRM requests")
    retry_base_s: float = Field(5.0, gt=0, description="first retry delay after a 5xx / timeout; doubles per try, jitter")
    retry_max_s: float = Field(900.0, gt=0, description="longest retry delay (a CRM down for hours is retried this often)")
