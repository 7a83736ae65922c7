"""build_adapters(settings) -> {name: adapter} for the CRMs that are enabled; the sync dispatcher calls this once
and `aclose()`s every adapter on shutdown. A missing secret raises CrmConfigError at startup, not at first sync."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.crm.base import CrmAdapter

if TYPE_CHECKING:
    from services.settings import Settings


def build_adapters(settings: Settings) -> dict[str, CrmAdapter]:
    crm = settings.crm
    adapters: dict[str, CrmAdapter] = {}
    if crm.hubspot.enabled:
        from services.crm.hubspot import HubSpotAdapter

        adapters["hubspot"] = HubSpotAdapter(crm.hubspot, crm)
    if crm.salesforce.enabled:
        from services.crm.salesforce import SalesforceAdapter

        adapters["salesforce"] = SalesforceAdapter(crm.salesforce, crm)
    if crm.webhook.enabled:
        from services.crm.sink import WebhookSinkAdapter

        adapters["webhook"] = WebhookSinkAdapter(crm.webhook, crm)
    return adapters
