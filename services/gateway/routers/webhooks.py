"""/v1/webhooks: inspect deliveries (outbox) and redeliver."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.gateway.deps import DbDep, TenantDep
from services.gateway.errors import NotFound
from services.gateway.protocol import DeliveryList, DeliveryView
from services.store import outbox

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def _view(d) -> DeliveryView:  # noqa: ANN001
    return DeliveryView(id=d.id, job_id=d.job_id, event=d.event, url=d.url, status=d.status, attempts=d.attempts,
                        next_attempt_at=d.next_attempt_at, last_status_code=d.last_status_code,
                        last_error=d.last_error, created_at=d.created_at, delivered_at=d.delivered_at)


@router.get("", response_model=DeliveryList)
def list_deliveries(
    tenant: TenantDep,
    db: DbDep,
    call_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeliveryList:
    with db.session() as s:
        return DeliveryList(data=[_view(d) for d in outbox.list_deliveries(
            s, tenant_id=tenant, job_id=call_id, status=status, limit=limit)])


@router.post("/{delivery_id}/redeliver", response_model=DeliveryView, status_code=202,
             responses={404: {"description": "not_found"}})
def redeliver(delivery_id: str, tenant: TenantDep, db: DbDep) -> DeliveryView:
    with db.session() as s:
        d = outbox.redeliver(s, tenant_id=tenant, delivery_id=delivery_id, actor=f"tenant:{tenant}")
        if d is None:
            raise NotFound(f"no delivery {delivery_id!r}")
        s.flush()
        return _view(d)
