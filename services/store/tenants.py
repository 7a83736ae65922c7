"""Tenants and API keys. Keys are random 256-bit tokens stored as SHA-256 hashes (never in clear)."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.store import audit
from services.store.models import ApiKey, Tenant

DEFAULT_TENANT = "default"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ensure_tenant(
    session: Session, *, tenant_id: str, name: str | None = None, actor: str = "system"
) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        tenant = Tenant(id=tenant_id, name=name or tenant_id)
        session.add(tenant)
        session.flush()
        audit.record(session, actor=actor, entity="tenant", entity_id=tenant_id, action="created",
                     tenant_id=tenant_id)
    return tenant


def set_retention(session: Session, *, tenant_id: str, retention_days: float | None, actor: str) -> None:
    tenant = ensure_tenant(session, tenant_id=tenant_id, actor=actor)
    tenant.retention_days = retention_days
    audit.record(session, actor=actor, entity="tenant", entity_id=tenant_id, action="retention_set",
                 tenant_id=tenant_id, detail={"retention_days": retention_days})


def create_api_key(session: Session, *, tenant_id: str, key: str | None = None, actor: str = "system") -> str:
    """Create (or, for a given key, idempotently ensure) an API key; returns the key in clear, once."""
    key = key or "pk_" + secrets.token_urlsafe(32)
    digest = hash_key(key)
    if session.scalar(select(ApiKey).where(ApiKey.key_hash == digest)) is None:
        ensure_tenant(session, tenant_id=tenant_id, actor=actor)
        kid = uuid.uuid4().hex
        session.add(ApiKey(id=kid, tenant_id=tenant_id, key_hash=digest, prefix=key[:8]))
        audit.record(session, actor=actor, entity="api_key", entity_id=kid, action="created",
                     tenant_id=tenant_id, detail={"prefix": key[:8]})
    return key


def tenant_for_key(session: Session, *, key: str) -> str | None:
    row = session.scalar(
        select(ApiKey.tenant_id).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    )
    return row
