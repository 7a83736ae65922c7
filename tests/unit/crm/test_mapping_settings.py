from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.crm.adapters import build_adapters
from services.crm.http import CrmConfigError
from services.crm.mapping import (
    company_key,
    effective_mapping,
    map_object,
    normalise_name,
    split_name,
)
from services.crm.settings import (
    CrmSettings,
    HubSpotSettings,
    SalesforceSettings,
    resolve_secret,
)
from services.settings import Settings
from tests.unit.crm.records import make_record


def test_split_name_and_company_keys():
    assert split_name("Dana K. Lee") == ("Dana K.", "Lee")
    assert split_name("Cher") == (None, "Cher")
    assert split_name("  ") == (None, None)
    assert company_key(make_record()) == "domain:example.com"
    assert company_key(make_record(company_domain=None, company="Éxample Widgets, Inc.")) == "name:example-widgets"
    assert company_key(make_record(company_domain=None, company=None)) is None
    assert normalise_name("ACME GmbH") == normalise_name("Acme") == "acme"


def test_tenant_mapping_overrides_and_drops_fields():
    cfg = HubSpotSettings(tenant_mappings={"acme": {"contact": {"company": "", "reasoning": "why_ai_thinks"}}})
    mapping = effective_mapping(cfg.mapping, cfg.tenant_mappings, "acme", "contact")
    props = map_object(make_record(), mapping)
    assert "company" not in props and props["why_ai_thinks"].startswith("Budget")
    assert props["ai_confidence"] == 0.87 and props["ai_lead_score"] == "hot"
    other = map_object(make_record(tenant_id="globex"), effective_mapping(cfg.mapping, cfg.tenant_mappings, "globex", "contact"))
    assert other["company"] == "Example Widgets Inc." and "why_ai_thinks" not in other


def test_missing_fields_are_left_out_not_blanked():
    props = map_object(make_record(contact_phone=None, contact_title=None), HubSpotSettings().mapping["contact"])
    assert "phone" not in props and "jobtitle" not in props


def test_bad_mappings_and_incomplete_crms_are_refused():
    with pytest.raises(ValidationError, match="unknown record field"):
        HubSpotSettings(mapping={"contact": {"no_such_field": "x"}})
    with pytest.raises(ValidationError, match="unknown CRM object"):
        HubSpotSettings(tenant_mappings={"acme": {"deal": {"score": "x"}}})
    with pytest.raises(ValidationError, match="instance_url is required"):
        SalesforceSettings(enabled=True, client_id="x")
    with pytest.raises(ValidationError, match="jwt_username"):
        SalesforceSettings(enabled=True, client_id="x", instance_url="https://x.my.salesforce.com", auth="jwt_bearer")
    with pytest.raises(ValidationError, match="http"):
        HubSpotSettings(base_url="ftp://api.hubapi.com")
    with pytest.raises(ValidationError):
        HubSpotSettings(api_version="v2")


def test_secrets_by_reference(tmp_path):
    f = tmp_path / "token"
    f.write_text("from-file\n")
    assert resolve_secret(None, f, what="t") == "from-file"
    with pytest.raises(ValueError, match="cannot read secret file"):
        resolve_secret(None, tmp_path / "missing", what="t")
    s = Settings(crm={"hubspot": {"enabled": True, "token_file": str(f)}})
    adapter = build_adapters(s)["hubspot"]
    assert adapter._auth["Authorization"] == "Bearer from-file"


def test_build_adapters_only_enabled_and_complete(monkeypatch):
    assert build_adapters(Settings()) == {}
    monkeypatch.setenv("PARLEY_CRM__HUBSPOT__ENABLED", "true")
    monkeypatch.setenv("PARLEY_CRM__HUBSPOT__BASE_URL", "http://127.0.0.1:9/")
    with pytest.raises(CrmConfigError, match="no token"):
        build_adapters(Settings())
    monkeypatch.setenv("PARLEY_CRM__HUBSPOT__TOKEN", "t")
    monkeypatch.setenv("PARLEY_CRM__WEBHOOK__ENABLED", "true")
    monkeypatch.setenv("PARLEY_CRM__WEBHOOK__URL", "https://hooks.example.com/lead")
    with pytest.raises(CrmConfigError, match="secret"):
        build_adapters(Settings())
    monkeypatch.setenv("PARLEY_CRM__WEBHOOK__SECRET", "s")
    adapters = build_adapters(Settings())
    assert sorted(adapters) == ["hubspot", "webhook"]
    assert adapters["hubspot"].cfg.base_url == "http://127.0.0.1:9"
    assert CrmSettings().hubspot.api_version == "2026-09"
